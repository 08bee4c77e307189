import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { LabSession, type ReplacementWeights } from '../../src/model/session';
import type { EvalResult } from '../../src/model/evaluate';
import type { RankPlan } from '../../src/model/plan';
import { asRank } from '../../src/core/units';
import { REPO_ROOT, nodeSvd, readModelFromDisk, readSample, useNodeBackend } from '../../src/cli/nodeEnv';

/**
 * Scoring from cached layer inputs (and, for a plain-SVD layer, from its
 * input's projection P = X A_r) gives what scoring every plan from the
 * images gives: the oracle is a second session of the same model with the
 * cache off. The test also checks that the cache is used (where a pass
 * starts), stays in its budget, re-uploads nothing that did not change,
 * and frees every tensor on dispose.
 */

let plain: LabSession;
let cached: LabSession;
let tight: LabSession;
let baseline: number;
const ids = { fc1: 0, fc2: 0, out: 0 };

async function open(evaluation: { reuse?: boolean; budgetBytes?: number }): Promise<LabSession> {
  const { artifacts, name } = await readModelFromDisk(join(REPO_ROOT, 'public', 'models', 'mlp-64', 'model.json'));
  return LabSession.open(artifacts, name, await readSample('test'), nodeSvd, undefined, undefined, undefined, evaluation);
}

beforeAll(async () => {
  await useNodeBackend('wasm');
  baseline = tf.memory().numTensors;
  plain = await open({ reuse: false });
  cached = await open({});
  // Room for about one 5,000 x 64 input (1.2 MiB): most entries are evicted as soon as they are made.
  tight = await open({ budgetBytes: 1.5 * 2 ** 20 });
  for (const name of ['fc1', 'fc2', 'out'] as const) ids[name] = cached.layers.findIndex((l) => l.name === name);
}, 120_000);

let disposed = false;

afterAll(() => {
  if (!disposed) for (const s of [plain, cached, tight]) s?.dispose();
});

function expectSame(got: EvalResult, want: EvalResult, what: string): void {
  // Counts of images may differ only where rounding moves an argmax tie: allow one image in 10,000.
  expect(Math.abs(got.accuracy - want.accuracy), what).toBeLessThanOrEqual(1e-4);
  expect(Math.abs(got.agreement - want.agreement), what).toBeLessThanOrEqual(1e-4);
  // Measured differences: up to 3e-7 relative (float32 sums in another order).
  expect(Math.abs(got.relativeLogitError - want.relativeLogitError), what).toBeLessThanOrEqual(2e-6 * Math.max(1, want.relativeLogitError));
  const relative = (a: number, b: number) => (a === b ? 0 : Math.abs(a - b) / Math.abs(b));
  expect(Object.keys(got.inputNorms).sort(), what).toEqual(Object.keys(want.inputNorms).sort());
  for (const [name, norm] of Object.entries(want.inputNorms)) expect(relative(got.inputNorms[name], norm), `${what} ${name}`).toBeLessThan(2e-6);
  expect(typeof got.lipschitzBound, what).toBe(typeof want.lipschitzBound);
  if (typeof want.lipschitzBound === 'number') expect(relative(got.lipschitzBound!, want.lipschitzBound), what).toBeLessThan(2e-6);
}

const k = asRank;

describe('evaluation from cached layer inputs', () => {
  it('scores a sequence of rank changes as scoring from the images does, starting at the changed layer', async () => {
    const steps: Array<[RankPlan, number]> = [
      [{ fc1: k(8) }, 0],
      [{ fc1: k(9) }, ids.fc1], // the first layer's cached input and its projection
      [{ fc1: k(9), fc2: k(4) }, ids.fc2],
      [{ fc1: k(9), fc2: k(5) }, ids.fc2],
      [{ fc1: k(9), fc2: k(5), out: k(3) }, ids.out],
      [{ fc1: k(8), fc2: k(5), out: k(3) }, ids.fc1],
      [{ fc1: k(8), fc2: k(5), out: k(4) }, ids.out],
      [{ out: k(2) }, ids.fc1], // one entry per layer: out's input was last kept for fc1 = 8, fc2 = 5
      [{}, ids.out],
      [{ fc1: k(64), fc2: k(1) }, ids.fc2], // rank 64 does not shrink fc1, so it stays dense: fc1 is unchanged
      // Ranks across projection blocks of 16: three blocks with a partial last one, a whole-block edge, back down.
      [{ fc1: k(40), fc2: k(1) }, ids.fc1],
      [{ fc1: k(48), fc2: k(1) }, ids.fc1],
      [{ fc1: k(33), fc2: k(1) }, ids.fc1],
      [{ fc1: k(17), fc2: k(1) }, ids.fc1],
      [{ fc1: k(40), fc2: k(1) }, ids.fc1],
    ];
    for (const [plan, start] of steps) {
      const what = JSON.stringify(plan);
      const got = await cached.evaluate(plan);
      expectSame(got, await plain.evaluate(plan), what);
      expectSame(await tight.evaluate(plan), got, `${what} (tight budget)`);
      expect(cached.data.lastStart, what).toBe(start);
    }
    expect(tight.data.cachedBytes).toBeLessThanOrEqual(1.5 * 2 ** 20);
  }, 120_000);

  it('uploads only the layer whose replacement weights changed, and scores replacements as from the images', async () => {
    const weights = (name: string, rank: number): ReplacementWeights => {
      const [a, b] = cached.factors.slice(name, rank);
      const w = { factors: { a: a.dataSync() as Float32Array, b: b.dataSync() as Float32Array, rank } };
      a.dispose();
      b.dispose();
      return w;
    };
    const fc2 = weights('fc2', 6);
    const first = new Map([['fc1', weights('fc1', 10)], ['fc2', fc2]]);
    const second = new Map([['fc1', weights('fc1', 11)], ['fc2', fc2]]);
    const third = new Map([['fc1', second.get('fc1')!], ['fc2', weights('fc2', 7)]]);
    const uploads = cached.uploads.uploads;
    expectSame(await cached.evaluateKernels(first), await plain.evaluateKernels(first), 'first');
    expect(cached.uploads.uploads - uploads).toBe(2);
    expectSame(await cached.evaluateKernels(second), await plain.evaluateKernels(second), 'second');
    expect(cached.uploads.uploads - uploads).toBe(3);
    expect(cached.data.lastStart).toBe(ids.fc1);
    expectSame(await cached.evaluateKernels(third), await plain.evaluateKernels(third), 'third');
    expect(cached.uploads.uploads - uploads).toBe(4);
    expect(cached.data.lastStart).toBe(ids.fc2);
  }, 120_000);

  it('keeps a bounded number of tensors, and frees all of them on dispose', async () => {
    // One input per Dense layer per chunk (2 chunks) with up to 64 / 16 projection blocks, two uploads per
    // layer, and per layer 4 ranks' slices, A's column blocks and B's whole row blocks (64, 64 and 10: 4 + 4 + 1
    // each), and 4 ranks' partial row blocks.
    expect(cached.data.cachedTensors).toBeLessThanOrEqual(2 * 3 * (1 + 4));
    expect(cached.uploads.tensors).toBeLessThanOrEqual(2 * 3 * 3);
    expect(cached.factors.keptTensors).toBeLessThanOrEqual(3 * 4 * 2 + 9 + 9 + 3 * 4);
    const before = tf.memory().numTensors;
    const held = cached.cachedTensors;
    for (let i = 0; i < 20; i++) await cached.evaluate({ fc1: k(1 + i), fc2: k(20 - i) });
    expect(tf.memory().numTensors - cached.cachedTensors).toBe(before - held);
    for (const s of [plain, cached, tight]) s.dispose();
    disposed = true;
    expect(tf.memory().numTensors).toBe(baseline);
  }, 120_000);
});
