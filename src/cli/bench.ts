import { join } from 'node:path';
import { Matrix, SingularValueDecomposition } from 'ml-matrix';
import { svdJacobi, type Svd } from '../core/svd';
import { randomizedSvd } from '../core/randomizedSvd';
import { LabSession } from '../model/session';
import { thinMatrixWithSpectrum } from './thinSpectrum';
import { BENCH_SHAPES, type BenchShape, type GpuBenchRow } from './gpuBench/run';
import { benchSpectrum, svdAccuracy } from './gpuBench/accuracy';
import { startDevHarness } from './chromium';
import { browserInteractionTables } from './benchBrowser';
import { REPO_ROOT, nodeSvd, readModelFromDisk, readSample, useNodeBackend } from './nodeEnv';
import { median, table, timeSession, type SessionTiming } from './benchTable';
import { lpSolverTable, methodsTable } from './benchMethods';
import { evaluationTable } from './benchEvaluation';

/**
 * `npm run bench`: prints tables, asserts nothing. (1) The SVD in every
 * implementation at the shapes - this lab's CPU SVD, ml-matrix's SVD
 * (what a JavaScript user would pick; capped in size, it is slow) and this
 * lab's WGSL SVD in headless Chromium - with accuracy against each matrix's
 * known spectrum. (2) The interaction figures on mlp-64: a rank change ->
 * scores over all 10,000 test images (p50/p95) and a sweep of fc1, in Node
 * (wasm) and in Chromium (wasm before issue 8 and now, WebGPU, a CNN behind
 * a conv prefix: benchBrowser.ts). Flags: --quick (fewer runs),
 * --no-browser, --all-gpu-shapes (run the big GPU shapes even on a software
 * adapter), --ml-matrix-max N (largest m*n for ml-matrix, default 200704).
 */

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const reps = quick ? 3 : 5;
const mlMax = Number(args[args.indexOf('--ml-matrix-max') + 1]) || 784 * 256;
const fmt = (x: number) => x.toExponential(1);

function timeRuns(run: () => Svd, slowMs: number): { times: number[]; svd: Svd } {
  let t = performance.now();
  let svd = run();
  const first = performance.now() - t;
  const times: number[] = [];
  const count = first > slowMs ? (first > 5 * slowMs ? 1 : 3) : reps;
  for (let i = 0; i < count; i++) {
    t = performance.now();
    svd = run();
    times.push(performance.now() - t);
  }
  return { times, svd };
}

function mlMatrixSvd(a: Float32Array, m: number, n: number): Svd {
  const rows = Array.from({ length: m }, (_, i) => Array.from(a.subarray(i * n, (i + 1) * n)));
  const d = new SingularValueDecomposition(new Matrix(rows), { autoTranspose: true });
  const r = Math.min(m, n);
  const u = Float64Array.from(d.leftSingularVectors.to1DArray());
  const v = Float64Array.from(d.rightSingularVectors.to1DArray());
  const uc = d.leftSingularVectors.columns;
  const vc = d.rightSingularVectors.columns;
  // Thin r-column factors, whatever width ml-matrix returned.
  const uu = new Float64Array(m * r);
  const vv = new Float64Array(n * r);
  for (let i = 0; i < m; i++) for (let c = 0; c < r; c++) uu[i * r + c] = u[i * uc + c];
  for (let i = 0; i < n; i++) for (let c = 0; c < r; c++) vv[i * r + c] = v[i * vc + c];
  return { u: uu, s: Float64Array.from(d.diagonal.slice(0, r)), v: vv, m, n, r, sweeps: 0, converged: true };
}

function cpuTable(): string {
  const rows: string[][] = [];
  for (const shape of BENCH_SHAPES) {
    const rank = shape.k ? Math.min(shape.m, shape.n, 2 * shape.k) : Math.min(shape.m, shape.n);
    const spectrum = benchSpectrum(rank, shape.k !== undefined);
    const a = Float32Array.from(thinMatrixWithSpectrum(shape.m, shape.n, spectrum, 11));
    const label = shape.k ? `top-${shape.k} of ${shape.m}x${shape.n}` : `${shape.m}x${shape.n}`;
    const impls: Array<[string, () => Svd]> = [
      [shape.k ? 'lab CPU randomized (f64)' : 'lab CPU Jacobi (f64)', () => (shape.k ? randomizedSvd(a, [shape.m, shape.n], shape.k) : svdJacobi(a, [shape.m, shape.n]))],
    ];
    if (!shape.k && shape.m * shape.n <= mlMax) impls.push(['ml-matrix (f64)', () => mlMatrixSvd(a, shape.m, shape.n)]);
    for (const [name, run] of impls) {
      const { times, svd } = timeRuns(run, 3000);
      const acc = svdAccuracy(a, shape.m, shape.n, svd, spectrum);
      rows.push([label, name, median(times).toFixed(1), String(times.length), fmt(acc.reconstruction), fmt(acc.orthogonality), fmt(acc.singularValues)]);
      console.error(`  cpu ${label} ${name}: ${median(times).toFixed(1)} ms`);
    }
    if (!shape.k && shape.m * shape.n > mlMax) rows.push([label, 'ml-matrix (f64)', 'skipped', '-', '-', '-', `m*n > ${mlMax}`]);
  }
  return table(['shape', 'implementation', 'median ms', 'runs', 'reconstr.', 'orthog.', 'sv err/s1'], rows);
}

function gpuRowsTable(rows: GpuBenchRow[]): string {
  return table(['shape', 'median ms', 'runs', 'sweeps', 'reconstr.', 'orthog.', 'sv err/s1'],
    rows.map((r) => [r.shape, r.medianMs.toFixed(1), String(r.runs), String(r.sweeps), fmt(r.reconstruction), fmt(r.orthogonality), fmt(r.singularValues)]));
}

/** Node's interaction figures. */
type Interaction = SessionTiming & { where: string };

async function nodeInteraction(): Promise<Interaction> {
  await useNodeBackend('wasm');
  const { artifacts, name } = await readModelFromDisk(join(REPO_ROOT, 'public', 'models', 'mlp-64', 'model.json'));
  const session = await LabSession.open(artifacts, name, await readSample('test'), nodeSvd);
  try {
    return { where: 'Node, TF.js wasm', ...(await timeSession(session, 30)) };
  } finally {
    session.dispose();
  }
}

type BrowserBench = { bench(shapes: readonly BenchShape[], reps: number): Promise<{ adapter: string; rows: GpuBenchRow[] }> };

async function gpuPart(): Promise<string> {
  const h = await startDevHarness();
  try {
    const page = await h.open('/src/cli/gpuBench/index.html');
    const probe = await page.evaluate(async () => {
      const adapter = await navigator.gpu?.requestAdapter();
      return { fallback: (adapter?.info as GPUAdapterInfo & { isFallbackAdapter?: boolean })?.isFallbackAdapter ?? true };
    });
    const shapes = probe.fallback && !args.includes('--all-gpu-shapes') ? BENCH_SHAPES.filter((s) => s.m * s.n <= 784 * 256) : BENCH_SHAPES;
    const { adapter, rows } = await page.evaluate(([sh, r]) => (window as unknown as BrowserBench).bench(sh, r), [shapes, reps] as const);
    const skipped = BENCH_SHAPES.filter((s) => !shapes.includes(s)).map((s) => (s.k ? `top-${s.k} of ${s.m}x${s.n}` : `${s.m}x${s.n}`));
    const note = skipped.length ? `\n(skipped on this software adapter, too slow to be meaningful: ${skipped.join(', ')}; --all-gpu-shapes runs them)` : '';
    const gpu = `\nLab GPU SVD (WGSL block Jacobi / randomized top-k, float32) in headless Chromium on: ${adapter}${probe.fallback ? ' [software fallback]' : ''}\n${gpuRowsTable(rows)}${note}`;
    await page.close();
    return gpu;
  } finally {
    await h.close();
  }
}

async function browserParts(): Promise<{ gpu: string; interactions: string }> {
  // The dev server and its Chromium are closed before the lab is timed: on 2 cores they are noise.
  const gpu = await gpuPart();
  return { gpu, interactions: await browserInteractionTables(quick) };
}

console.log(`npm run bench: ${new Date().toISOString()}, Node ${process.version}, ${reps} runs after a warm-up unless a run is slow (runs column)`);
// The browser parts first, while this process is small and idle (it also serves the pages).
const browser = args.includes('--no-browser') ? null : await browserParts();
console.log('Matrices have a known spectrum (quarter-circle for full SVDs, geometric 0.9^i for top-k); errors are relative to ||A||_F or s1.');
console.log('\nCPU SVDs in Node (one thread)');
console.log(cpuTable());
const node = await nodeInteraction();
if (browser) console.log(browser.gpu);
console.log('\nEvaluation before and after the activation cache, Node (TF.js wasm), same run: p50 / p95 of rank changes of the first and last factorized layer (all layers at rank 8 otherwise)');
console.log(await evaluationTable());
console.log('\nFactor methods in Node (TF.js wasm): a rank change of fc1 = its factors at the new rank + scores over 10,000 test images');
console.log(await methodsTable(quick ? 5 : 9));
console.log('\nl_p IRLS on a random 784x512 kernel, p = 1, k = 16, 10 steps, both solvers started from its SVD (one run each)');
console.log(lpSolverTable());
console.log('\nmlp-64 interaction in Node: rank change -> scores over 10,000 test images, and a sweep of one layer over its 64 ranks');
console.log(table(['where', 'rank change p50 ms', 'p95 ms', 'sweep (64 ranks) ms'], [[node.where, node.p50.toFixed(1), node.p95.toFixed(1), node.sweepMs.toFixed(0)]]));
if (browser) {
  console.log('\nThe lab in headless Chromium (built app, 10,000 test images): a rank change = setRank until its scores are in the store; long tasks = main-thread tasks over 50 ms (Long Tasks API), 0 when none');
  console.log(browser.interactions);
}
