import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { svdJacobi } from '../core/svd';
import { asRank } from '../core/units';
import { LabSession } from '../model/session';
import { REPO_ROOT, nodeSvd, readModelFromDisk, readSample, useNodeBackend, type NodeBackend } from './nodeEnv';

/**
 * `npm run bench`: prints tables, asserts nothing. CPU SVD time per bundled
 * kernel shape, and the interaction figures on the bundled models: one rank
 * change -> scores over all 10,000 test images (p50/p95 over random rank
 * changes, the evaluation a slider move triggers), and a full sweep of the
 * first layer. Times are medians of repeated runs in this process.
 */

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function median(xs: number[]): number {
  return quantile([...xs].sort((a, b) => a - b), 0.5);
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

async function benchSvd(): Promise<void> {
  const shapes: Array<[number, number]> = [[784, 64], [64, 64], [64, 10], [784, 256], [512, 256], [784, 512]];
  const rows: string[][] = [];
  for (const [m, n] of shapes) {
    const data = new Float32Array(m * n).map(() => Math.random() * 2 - 1);
    svdJacobi(data, [m, n]); // warm-up
    const reps = m * n > 200_000 ? 3 : 7;
    const times: number[] = [];
    let sweeps = 0;
    for (let i = 0; i < reps; i++) {
      const t = performance.now();
      sweeps = svdJacobi(data, [m, n]).sweeps;
      times.push(performance.now() - t);
    }
    rows.push([`${m}x${n}`, median(times).toFixed(1), String(reps), String(sweeps)]);
  }
  console.log('\nCPU SVD (float64 one-sided Jacobi, Node, one thread)');
  console.log(table(['shape', 'median ms', 'runs', 'sweeps'], rows));
}

async function benchInteraction(backend: NodeBackend, ids: string[]): Promise<void> {
  await useNodeBackend(backend);
  const sample = await readSample('test');
  const rows: string[][] = [];
  for (const id of ids) {
    const { artifacts, name } = await readModelFromDisk(join(REPO_ROOT, 'public', 'models', id, 'model.json'));
    const t0 = performance.now();
    const session = await LabSession.open(artifacts, name, sample, nodeSvd);
    const openMs = performance.now() - t0;
    const layers = session.layers.filter((l) => l.factorizable && l.kernelShape);
    const first = layers[0];
    await session.evaluate({ [first.name]: asRank(2) }); // warm-up
    const times: number[] = [];
    for (let i = 0; i < 30; i++) {
      const [m, n] = first.kernelShape!;
      const k = 1 + Math.floor(Math.random() * Math.min(m, n) * 0.4);
      const t = performance.now();
      await session.evaluate({ [first.name]: asRank(k) });
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    const ranks = Math.min(first.kernelShape![0], first.kernelShape![1], 64);
    const t1 = performance.now();
    for (let k = 1; k <= ranks; k++) await session.evaluate({ [first.name]: asRank(k) });
    const sweepMs = performance.now() - t1;
    rows.push([id, backend, openMs.toFixed(0), quantile(times, 0.5).toFixed(1), quantile(times, 0.95).toFixed(1), `${sweepMs.toFixed(0)} (${ranks} ranks)`]);
    session.dispose();
  }
  console.log(`\nInteraction on the ${sample.count.toLocaleString('en-US')} test images (TF.js ${backend} backend in Node)`);
  console.log(table(['model', 'backend', 'open ms (SVD+ref)', 'rank change p50 ms', 'p95 ms', `sweep of first layer ms`], rows));
}

await benchSvd();
await benchInteraction('wasm', ['mlp-64', 'mlp-512']);
console.log(`\ncpu: ${tf.env().platformName ?? 'node'}; numbers are from this machine only; compare rows of the same run.`);
