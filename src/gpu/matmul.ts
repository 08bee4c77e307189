import { MatmulProgram, MATMUL_PARAMS_BYTES, matmulDispatch, matmulParams } from './matmulProgram';
import type { BufferSet } from './buffers';
import { getPipeline } from './pipelines';

/**
 * Records float32 products C = op(A) op(B) (+ C) into a compute pass with the
 * cached MatmulProgram variants. Sizes are those of op(A) (M x K) and op(B)
 * (K x N); buffers hold row-major data.
 */
export class MatmulRecorder {
  private constructor(
    private readonly device: GPUDevice,
    private readonly buffers: BufferSet,
    private readonly pipelines: Map<string, GPUComputePipeline>,
  ) {}

  /** Compiles (or fetches from the cache) every transpose/accumulate variant once. */
  static async create(device: GPUDevice, buffers: BufferSet): Promise<MatmulRecorder> {
    const programs = [false, true].flatMap((ta) => [false, true].flatMap((tb) => [false, true].map((acc) => new MatmulProgram(ta, tb, acc))));
    const compiled = await Promise.all(programs.map((p) => getPipeline(device, p)));
    return new MatmulRecorder(device, buffers, new Map(programs.map((p, i) => [p.shaderKey, compiled[i]])));
  }

  /** Adds the dispatch of one product to `pass`; its uniform buffer belongs to the BufferSet. */
  record(pass: GPUComputePassEncoder, a: GPUBuffer, b: GPUBuffer, c: GPUBuffer, M: number, N: number, K: number, opts: { transposeA?: boolean; transposeB?: boolean; accumulate?: boolean } = {}): void {
    const program = new MatmulProgram(!!opts.transposeA, !!opts.transposeB, !!opts.accumulate);
    const pipeline = this.pipelines.get(program.shaderKey)!;
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
