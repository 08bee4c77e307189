import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { LabSession, type ReplacementWeights } from '../../src/model/session';
import { chunkRowsFor, macsPerExample, type EvalResult } from '../../src/model/evaluate';
import { projectionBlock, projectionBlockCount } from '../../src/model/factors';
import type { RankPlan } from '../../src/model/plan';
import { asRank } from '../../src/core/units';
import { firstImages } from '../../src/core/mnist';
import { REPO_ROOT, nodeSvd, readModelFromDisk, readSample, useNodeBackend } from '../../src/cli/nodeEnv';
import { artifactsOf, cnnFixture } from '../../src/cli/fixtureModels';
import { stockAccuracyOn } from '../helpers/stockPredict';

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
  // Float32 sums in another order: the two paths split chunks into different pieces of rows. Measured up to
  // 3.2e-6 for the relative logit error and 1.6e-5 relative for an input norm (a float32 sum of 320,000
  // squares, whose typical rounding is sqrt(N) u = 3.4e-5).
  expect(Math.abs(got.relativeLogitError - want.relativeLogitError), what).toBeLessThanOrEqual(1e-5 * Math.max(1, want.relativeLogitError));
  const relative = (a: number, b: number) => (a === b ? 0 : Math.abs(a - b) / Math.abs(b));
  expect(Object.keys(got.inputNorms).sort(), what).toEqual(Object.keys(want.inputNorms).sort());
  for (const [name, norm] of Object.entries(want.inputNorms)) expect(relative(got.inputNorms[name], norm), `${what} ${name}`).toBeLessThan(5e-5);
  expect(typeof got.lipschitzBound, what).toBe(typeof want.lipschitzBound);
  if (typeof want.lipschitzBound === 'number') expect(relative(got.lipschitzBound!, want.lipschitzBound), what).toBeLessThan(5e-5);
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
      // Ranks across projection blocks (16, 16, 32 columns): a partial third block, a whole-block edge, back down.
      [{ fc1: k(40), fc2: k(1) }, ids.fc1],
      [{ fc1: k(32), fc2: k(1) }, ids.fc1],
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
    // Per chunk, fc1's input in the groups the images were uploaded in, fc2's and out's in one piece each, and up to
    // 3 projection blocks per layer (16, 16 and 32 columns of 64); two uploads per layer, and per layer 4 ranks'
    // slices, A's column blocks and B's whole row blocks (3 + 3 + 1 each), and 4 ranks' partial row blocks.
    const chunks = cached.data.chunks.length;
    const rows = chunkRowsFor(cached.lab, 10_000);
    expect(chunks).toBe(Math.ceil(10_000 / rows));
    const imageGroups = cached.data.chunks.reduce((n, c) => n + c.x.length, 0);
    expect(cached.data.cachedTensors).toBeLessThanOrEqual(imageGroups + chunks * 2 + chunks * 3 * 3);
    expect(cached.uploads.tensors).toBeLessThanOrEqual(2 * 3 * 3);
    expect(cached.factors.keptTensors).toBeLessThanOrEqual(3 * 4 * 2 + 7 + 7 + 3 * 4);
    const before = tf.memory().numTensors;
    const held = cached.cachedTensors;
    for (let i = 0; i < 20; i++) await cached.evaluate({ fc1: k(1 + i), fc2: k(20 - i) });
    expect(tf.memory().numTensors - cached.cachedTensors).toBe(before - held);
    for (const s of [plain, cached, tight]) s.dispose();
    disposed = true;
    expect(tf.memory().numTensors).toBe(baseline);
  }, 120_000);
});

describe('memory', () => {
  it('keeps the first layer\'s input as the uploaded images themselves, not a copy', async () => {
    await useNodeBackend('wasm');
    const sample = firstImages(await readSample('test'), 2000);
    const { artifacts, name } = await readModelFromDisk(join(REPO_ROOT, 'public', 'models', 'mlp-64', 'model.json'));
    const before = tf.memory();
    const session = await LabSession.open(artifacts, name, sample, nodeSvd);
    try {
      // fc1's cached input is every group of images again, as tensors that share the groups' data buffers
      // (a copy, tf.clone on wasm, would give each its own buffer).
      const after = tf.memory();
      const shared = (after.numTensors - before.numTensors) - (after.numDataBuffers - before.numDataBuffers);
      const groups = session.data.chunks.reduce((n, c) => n + c.x.length, 0);
      expect(groups).toBeGreaterThan(0);
      expect(shared).toBeGreaterThanOrEqual(groups);
    } finally {
      session.dispose();
    }
  }, 120_000);
});

describe('projection blocks', () => {
  it('tile the columns without gaps, and rank k reads the fewest blocks that hold it, at most about 2k columns', () => {
    let end = 0;
    for (let j = 0; j < 20; j++) {
      const [a, b] = projectionBlock(j);
      expect(a).toBe(end);
      expect(b).toBeGreaterThan(a);
      end = b;
    }
    for (let k = 1; k <= 5000; k++) {
      const count = projectionBlockCount(k);
      const read = projectionBlock(count - 1)[1];
      expect(read, `k=${k}`).toBeGreaterThanOrEqual(k);
      if (count > 1) expect(projectionBlock(count - 2)[1], `k=${k}`).toBeLessThan(k);
      expect(read, `k=${k}`).toBeLessThanOrEqual(Math.max(16, 2 * k - 2));
    }
  });
});

describe('a pass through a conv prefix, in pieces of rows', () => {
  it('scores the original as predict() does, and rank changes as scoring from the images does', async () => {
    await useNodeBackend('wasm');
    const count = 1200;
    const sample = firstImages(await readSample('test'), count);
    const before = tf.memory().numTensors;
    // Issue 8's CNN shape, smaller (8 and 32 filters, 32 units): its convolutions cost ~10x its Dense layers,
    // so a pass from the images splits each chunk.
    const model = cnnFixture({ conv1: 8, conv2: 32, units: 32 });
    const artifacts = await artifactsOf(model);
    // A task share of 4 M multiply-adds (the lab's is 75 M) makes this small model's passes from the images
    // split each chunk into pieces, fc1's projection made with them.
    const taskMacs = 4e6;
    const sessions = await Promise.all([{ taskMacs }, { reuse: false, taskMacs }].map((evaluation) =>
      LabSession.open(artifacts, 'small-cnn', sample, nodeSvd, undefined, undefined, undefined, evaluation)));
    const [cached, plain] = sessions;
    try {
      // The reference pass from the images ran in pieces of rows; rank changes of the Dense layers, one piece a chunk.
      const rows = chunkRowsFor(cached.lab, count, taskMacs);
      expect(cached.data.chunks.length).toBe(Math.ceil(count / rows));
      expect(cached.data.lastPieces).toBeGreaterThan(cached.data.chunks.length);
      // Its pieces were the groups the images were uploaded in (cutting rows out of a chunk copies it on wasm).
      expect(cached.data.lastPieces).toBe(cached.data.chunks.reduce((n, c) => n + c.x.length, 0));
      // Oracle for the pieces: stock predict() over all images at once.
      const want = stockAccuracyOn(model, sample.pixels, sample.labels, count);
      expect(cached.data.referenceAccuracy).toBe(want);
      // A chunk's pass from the images costs more than a task, so it ran in pieces.
      const fc1Macs = macsPerExample(cached.lab.chain[cached.layers.findIndex((l) => l.name === 'fc1')]);
      expect(cached.data.chunks.every((c) => c.labels.shape[0] * fc1Macs > taskMacs)).toBe(true);
      for (const [plan, start] of [[{ fc1: k(5) }, 'fc1'], [{ fc1: k(9) }, 'fc1'], [{ fc1: k(9), out: k(3) }, 'out'], [{ fc1: k(4), out: k(3) }, 'fc1']] as const) {
        const got = await cached.evaluate(plan);
        expect(cached.data.lastStart, JSON.stringify(plan)).toBe(cached.layers.findIndex((l) => l.name === start));
        expect(cached.data.lastPieces, JSON.stringify(plan)).toBe(cached.data.chunks.length);
        expectSame(got, await plain.evaluate(plan), JSON.stringify(plan));
        // The reference pass made every kept input's projection; out's input under fc1 = 9 is a later pass's,
        // so its projection is built when out first moves there.
        expect(cached.data.blocksBuiltLate, JSON.stringify(plan)).toBe('out' in plan ? cached.data.chunks.length : 0);
      }
      // Replacement weights read fc1's cached input itself, kept as the groups of rows the pieces made.
      const [a, b] = cached.factors.slice('fc1', 6);
      const kernels = new Map([['fc1', { factors: { a: a.dataSync() as Float32Array, b: b.dataSync() as Float32Array, rank: 6 } }]]);
      tf.dispose([a, b]);
      const replaced = await cached.evaluateKernels(kernels);
      expect(cached.data.lastStart).toBe(cached.layers.findIndex((l) => l.name === 'fc1'));
      expect(cached.data.lastPieces).toBeGreaterThan(cached.data.chunks.length);
      expectSame(replaced, await plain.evaluateKernels(kernels), 'fc1 replaced');
      // A conv rank change runs from the conv layer's own cached input (a convolution has no cached projection).
      for (const [plan, start] of [[{ conv2: k(3) }, 'conv2'], [{ conv1: k(2), conv2: k(3) }, 'conv1'], [{ conv1: k(2), conv2: k(3), fc1: k(4) }, 'fc1']] as const) {
        expectSame(await cached.evaluate(plan), await plain.evaluate(plan), JSON.stringify(plan));
        expect(cached.data.lastStart, JSON.stringify(plan)).toBe(cached.layers.findIndex((l) => l.name === start));
      }
    } finally {
      sessions.forEach((s) => s.dispose());
      model.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  }, 120_000);

  it('never keeps a layer input larger than the budget: that layer runs from the nearest kept input before it', async () => {
    await useNodeBackend('wasm');
    const count = 600;
    const sample = firstImages(await readSample('test'), count);
    const before = tf.memory().numTensors;
    const model = cnnFixture({ conv1: 8, conv2: 16, units: 16 });
    const artifacts = await artifactsOf(model);
    // conv2's input, 26 x 26 x 8 floats an image, is 13 MB on 600 images: over a 10 MiB budget;
    // the images (1.9 MB) and fc1's input (12 x 12 x 16: 5.5 MB) are not.
    const budgetBytes = 10 * 2 ** 20;
    const sessions = await Promise.all([{ budgetBytes }, { reuse: false }].map((evaluation) =>
      LabSession.open(artifacts, 'small-cnn', sample, nodeSvd, undefined, undefined, undefined, evaluation)));
    const [cached, plain] = sessions;
    try {
      const index = (name: string) => cached.layers.findIndex((l) => l.name === name);
      for (const [plan, start] of [[{ conv2: k(3) }, 'conv1'], [{ conv2: k(3), fc1: k(4) }, 'fc1'], [{ conv2: k(5) }, 'conv1']] as const) {
        expectSame(await cached.evaluate(plan), await plain.evaluate(plan), JSON.stringify(plan));
        expect(cached.data.lastStart, JSON.stringify(plan)).toBe(index(start));
        expect(cached.data.cachedBytes).toBeLessThanOrEqual(budgetBytes);
      }
    } finally {
      sessions.forEach((s) => s.dispose());
      model.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  }, 120_000);
});
