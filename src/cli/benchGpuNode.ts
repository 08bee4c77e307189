import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { LabSession } from '../model/session';
import { webgpuSvd } from '../model/svdEngine';
import { BENCH_SHAPES, runGpuBench } from './gpuBench/run';
import { table, timeSession } from './benchTable';
import { readModelFromDisk, readSample } from './nodeEnv';
import { MNIST_FILES } from '../core/mnist';

/**
 * The GPU benchmark on a real GPU from Node, through Dawn's WebGPU (the npm
 * package `webgpu`), for the lent GPU machine that has no browser. Bundle it
 * with `npm run bench:gpu-bundle` (writes .gpu/bench.mjs with `webgpu`
 * external) and run it there as ../shared/gpu/README.md says, with the
 * repository path as the first argument so it can read the bundled model:
 *   node bench.mjs /path/to/repo
 */

const repo = process.argv[2] ?? process.cwd();
const moduleName = 'webgpu';
const dawn = (await import(moduleName)) as { create(flags: string[]): GPU; globals: Record<string, unknown> };
Object.assign(globalThis, dawn.globals);
Object.defineProperty(globalThis, 'navigator', { value: { gpu: dawn.create([]) }, configurable: true });
await import('@tensorflow/tfjs-backend-webgpu');
if (!(await tf.setBackend('webgpu'))) throw new Error('TF.js could not start its WebGPU backend on this machine');
const device = (tf.backend() as WebGPUBackend).device;
const info = (device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
console.log(`GPU: ${info ? [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') : 'unknown'} (Dawn, Node ${process.version})`);

const rows = await runGpuBench(device, BENCH_SHAPES, 7, 60_000, (s) => console.error(s));
console.log(table(['shape', 'median ms', 'runs', 'sweeps', 'reconstr.', 'orthog.', 'sv err/s1'],
  rows.map((r) => [r.shape, r.medianMs.toFixed(2), String(r.runs), String(r.sweeps), r.reconstruction.toExponential(1), r.orthogonality.toExponential(1), r.singularValues.toExponential(1)])));

// Interaction figures on mlp-64 with the WebGPU backend: decomposition at load, rank change -> scores, sweep.
const { artifacts, name } = await readModelFromDisk(join(repo, 'public', 'models', 'mlp-64', 'model.json'));
const sample = await readSample('test', join(repo, 'public', 'data', MNIST_FILES.test));
let t = performance.now();
const session = await LabSession.open(artifacts, name, sample, webgpuSvd);
const openMs = performance.now() - t;
const timing = await timeSession(session, 50);
session.dispose();
console.log(table(['model', 'open (GPU SVD of 3 layers + reference) ms', 'rank change p50 ms', 'p95 ms', 'sweep (64 ranks) ms'],
  [['mlp-64', openMs.toFixed(1), timing.p50.toFixed(2), timing.p95.toFixed(2), timing.sweepMs.toFixed(0)]]));
