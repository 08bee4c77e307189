import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { runGpuBench, type BenchShape } from './run';

/**
 * The GPU benchmark inside Chromium: the lab's SVDs on the GPUDevice of
 * TF.js's WebGPU backend, as the app runs them. Driven by src/cli/bench.ts.
 */
async function bench(shapes: readonly BenchShape[], reps: number) {
  if (!(await tf.setBackend('webgpu'))) throw new Error('WebGPU backend did not start');
  const device = (tf.backend() as WebGPUBackend).device;
  const info = (device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
  const adapter = info ? [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') : 'unknown adapter';
  return { adapter, rows: await runGpuBench(device, shapes, reps) };
}

Object.assign(window, { bench });
document.getElementById('status')!.textContent = 'ready';
