import type { WeightLimits } from './artifacts';
import { tfjsWebGpuDevice } from './svdEngine';

/**
 * How large one weight may be where the lab will keep it. On WebGPU, TF.js
 * keeps each tensor in one GPUBuffer and binds it whole to its shaders, so a
 * weight must fit both maxBufferSize and maxStorageBufferBindingSize of the
 * device TF.js requested (it asks for the adapter's own limits: 128 MiB on
 * some laptops, 1 GiB on SwiftShader, 2-4 GiB on desktop GPUs). The lab's
 * GPU SVD (gpu/randomizedSvd.ts) splits a kernel into row tiles under the
 * binding limit, but scoring runs TF.js ops on the whole kernel, so a
 * weight past the limit is refused up front rather than tiled. On wasm and
 * the CPU the memory budget (MAX_WEIGHT_BYTES) is the only bound: null.
 */
export function deviceWeightLimits(): WeightLimits | null {
  const limits = tfjsWebGpuDevice()?.limits;
  if (!limits) return null;
  const binding = limits.maxStorageBufferBindingSize;
  const buffer = limits.maxBufferSize;
  return {
    maxTensorBytes: Math.min(binding, buffer),
    what: binding <= buffer
      ? "the largest buffer this GPU lets a shader bind (WebGPU's maxStorageBufferBindingSize)"
      : "the largest buffer this GPU can make (WebGPU's maxBufferSize)",
  };
}
