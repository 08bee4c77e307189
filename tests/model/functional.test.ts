import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { REPO_ROOT, nodeSvd, readModelFromDisk, readSample, useNodeBackend } from '../../src/cli/nodeEnv';
import { LabSession } from '../../src/model/session';
import type { EvalResult } from '../../src/model/evaluate';
import { firstImages } from '../../src/core/mnist';
import { asRank } from '../../src/core/units';
import { stockAccuracyOn } from '../helpers/stockPredict';

/**
 * A functional model with a residual Add and two paths joined by
 * Concatenate (tests/fixtures/residual-cnn, written by npm run fixtures):
 * the lab walks it in topological order, scores the original as stock
 * predict() does, and scores rank changes from cached layer inputs exactly
 * as from the images, starting only where one tensor carries everything
 * later layers read (a cut); inside the residual block and beside the
 * parallel path it starts at the nearest cut before.
 */

const PATH = join(REPO_ROOT, 'tests', 'fixtures', 'residual-cnn', 'model.json');
const k = asRank;

function expectSame(got: EvalResult, want: EvalResult, what: string): void {
  // Float32 sums in another order (the two paths cut chunks into different pieces): at most an argmax tie moves.
  expect(Math.abs(got.accuracy - want.accuracy), what).toBeLessThanOrEqual(1 / got.count);
  expect(Math.abs(got.agreement - want.agreement), what).toBeLessThanOrEqual(1 / got.count);
  expect(Math.abs(got.relativeLogitError - want.relativeLogitError), what).toBeLessThanOrEqual(1e-5 * Math.max(1, want.relativeLogitError));
}

describe('a functional model with residual and parallel paths', () => {
  it('opens in topological order with its connections, and marks where a pass may start', async () => {
    await useNodeBackend('wasm');
    const { artifacts, name } = await readModelFromDisk(PATH);
    const session = await LabSession.open(artifacts, name, firstImages(await readSample('test'), 100), nodeSvd);
    try {
      const { lab } = session;
      const at = (n: string) => lab.layers.findIndex((l) => l.name === n);
      const reads = (n: string) => lab.inputsOf[at(n)].map((j) => (j < 0 ? 'input' : lab.layers[j].name)).sort();
      expect(reads('add')).toEqual(['conv_a', 'conv_c']);
      expect(reads('concat')).toEqual(['conv_d', 'conv_e']);
      expect(reads('conv_a')).toEqual(['input']);
      expect(lab.layers[lab.outputIndex].name).toBe('out');
      // Every layer runs after what it reads.
      lab.inputsOf.forEach((from, i) => from.forEach((j) => expect(j).toBeLessThan(i)));
      const cuts = lab.layers.filter((_, i) => lab.cut[i]).map((l) => l.name);
      // conv_b's input is conv_a's output, which the Add also reads: still one tensor. conv_c has conv_a's output
      // pending beside its own input; conv_d and conv_e read the same pooled tensor, but conv_e has conv_d's output pending.
      for (const n of ['conv_a', 'conv_b', 'pool', 'conv_d', 'flat', 'fc', 'out']) expect(cuts).toContain(n);
      for (const n of ['conv_c', 'add', 'conv_e', 'concat']) expect(cuts).not.toContain(n);
    } finally {
      session.dispose();
    }
  });

  it('scores the original as stock predict() does, and rank changes from cached inputs as from the images', async () => {
    await useNodeBackend('wasm');
    const count = 800;
    const sample = firstImages(await readSample('test'), count);
    const { artifacts, name } = await readModelFromDisk(PATH);
    const before = tf.memory().numTensors;
    const sessions = await Promise.all([{}, { reuse: false }].map((evaluation) =>
      LabSession.open(artifacts, name, sample, nodeSvd, undefined, undefined, undefined, evaluation)));
    const [cached, plain] = sessions;
    const stock = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    try {
      const want = stockAccuracyOn(stock, sample.pixels, sample.labels, count);
      expect(cached.data.referenceAccuracy).toBe(want);
      const at = (n: string) => cached.layers.findIndex((l) => l.name === n);
      const steps: Array<[Record<string, ReturnType<typeof asRank>>, string]> = [
        [{ conv_c: k(3) }, 'conv_b'], // inside the residual block: from conv_b's input (conv_a's output)
        [{ conv_c: k(2) }, 'conv_b'],
        [{ conv_c: k(2), conv_e: k(2) }, 'conv_d'], // beside the 1x1 path: from the pooled tensor
        [{ conv_c: k(2), conv_e: k(2), fc: k(5) }, 'fc'],
        [{ conv_c: k(2), conv_e: k(2), fc: k(3) }, 'fc'],
        [{ conv_a: k(2), fc: k(3) }, 'conv_a'],
        [{ out: k(4) }, 'conv_a'], // a new prefix: nothing cached holds it
        [{ out: k(5) }, 'out'],
      ];
      for (const [plan, start] of steps) {
        const got = await cached.evaluate(plan);
        expect(cached.data.lastStart, JSON.stringify(plan)).toBe(at(start));
        expectSame(got, await plain.evaluate(plan), JSON.stringify(plan));
        // A branching model has no NN-SVD bound: its merge layers have no known Lipschitz constant here.
        expect(got.lipschitzBound).toBeNull();
      }
    } finally {
      stock.dispose();
      sessions.forEach((s) => s.dispose());
    }
    expect(tf.memory().numTensors).toBe(before);
  }, 120_000);
});
