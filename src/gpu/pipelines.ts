/**
 * Compiled compute pipelines, cached per device by the program's shaderKey
 * (as tfjs-backend-webgpu caches its programs), so an SVD after the first
 * pays no compilation. A WGSL error surfaces as an Error with the compiler's
 * messages instead of a silently invalid pipeline.
 */

/** What a GPU program provides: a cache key and its WGSL with an entry point `main`. */
export interface GpuProgram {
  readonly shaderKey: string;
  getUserCode(): string;
}

const cache = new WeakMap<GPUDevice, Map<string, Promise<GPUComputePipeline>>>();

async function compile(device: GPUDevice, program: GpuProgram): Promise<GPUComputePipeline> {
  const module = device.createShaderModule({ label: program.shaderKey, code: program.getUserCode() });
  const info = await module.getCompilationInfo();
  const errors = info.messages.filter((m) => m.type === 'error');
  if (errors.length > 0) {
    throw new Error(`WGSL ${program.shaderKey} does not compile: ${errors.map((e) => `${e.lineNum}:${e.linePos} ${e.message}`).join('; ')}`);
  }
  return device.createComputePipelineAsync({ label: program.shaderKey, layout: 'auto', compute: { module, entryPoint: 'main' } });
}

/** The pipeline for `program` on `device`, compiled on first use. */
export function getPipeline(device: GPUDevice, program: GpuProgram): Promise<GPUComputePipeline> {
  let perDevice = cache.get(device);
  if (!perDevice) {
    perDevice = new Map();
    cache.set(device, perDevice);
  }
  let pipeline = perDevice.get(program.shaderKey);
  if (!pipeline) {
    pipeline = compile(device, program);
    perDevice.set(program.shaderKey, pipeline);
    pipeline.catch(() => perDevice!.delete(program.shaderKey));
  }
  return pipeline;
}
