import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { LabInputError, asCancelled } from './errors';
import type { SvdFn } from './factors';
import type { Svd } from '../core/svd';

/**
 * Where the lab's SVDs run. On WebGPU with a hardware adapter: the WGSL block
 * Jacobi on the GPUDevice TF.js's WebGPU backend owns. Otherwise the float64
 * Jacobi in a CPU worker, because a software adapter (SwiftShader) is far
 * slower than the CPU. `?svd=gpu|cpu` overrides the choice, which is how
 * tests run the GPU path on SwiftShader.
 */

export const SVD_ENGINES = ['gpu', 'cpu'] as const;
/** One of SVD_ENGINES. */
export type SvdEngineName = (typeof SVD_ENGINES)[number];

/** The engine chosen and a sentence on why, for the header. */
export interface SvdEngineChoice {
  name: SvdEngineName;
  label: string;
  reason: string;
}

/** Parses a `?svd=` value; null when absent, LabInputError when not an engine name. */
export function parseSvdEngineParam(value: string | null): SvdEngineName | null {
  if (value === null || value === '') return null;
  if ((SVD_ENGINES as readonly string[]).includes(value)) return value as SvdEngineName;
  throw new LabInputError('backend', `"${value.slice(0, 40)}" is not an SVD engine; use gpu or cpu.`);
}

/** The GPUDevice of TF.js's WebGPU backend, or null when another backend runs. */
export function tfjsWebGpuDevice(): GPUDevice | null {
  return tf.getBackend() === 'webgpu' ? (tf.backend() as WebGPUBackend).device : null;
}

/** Picks the engine for the running backend; `forced` wins where it can run. */
export function chooseSvdEngine(hardwareGpu: boolean, forced: SvdEngineName | null): SvdEngineChoice {
  const device = tfjsWebGpuDevice();
  if (forced === 'gpu' && !device) {
    throw new LabInputError('backend', '?svd=gpu needs the WebGPU backend; add ?backend=webgpu or drop ?svd=.');
  }
  if (forced === 'gpu' || (forced === null && device && hardwareGpu)) {
    return { name: 'gpu', label: 'WebGPU block Jacobi (float32)', reason: forced ? 'forced by ?svd=' : 'hardware WebGPU adapter' };
  }
  return {
    name: 'cpu',
    label: 'CPU worker Jacobi (float64)',
    reason: forced ? 'forced by ?svd=' : device ? 'WebGPU adapter is software-only; the CPU is faster' : 'no WebGPU backend',
  };
}

/**
 * The SvdFn for the GPU engine: runs on TF.js's device at the time of each
 * call; a cancel rejects with CancelledError, as every engine does. A GPU
 * result whose Jacobi sweeps ran out (converged false) is not used: the
 * float64 CPU worker computes that kernel instead, so an unconverged float32
 * SVD never reaches the spectrum or the factors.
 */
export const webgpuSvd: SvdFn = async (data, shape, signal, topK) => {
  const device = tfjsWebGpuDevice();
  if (!device) throw new Error('The WebGPU backend is no longer active; reload the lab.');
  try {
    // Loaded on first use: pages on the CPU engine never parse the WGSL programs.
    let result: Svd;
    if (topK === undefined) {
      const { gpuSvdJacobi } = await import('../gpu/blockJacobi');
      result = await gpuSvdJacobi(device, data, shape, { signal });
    } else {
      const { gpuRandomizedSvd } = await import('../gpu/randomizedSvd');
      result = await gpuRandomizedSvd(device, data, shape, topK, { signal });
    }
    if (result.converged) return result;
    const { workerSvd } = await import('./svdWorkerClient');
    return await workerSvd(data, shape, signal, topK);
  } catch (err) {
    throw asCancelled(err);
  }
};
