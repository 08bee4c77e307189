import { MatmulProgram, MATMUL_PARAMS_BYTES, matmulDispatch, matmulParams } from './matmulProgram';
import type { BufferSet } from './buffers';
import { getPipeline } from './pipelines';

/** Which product: C = op(A) B, op = transpose when set, added to C when accumulating. */
export interface MatmulVariant {
  transposeA?: boolean;
  accumulate?: boolean;
}

const ALL_VARIANTS: readonly MatmulVariant[] = [false, true].flatMap((transposeA) => [false, true].map((accumulate) => ({ transposeA, accumulate })));

/**
 * Records float32 products C = op(A) B (+ C) into a compute pass with the
 * cached MatmulProgram variants. Sizes are those of op(A) (M x K) and op(B)
 * (K x N); buffers hold row-major data.
 */
export class MatmulRecorder {
  private constructor(
    private readonly device: GPUDevice,
    private readonly buffers: BufferSet,
    private readonly pipelines: Map<string, GPUComputePipeline>,
  ) {}

  /**
   * Compiles (or fetches from the cache) the transpose/accumulate variants
   * `record` will be asked for, by default all 4. Naming only the ones used
   * matters on a software adapter, where each compilation takes seconds.
   */
  static async create(device: GPUDevice, buffers: BufferSet, variants: readonly MatmulVariant[] = ALL_VARIANTS): Promise<MatmulRecorder> {
    const programs = variants.map((v) => new MatmulProgram(!!v.transposeA, !!v.accumulate));
    const compiled = await Promise.all(programs.map((p) => getPipeline(device, p)));
    return new MatmulRecorder(device, buffers, new Map(programs.map((p, i) => [p.shaderKey, compiled[i]])));
  }

  /** Adds the dispatch of one product to `pass`; its uniform buffer belongs to the BufferSet. */
  record(pass: GPUComputePassEncoder, a: GPUBuffer, b: GPUBuffer, c: GPUBuffer, M: number, N: number, K: number, opts: MatmulVariant = {}): void {
    const program = new MatmulProgram(!!opts.transposeA, !!opts.accumulate);
    const pipeline = this.pipelines.get(program.shaderKey);
    if (!pipeline) throw new Error(`MatmulRecorder was created without the ${program.shaderKey} variant; list it in create().`);
    const params = this.buffers.create('matmul-params', MATMUL_PARAMS_BYTES, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, matmulParams(M, N, K));
    const group = this.device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [a, b, c, params].map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, group);
    const [x, y] = matmulDispatch(M, N);
    pass.dispatchWorkgroups(x, y);
  }
}
