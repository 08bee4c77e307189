import { gpuSvdJacobi } from '../../gpu/blockJacobi';
import { gpuRandomizedSvd } from '../../gpu/randomizedSvd';
import { thinMatrixWithSpectrum } from '../thinSpectrum';
import { benchSpectrum, svdAccuracy, type SvdAccuracy } from './accuracy';
import { median } from '../benchTable';

/**
 * The GPU half of `npm run bench`, shared by the Chromium page (SwiftShader
 * here) and the Node + Dawn entry for a real GPU: times the lab's WGSL SVDs
 * on one device and measures their accuracy against the known spectrum of
 * each test matrix. Prints nothing; returns rows.
 */

/** One benchmark shape: a full SVD, or the top-k of a larger matrix when `k` is set. */
export interface BenchShape {
  m: number;
  n: number;
  k?: number;
}

/** A row of the GPU table. */
export interface GpuBenchRow extends SvdAccuracy {
  shape: string;
  medianMs: number;
  runs: number;
  sweeps: number;
}

export const BENCH_SHAPES: readonly BenchShape[] = [
  { m: 784, n: 64 }, { m: 64, n: 64 }, { m: 784, n: 256 }, { m: 1024, n: 1024 }, { m: 4096, n: 4096, k: 64 },
];

/** Times every shape (`reps` runs after one warm-up, fewer when a run exceeds `slowMs`). */
export async function runGpuBench(device: GPUDevice, shapes: readonly BenchShape[], reps = 5, slowMs = 4000, log: (s: string) => void = () => {}): Promise<GpuBenchRow[]> {
  const rows: GpuBenchRow[] = [];
  for (const shape of shapes) {
    const rank = shape.k ? Math.min(shape.m, shape.n, 2 * shape.k) : Math.min(shape.m, shape.n);
    const spectrum = benchSpectrum(rank, shape.k !== undefined);
    const a = Float32Array.from(thinMatrixWithSpectrum(shape.m, shape.n, spectrum, 11));
    const run = () => (shape.k ? gpuRandomizedSvd(device, a, [shape.m, shape.n], shape.k) : gpuSvdJacobi(device, a, [shape.m, shape.n]));
    let t = performance.now();
    let svd = await run(); // warm-up: pipeline compilation
    const first = performance.now() - t;
    const times: number[] = [];
    const count = first > slowMs ? 1 : reps;
    for (let i = 0; i < count; i++) {
      t = performance.now();
      svd = await run();
      times.push(performance.now() - t);
    }
    const label = shape.k ? `top-${shape.k} of ${shape.m}x${shape.n}` : `${shape.m}x${shape.n}`;
    rows.push({ shape: label, medianMs: median(times), runs: times.length, sweeps: svd.sweeps, ...svdAccuracy(a, shape.m, shape.n, svd, spectrum) });
    log(`${label}: ${median(times).toFixed(1)} ms`);
  }
  return rows;
}
