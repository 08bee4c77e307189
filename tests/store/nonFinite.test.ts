import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { artifactsOf, filesOf } from '../helpers/fixtures';
import { bootedStore } from '../helpers/bootedStore';
import { createNodeLabEnv } from '../helpers/nodeLabEnv';
import { readSample, useNodeBackend, nodeSvd } from '../../src/cli/nodeEnv';
import { LabSession } from '../../src/model/session';
import { NonFiniteError } from '../../src/model/evaluate';
import { selectPlanKey } from '../../src/store/selectors';
import { plottable, rankSeries, selectSizeChart } from '../../src/store/chartSelectors';
import type { LabState, SweepState } from '../../src/store/types';

/**
 * NaN and Infinity are reported, never shown or plotted as numbers (issue
 * 11, part 5). Float32 overflows in three places: a model whose own
 * products overflow (refused at open, naming the layer), a configuration
 * whose truncation opens a path to huge weights (the store reports that
 * configuration with its method, ranks and layer, and keeps it off the
 * charts), and a factor method's replacement weights that overflow or hold
 * NaN (the session names the layer and says which). The charts' selectors
 * drop non-finite points.
 */

const F32_NEAR_MAX = 3e38;

/** A 784-2-10 MLP whose 784 x 2 kernel `fc1` is filled by `fc1`, and whose `out` kernel rows are `out0` (mixed signs) and `out1`; serialized. */
async function mlpArtifacts(fc1: (kernel: Float32Array) => void, out0: number, out1: number): Promise<tf.io.ModelArtifacts> {
  const model = tf.sequential();
  model.add(tf.layers.dense({ units: 2, activation: 'relu', name: 'fc1', inputShape: [784] }));
  model.add(tf.layers.dense({ units: 10, activation: 'softmax', name: 'out' }));
  const k1 = new Float32Array(784 * 2);
  fc1(k1);
  const k2 = new Float32Array(20);
  for (let j = 0; j < 10; j++) {
    k2[j] = out0 * (j % 3 === 0 ? 1 : -0.5);
    k2[10 + j] = out1;
  }
  model.layers[0].setWeights([tf.tensor2d(k1, [784, 2]), tf.zeros([2])]);
  model.layers[1].setWeights([tf.tensor2d(k2, [2, 10]), tf.zeros([10])]);
  const artifacts = await artifactsOf(model);
  model.dispose();
  return artifacts;
}

/** mlpArtifacts as the two files a user would open. */
async function mlpFiles(fc1: (kernel: Float32Array) => void, out0: number, out1: number): Promise<File[]> {
  const { json, shard } = filesOf(await mlpArtifacts(fc1, out0, out1));
  return [new File([JSON.stringify(json)], 'model.json'), new File([shard], 'weights.bin')];
}

/**
 * Column 0 of fc1 sums the ink of every pixel but the corner (a 0 in every
 * MNIST image) plus 100 x the corner; column 1 is 100 x the corner alone.
 * So the original's unit 1 is relu(0) = 0, and `out`'s huge row for unit 1
 * never counts. At rank 1 both columns become the corner plus half the ink
 * (the best rank-1 fit), unit 1 wakes up, and 3e38 times it is Infinity.
 */
function gatedOverflow(k: Float32Array): void {
  for (let i = 1; i < 784; i++) k[2 * i] = 1;
  k[0] = 100;
  k[1] = 100;
}

const env = createNodeLabEnv();
const store = bootedStore(env, undefined, 120_000);

describe('a model whose own arithmetic overflows float32', () => {
  it('is refused at open with the layer named; the open model stays', async () => {
    // Every weight finite (near float32's maximum): the products of ink and weights are not.
    const files = await mlpFiles((k) => k.fill(F32_NEAR_MAX), 1, 1);
    await store.getState().openModel({ kind: 'files', files });
    const s = store.getState();
    expect(s.error).toMatch(/layer "fc1" gives infinite values/);
    expect(s.error).toMatch(/original model's logits/);
    expect(s.modelId).toBe('mlp-64');
    expect(s.phase).toBe('ready');
    expect(s.history.every((h) => Number.isFinite(h.accuracy) && Number.isFinite(h.bytes))).toBe(true);
  }, 60_000);
});

describe('a configuration whose factorization gives Infinity', () => {
  it('is reported with its method, ranks and layer, shown as not a number and never plotted; other ranks still score', async () => {
    await store.getState().openModel({ kind: 'files', files: await mlpFiles(gatedOverflow, 1, F32_NEAR_MAX) });
    await store.getState().whenIdle();
    let s = store.getState();
    expect(s.error).toBeNull();
    expect(Number.isFinite(s.original!.relativeLogitError)).toBe(true);
    const points = s.history.length;

    s.setRank('fc1', 1);
    await store.getState().whenIdle();
    s = store.getState();
    expect(s.nonFinite?.key).toBe(selectPlanKey(s));
    expect(s.error).toContain('The svd configuration fc1=1,out=dense cannot be scored');
    expect(s.error).toMatch(/layer "out" gives infinite values/);
    // Not plotted: no point was added, and what is shown is not this configuration's.
    expect(s.history).toHaveLength(points);
    expect(s.current?.key).not.toBe(selectPlanKey(s));

    // Another method at the same rank gets its own message with its own name.
    s.setMethod('svd+int8');
    await store.getState().whenIdle();
    s = store.getState();
    expect(s.nonFinite?.key).toBe(selectPlanKey(s));
    expect(s.error).toContain('The svd+int8 configuration');

    // Back to plain SVD at full rank: scored, and the message leaves.
    s.setMethod('svd');
    s.setRank('fc1', 2);
    await store.getState().whenIdle();
    s = store.getState();
    expect(s.current?.key).toBe(selectPlanKey(s));
    expect(Number.isFinite(s.current!.result.accuracy)).toBe(true);
    expect(s.nonFinite).toBeNull();
    expect(s.error).toBeNull();

    // Returning to the failed configuration reports it again (remembered, not rescored into a number).
    s.setRank('fc1', 1);
    await store.getState().whenIdle();
    expect(store.getState().nonFinite?.key).toBe(selectPlanKey(store.getState()));
    expect(store.getState().history.every((h) => Number.isFinite(h.accuracy))).toBe(true);
  }, 60_000);
});

describe('replacement weights that overflow or hold NaN (a diverging factor method)', () => {
  let session: LabSession;
  beforeAll(async () => {
    await useNodeBackend('wasm');
  });

  it('names the layer and says whether the weights or their products are at fault; frees every tensor', async () => {
    const artifacts = await mlpArtifacts((k) => { for (let i = 0; i < k.length; i++) k[i] = ((i * 37) % 11) / 110; }, 1, 1);
    const before = tf.memory().numTensors;
    session = await LabSession.open(artifacts, 'plain', await readSample('test'), nodeSvd);
    const huge = new Float32Array(784).fill(1e20);
    const overflow = new Map([['fc1', { factors: { a: huge, b: new Float32Array(2).fill(1e20), rank: 1 } }]]);
    const err1 = await session.evaluateKernels(overflow).catch((e: unknown) => e);
    expect(err1).toBeInstanceOf(NonFiniteError);
    expect((err1 as NonFiniteError).layer).toBe('fc1');
    expect((err1 as Error).message).toMatch(/layer "fc1" gives infinite values .*replacement weights are finite, so the products overflow float32/);

    const nan = new Float32Array(784 * 2).fill(0.01);
    nan[5] = NaN;
    const err2 = await session.evaluateKernels(new Map([['fc1', { kernel: nan }]])).catch((e: unknown) => e);
    expect((err2 as NonFiniteError).layer).toBe('fc1');
    expect((err2 as Error).message).toMatch(/layer "fc1" gives NaN values .*replacement weights already hold values that are not numbers/);

    // Finite weights still score, and nothing was left behind.
    const fine = await session.evaluateKernels(new Map([['fc1', { kernel: new Float32Array(784 * 2).fill(0.01) }]]));
    expect(Number.isFinite(fine.relativeLogitError)).toBe(true);
    session.dispose();
    expect(tf.memory().numTensors).toBe(before);
  }, 60_000);
});

describe('chart selectors', () => {
  it('drop NaN and Infinity points from the size chart and the rank chart', () => {
    const history = [
      { key: 'a', bytes: 100, accuracy: 0.9 },
      { key: 'b', bytes: 80, accuracy: Number.NaN },
      { key: 'c', bytes: Number.POSITIVE_INFINITY, accuracy: 0.5 },
      { key: 'd', bytes: 60, accuracy: 0.7 },
    ];
    const size = selectSizeChart({ history, size: null, noAccuracy: null } as unknown as LabState);
    expect(size.history.map((h) => h.key)).toEqual(['a', 'd']);
    // The same array while the history is the same (React needs a stable selection).
    expect(selectSizeChart({ history, size: null, noAccuracy: null } as unknown as LabState).history).toBe(size.history);

    const sweep = { id: 1, layer: 'fc1', method: 'svd', baseKey: 'k', points: [{ rank: 1, accuracy: Number.NaN }, { rank: 2, accuracy: 0.8 }, { rank: 3, accuracy: -Infinity }] } as unknown as SweepState;
    expect(rankSeries([sweep], '')[0].points).toEqual([{ rank: 2, accuracy: 80 }]);
    expect(plottable([{ x: 1 }, { x: Number.NaN }], ['x'])).toEqual([{ x: 1 }]);
  });
});
