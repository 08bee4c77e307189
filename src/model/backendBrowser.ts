import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { LabInputError } from './errors';
import { tfjsWebGpuDevice } from './svdEngine';

/**
 * Picks the TF.js backend in the browser. WebGPU when the browser offers a
 * hardware adapter; otherwise wasm, because a software (fallback) WebGPU
 * adapter is ~46x slower than wasm for a 1024 matMul on a machine without a
 * GPU; then webgl, then cpu. `?backend=` forces one, which is how tests drive
 * the WebGPU path on SwiftShader. The wasm binaries are served by the lab
 * itself, so no request leaves its origin.
 */

/** GPU buffers of the lab's own WebGPU work (the SVD programs) not yet destroyed: 0 when no GPU work runs; for the browser tests' hook. */
export { liveGpuBuffers } from '../gpu/buffers';

/** Backends `?backend=` may name, in the lab's order of preference on a GPU machine. */
export const BACKENDS = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;
/** One of BACKENDS. */
export type BackendName = (typeof BACKENDS)[number];

/** What was chosen and why, for the backend badge. */
export interface BackendChoice {
  name: BackendName;
  reason: string;
  /** Adapter description when WebGPU was probed, e.g. "SwiftShader (fallback)". */
  adapter: string | null;
  /** The browser offers a WebGPU adapter that is not a software fallback. */
  hardwareGpu: boolean;
}

setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
});

/** Parses a `?backend=` value; null when absent, LabInputError when not a backend name. */
export function parseBackendParam(value: string | null): BackendName | null {
  if (value === null || value === '') return null;
  if ((BACKENDS as readonly string[]).includes(value)) return value as BackendName;
  throw new LabInputError('backend', `"${value.slice(0, 40)}" is not a backend; use one of ${BACKENDS.join(', ')}.`);
}

/** The browser's WebGPU entry point (navigator.gpu), if it has WebGPU at all. */
function webGpuApi(): GPU | undefined {
  return (navigator as Navigator & { gpu?: GPU }).gpu;
}

/** Whether the browser offers WebGPU at all; without it no adapter can be asked for. */
function hasWebGpuApi(): boolean {
  return webGpuApi() !== undefined;
}

async function probeWebGpu(): Promise<{ hardware: boolean; label: string } | null> {
  const gpu = webGpuApi();
  if (!gpu) return null;
  try {
    const adapter = await gpu.requestAdapter();
    if (!adapter) return null;
    const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
    const fallback = info.isFallbackAdapter ?? (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter ?? false;
    const label = [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') || 'unknown adapter';
    return { hardware: !fallback, label: fallback ? `${label} (software)` : label };
  } catch {
    return null;
  }
}

/**
 * Registers the WebGPU backend's code, loaded only when the page may use it
 * (a hardware adapter, or ?backend=webgpu): elsewhere its ~0.5 MB never
 * reaches the parser while the page starts.
 */
async function loadWebGpuBackend(): Promise<void> {
  await import('@tensorflow/tfjs-backend-webgpu');
}

/** Starts the best (or the forced) backend; throws LabInputError if a forced one cannot start. */
export async function chooseBackend(forced: BackendName | null): Promise<BackendChoice> {
  const probe = await probeWebGpu();
  if (forced === 'webgpu' || (!forced && probe?.hardware)) await loadWebGpuBackend();
  const adapter = probe?.label ?? null;
  if (forced === 'webgpu' && !probe) {
    // TF.js registers no WebGPU backend without navigator.gpu; its own error ("no registration found") says nothing to a user.
    throw new LabInputError('backend', hasWebGpuApi()
      ? 'The address asks for WebGPU (?backend=webgpu), but this browser offers no WebGPU adapter; the lab runs on another backend instead.'
      : 'The address asks for WebGPU (?backend=webgpu), but this browser has no WebGPU (navigator.gpu is missing); the lab runs on another backend instead.');
  }
  if (forced) {
    if (!(await tf.setBackend(forced))) {
      throw new LabInputError('backend', `The ${forced} backend requested in the address cannot start in this browser.`);
    }
    await tf.ready();
    return { name: forced, reason: 'forced by ?backend=', adapter, hardwareGpu: probe?.hardware ?? false };
  }
  const order: Array<[BackendName, string]> = probe?.hardware
    ? [['webgpu', 'hardware WebGPU adapter'], ['wasm', 'WebGPU failed to start'], ['webgl', 'wasm unavailable'], ['cpu', 'last resort']]
    : [['wasm', probe ? 'WebGPU adapter is software-only; wasm is faster' : hasWebGpuApi() ? 'no WebGPU adapter' : 'this browser has no WebGPU'], ['webgl', 'wasm unavailable'], ['cpu', 'last resort']];
  for (const [name, reason] of order) {
    try {
      if (await tf.setBackend(name)) {
        await tf.ready();
        return { name, reason, adapter, hardwareGpu: probe?.hardware ?? false };
      }
    } catch {
      // try the next backend
    }
  }
  throw new LabInputError('backend', 'No TF.js backend could start in this browser.');
}

/** The value TF.js holds for flag `name` (for the browser tests: a link must not be able to set any). */
export function backendFlag(name: string): unknown {
  const flags = tf.env().getFlags();
  return name in flags ? flags[name] : tf.env().get(name);
}

/**
 * Calls `onLost` once, with the browser's reason, when the WebGPU device
 * TF.js computes on now is lost (destroyed, a driver reset, the GPU
 * process gone): every tensor on it is gone and nothing computed on it
 * completes. A no-op on other backends. Returns a function that stops
 * watching (the lab stops before it drops the device on purpose).
 */
export function watchGpuLoss(onLost: (reason: string) => void): () => void {
  const device = tfjsWebGpuDevice();
  if (!device) return () => {};
  let watching = true;
  void device.lost.then((info) => {
    if (watching) onLost(info.message || (info.reason === 'destroyed' ? 'the device was destroyed' : 'unknown reason'));
  });
  return () => { watching = false; };
}

/** The priority TF.js's WebGPU package registers its backend with (tfjs-backend-webgpu's base.ts). */
const WEBGPU_PRIORITY = 3;

/**
 * Starts compute again after the WebGPU device was lost. TF.js keeps its
 * backend object (and the dead device) until it is removed, so the WebGPU
 * backend is removed, registered again with the same factory, and started,
 * which asks the browser for a new adapter and device. If that fails, the
 * best other backend starts instead. Free every tensor of the lost backend
 * first: they cannot be read and their ids die with it.
 */
export async function restartAfterGpuLoss(): Promise<BackendChoice> {
  const probe = await probeWebGpu();
  const factory = tf.findBackendFactory('webgpu');
  let why = probe ? 'it did not start' : 'the browser offers no WebGPU adapter now';
  if (factory) {
    // Removed and registered again in one step: no TF.js call in between can pick another backend meanwhile.
    tf.removeBackend('webgpu');
    tf.registerBackend('webgpu', factory, WEBGPU_PRIORITY);
    if (probe) {
      try {
        if (await tf.setBackend('webgpu')) {
          await tf.ready();
          return { name: 'webgpu', reason: 'restarted on a new WebGPU device after the GPU was lost', adapter: probe.label, hardwareGpu: probe.hardware };
        }
      } catch (err) {
        why = err instanceof Error ? err.message : String(err);
      }
    }
  }
  for (const name of ['wasm', 'webgl', 'cpu'] as const) {
    try {
      if (await tf.setBackend(name)) {
        await tf.ready();
        return { name, reason: `the GPU was lost and WebGPU could not start again (${why}); ${name} instead`, adapter: probe?.label ?? null, hardwareGpu: false };
      }
    } catch {
      // try the next backend
    }
  }
  throw new LabInputError('backend', 'The GPU was lost and no TF.js backend could start again; reload the page.');
}
