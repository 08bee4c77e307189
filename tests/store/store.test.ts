import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { REPO_ROOT, readSample, useNodeBackend } from '../../src/cli/nodeEnv';
import { stockAccuracy } from '../helpers/stockAccuracy';
import { selectPlanKey } from '../../src/store/selectors';
import { createLabStore } from '../../src/store/createLabStore';
import type { LabState } from '../../src/store/types';
import type { MnistSample } from '../../src/core/mnist';
import { createNodeLabEnv, modelFiles } from '../helpers/nodeLabEnv';
import { denseKernels, energyKept, energyRankByDefinition, kernelSvd } from '../helpers/rankOracle';

/**
 * The store's real flows in Node (wasm backend, inline SVD): opening the
 * bundled model, 200 slider moves without leaking a tensor, results only
 * for the ranks on screen, sweeps that cancel, and bad models that leave
 * the lab as it was. Every test gets its own freshly booted store (about a
 * second each), so no test leans on what an earlier one left behind; only
 * the decoded MNIST samples, which nothing writes to, are read once.
 */

let testSample: Promise<MnistSample> | null = null;
let calibrationSample: Promise<MnistSample> | null = null;
let env: ReturnType<typeof createNodeLabEnv>;
let store: ReturnType<typeof createLabStore>;

beforeAll(async () => {
  await useNodeBackend('wasm');
});

beforeEach(async () => {
  env = createNodeLabEnv();
  env.loadTestSample = () => (testSample ??= readSample('test'));
  env.loadCalibrationSample = () => (calibrationSample ??= readSample('calib'));
  store = createLabStore(env);
  await store.getState().boot();
  await store.getState().whenIdle();
}, 120_000);

afterEach(async () => {
  await store.dispose();
});

/**
 * Runs `act` inside the store update in which `when` first holds, and resolves then:
 * a cancel lands at a known point of the work (e.g. right after its first result),
 * never after a guessed delay that a fast or slow machine could miss.
 */
function onFirst(when: (s: LabState) => boolean, act: () => void): Promise<void> {
  return new Promise((resolve) => {
    const unsubscribe = store.subscribe((s) => {
      if (!when(s)) return;
      unsubscribe();
      act();
      resolve();
    });
  });
}

/** Tensors alive outside the session's caches (layer inputs and uploaded weights it keeps on purpose, bounded: see tests/model/activationCache). */
const liveTensors = () => tf.memory().numTensors - store.getState().cachedTensors();

describe('lab store', () => {
  it('opens the bundled mlp-64 and scores the original model', () => {
    const s = store.getState();
    expect(s.phase).toBe('ready');
    expect(s.modelId).toBe('mlp-64');
    expect(s.layers.filter((l) => l.factorizable).map((l) => l.name)).toEqual(['fc1', 'fc2', 'out']);
    expect(s.original!.accuracy).toBeGreaterThan(0.945);
    expect(s.current!.result.agreement).toBe(1);
    expect(s.current!.result.relativeLogitError).toBe(0);
    expect(s.history).toEqual([{ key: 'fc1=dense,fc2=dense,out=dense', accuracy: s.original!.accuracy, bytes: 4 * 55050 }]);
  });

  it('returns to the same tensor count after 200 slider moves', async () => {
    await store.getState().whenIdle();
    const start = liveTensors();
    for (let i = 0; i < 200; i++) {
      store.getState().setRank(i % 2 === 0 ? 'fc1' : 'fc2', 1 + ((i * 7) % 64));
      if (i % 10 === 0) await new Promise((r) => setTimeout(r, 0)); // let some evaluations start and be superseded
    }
    await store.getState().whenIdle();
    const s = store.getState();
    expect(s.current!.key).toBe(selectPlanKey(s));
    expect(liveTensors()).toBe(start);
  });

  it('shows a result only for the ranks on screen, lower at lower rank', async () => {
    store.getState().setRank('fc1', 2);
    store.getState().setRank('fc2', 2);
    await store.getState().whenIdle();
    const low = store.getState().current!;
    expect(low.key).toBe('fc1=2,fc2=2,out=dense');
    store.getState().setRank('fc1', 24);
    store.getState().setRank('fc2', 24);
    expect(store.getState().current!.key).not.toBe(selectPlanKey(store.getState()));
    await store.getState().whenIdle();
    const high = store.getState().current!;
    expect(high.key).toBe('fc1=24,fc2=24,out=dense');
    expect(high.result.accuracy).toBeGreaterThan(low.result.accuracy);
  });

  it('sweeps a layer over all its ranks, and a cancelled sweep stops', async () => {
    const start = liveTensors();
    const historyBefore = store.getState().history.length;
    await store.getState().startSweep('fc2');
    const sweep = store.getState().sweep!;
    expect(sweep.status).toBe('done');
    expect(sweep.points.map((p) => p.rank)).toEqual(Array.from({ length: 64 }, (_, i) => i + 1));
    expect(store.getState().history.length).toBeGreaterThan(historyBefore);
    // Cancelled as soon as the sweep of fc1 has published its first rank: no further rank is scored.
    const cancelled = onFirst((s) => s.sweep?.layer === 'fc1' && s.sweep.status === 'running' && s.sweep.done >= 1, () => store.getState().cancelSweep());
    const run = store.getState().startSweep('fc1');
    store.getState().setRank('fc2', 5); // not fc1: sweep goes on with its own base
    await cancelled;
    await run;
    await store.getState().whenIdle();
    expect(store.getState().sweep!.status).toBe('cancelled');
    expect(store.getState().sweep!.done).toBe(1);
    expect(liveTensors()).toBe(start);
  });

  it('keeps the last good model when a broken one is opened', async () => {
    const before = store.getState();
    const dir = join(REPO_ROOT, 'public', 'models', 'mlp-64');
    await store.getState().openModel({ kind: 'files', files: await modelFiles(dir, ['model.json']) });
    const after = store.getState();
    expect(after.error).toMatch(/weights\.bin/);
    expect(after.phase).toBe('ready');
    expect(after.layers).toBe(before.layers);
    expect(after.plan).toBe(before.plan);
    store.getState().setRank('fc1', 3);
    await store.getState().whenIdle();
    expect(store.getState().current!.key).toBe(selectPlanKey(store.getState()));
  });

  it('opens a model at the ranks of a share link, and ignores bad ones with a message', async () => {
    await store.getState().openModel({ kind: 'bundled', id: 'mlp-64' }, 'fc1=7,fc2=9');
    await store.getState().whenIdle();
    expect(store.getState().current!.key).toBe('fc1=7,fc2=9,out=dense');
    await store.getState().openModel({ kind: 'bundled', id: 'mlp-64' }, 'fc1=999');
    await store.getState().whenIdle();
    expect(store.getState().phase).toBe('ready');
    expect(store.getState().error).toMatch(/ranks in the address were ignored.*Rank 999/);
    expect(store.getState().current!.key).toBe('fc1=dense,fc2=dense,out=dense');
  });

  it('opens a share link with a factor method and ALDS groups, and ignores bad groups with a message', async () => {
    await store.getState().boot({ model: 'mlp-64', ranks: 'fc1=8,fc2=5', method: 'alds', groups: 'fc1=4' });
    await store.getState().whenIdle();
    expect(store.getState().current!.key).toBe('alds|fc1=4x8,fc2=5,out=dense');
    await store.getState().boot({ model: 'mlp-64', ranks: 'fc1=8', method: 'alds', groups: 'fc1=5' });
    await store.getState().whenIdle();
    expect(store.getState().error).toMatch(/channel groups in the address were ignored: 5 channel groups do not divide/);
    expect(store.getState().current!.key).toBe('alds|fc1=8,fc2=dense,out=dense');
  });

  it('scores the chosen factor method and sets ranks by rule', async () => {
    store.getState().setRank('fc1', 16);
    store.getState().setRank('fc2', 16);
    await store.getState().whenIdle();
    const svd = store.getState().current!;
    store.getState().setMethod('data-aware');
    expect(store.getState().current!.key).not.toBe(selectPlanKey(store.getState()));
    await store.getState().whenIdle();
    const dataAware = store.getState().current!;
    expect(dataAware.key).toBe('data-aware|fc1=16,fc2=16,out=dense');
    expect(dataAware.bytes).toBe(svd.bytes);
    expect(dataAware.result.accuracy).toBeGreaterThan(svd.result.accuracy);
    store.getState().setMethod('svd+int8');
    await store.getState().whenIdle();
    const int8 = store.getState().current!;
    expect(int8.bytes).toBeLessThan(svd.bytes / 3);
    // The quantized factors download in TF.js's own uint8 weight format, and stock TF.js scores them as the lab did.
    await store.getState().download();
    expect(store.getState().error).toBeNull();
    const quantized = env.downloads.at(-1)!;
    const qJson = JSON.parse(quantized.modelJson);
    const specs = qJson.weightsManifest[0].weights as Array<{ name: string; quantization?: { dtype: string } }>;
    expect(specs.filter((w) => w.quantization?.dtype === 'uint8').map((w) => w.name).sort()).toEqual(['fc1_u/kernel', 'fc1_v/kernel', 'fc2_u/kernel', 'fc2_v/kernel']);
    expect(store.getState().lastDownload!.bytes).toBeLessThan(svd.bytes / 2);
    const stockInt8 = await stockAccuracy(await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: qJson.modelTopology, weightSpecs: specs as tf.io.WeightsManifestEntry[], weightData: quantized.weights })));
    expect(stockInt8).toBeCloseTo(int8.result.accuracy, 3);

    // Data-aware factors download as two stock Dense layers with the corrected bias,
    // and stock TF.js scores them exactly as the lab did.
    store.getState().setMethod('data-aware');
    await store.getState().whenIdle();
    await store.getState().download();
    const file = env.downloads.at(-1)!;
    const json = JSON.parse(file.modelJson);
    const stock = await stockAccuracy(await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: file.weights })));
    expect(stock).toBeCloseTo(dataAware.result.accuracy, 3);
    store.getState().setMethod('svd');
    await store.getState().applyRule('energy', 0.9);
    await store.getState().whenIdle();
    // The oracle: each kernel read from the model's files, its float64 SVD, and the smallest k keeping 90% of sum s_i^2.
    const expected: Record<string, number> = {};
    for (const [name, kernel] of denseKernels(join(REPO_ROOT, 'public', 'models', 'mlp-64'))) {
      const s = kernelSvd(kernel).s;
      const k = energyRankByDefinition(s, 0.9);
      expect(energyKept(s, k), name).toBeGreaterThanOrEqual(0.9);
      expect(energyKept(s, k - 1), name).toBeLessThan(0.9);
      expected[name] = k;
    }
    expect(store.getState().plan).toEqual(expected);
    expect(store.getState().current!.key).toBe(selectPlanKey(store.getState()));
    expect(store.getState().current!.key).toBe(`fc1=${expected.fc1},fc2=${expected.fc2},out=${expected.out}`);
  });

  it('applies the ALDS rule with its channel groups, scores and downloads them', async () => {
    const start = liveTensors();
    await store.getState().applyRule('alds', 0.1);
    await store.getState().whenIdle();
    const st = store.getState();
    expect(st.error).toBeNull();
    expect(st.method).toBe('alds');
    expect(st.ruleDetail).toMatch(/fc1 k=\d+ j=/);
    // Never over budget: 10% of the three kernels' and biases' parameters.
    const full = st.layers.filter((l) => l.factorizable).reduce((sum, l) => sum + l.params, 0);
    const factorized = st.size!.layers.filter((l) => st.layers.find((i) => i.name === l.name)!.factorizable).reduce((sum, l) => sum + l.params, 0);
    expect(factorized).toBeLessThanOrEqual(Math.floor(0.1 * full));
    expect(st.current!.key).toBe(selectPlanKey(st));
    expect(st.current!.bytes).toBe(st.size!.bytes);
    await store.getState().download();
    const file = env.downloads.at(-1)!;
    const json = JSON.parse(file.modelJson);
    const stock = await stockAccuracy(await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: file.weights })));
    expect(stock).toBeCloseTo(st.current!.result.accuracy, 3);
    if (Object.keys(st.groups).length > 0) expect(json.modelTopology.config.layers.map((l: { class_name: string }) => l.class_name)).toContain('DepthwiseConv2D');
    expect(liveTensors()).toBe(start);
    store.getState().setMethod('svd');
  });

  it('finds the smallest model reaching a target accuracy on the calibration images', async () => {
    await store.getState().applyRule('target', 0.9, 'energy');
    await store.getState().whenIdle();
    const st = store.getState();
    expect(st.error).toBeNull();
    expect(st.ruleDetail).toMatch(/energy kept tau [0-9.]+: \d+\.\d+% on the calibration images reaches 90\.00%/);
    const reached = Number(/: (\d+\.\d+)%/.exec(st.ruleDetail!)![1]);
    expect(reached).toBeGreaterThanOrEqual(90);
    // A target nobody reaches is reported as such, not silently met.
    await store.getState().applyRule('target', 1, 'output-error');
    expect(store.getState().ruleDetail).toMatch(/best seen, short of 100\.00%/);
  });

  it('cancels a rule search and keeps the ranks it started from', async () => {
    store.getState().setRank('fc1', 7);
    await store.getState().whenIdle();
    const before = store.getState().plan;
    const run = store.getState().applyRule('target', 0.99, 'alds');
    // The search is under way: cancel it at once, before any of its work has come back.
    expect(store.getState().ruleRun).not.toBeNull();
    store.getState().cancelRule();
    await run;
    expect(store.getState().ruleRun).toBeNull();
    expect(store.getState().plan).toEqual(before);
    expect(store.getState().error).toBeNull();
  });

  it('sweeps a layer under the selected factor method', async () => {
    store.getState().setMethod('data-aware');
    store.getState().setRank('fc1', 16);
    store.getState().setRank('out', 10);
    await store.getState().startSweep('fc2');
    const sweep = store.getState().sweep!;
    expect([sweep.status, sweep.method, sweep.points.length]).toEqual(['done', 'data-aware', 64]);
    // fc2 is 64x64: ranks 1..31 shrink it, 32..64 leave it dense (one configuration).
    expect(store.getState().history.filter((h) => h.key.startsWith('data-aware|fc1=16,fc2=')).length).toBe(32);
    // The slider at a swept rank shows what the sweep measured there, through the same factors.
    store.getState().setRank('fc2', 3);
    await store.getState().whenIdle();
    expect(store.getState().current!.result.accuracy).toBe(sweep.points.find((p) => p.rank === 3)!.accuracy);
    // The plain sweep of the same layer at the same other ranks scores other factors.
    store.getState().setMethod('svd');
    await store.getState().startSweep('fc2');
    const plain = store.getState().sweep!;
    expect(plain.method).toBe('svd');
    expect(plain.points.filter((p, i) => p.rank < 32 && p.accuracy !== sweep.points[i].accuracy).length).toBeGreaterThan(20);
  });

  it('compares the methods with progress, exports CSV, and cancels', async () => {
    const start = liveTensors();
    await store.getState().startCompare();
    const c = store.getState().compare!;
    expect(c.status).toBe('done');
    expect(new Set(c.rows.map((r) => r.method)).size).toBe(8);
    store.getState().exportCompareCsv();
    expect(env.texts.at(-1)!.name).toBe('mlp-64-methods.csv');
    expect(env.texts.at(-1)!.text.split('\n')).toHaveLength(c.rows.length + 1);
    // Cancelled inside the update that publishes the second run's first progress.
    const cancelled = onFirst((s) => s.compare?.status === 'running' && s.compare.done > 0, () => store.getState().cancelCompare());
    const run = store.getState().startCompare();
    await cancelled;
    await run;
    expect(store.getState().compare!.status).toBe('cancelled');
    expect(liveTensors()).toBe(start);
  });

  it('downloads the plan on screen and reports the real file size', async () => {
    store.getState().setRank('fc1', 3);
    store.getState().setRank('fc2', 5);
    store.getState().setRank('out', 10); // full rank: the head stays one Dense layer
    await store.getState().download();
    const file = env.downloads.at(-1)!;
    expect(store.getState().lastDownload!.bytes).toBe(new TextEncoder().encode(file.modelJson).length + file.weights.byteLength);
    expect(JSON.parse(file.modelJson).modelTopology.config.layers.map((l: { config: { name: string } }) => l.config.name))
      .toEqual(['fc1_u', 'fc1_v', 'drop1', 'fc2_u', 'fc2_v', 'drop2', 'out']);
  });
});

describe('input scale', () => {
  it('shows how the model is fed, and opens it again at a chosen scale keeping the ranks', async () => {
    const s0 = store.getState();
    expect(s0.modelId).toBe('mlp-64');
    expect(s0.inputScale?.scale).toBe(1);
    expect(s0.inputScale?.how).toMatch(/^(detected|assumed)/);
    store.getState().setRank('fc1', 12);
    await store.getState().whenIdle();
    await store.getState().setInputScale(255);
    await store.getState().whenIdle();
    const s1 = store.getState();
    expect(s1.phase).toBe('ready');
    expect(s1.inputScale).toEqual({ scale: 255, how: 'chosen' });
    expect(s1.plan.fc1).toBe(12);
    // The same network fed raw pixels scores differently (for this ReLU MLP, a little).
    expect(s1.original!.accuracy).not.toBe(s0.original!.accuracy);
    await store.getState().setInputScale(1);
    await store.getState().whenIdle();
    expect(store.getState().inputScale).toEqual({ scale: 1, how: 'chosen' });
    expect(store.getState().original!.accuracy).toBe(s0.original!.accuracy);
  }, 120_000);
});
