import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { REPO_ROOT, readModelFromDisk, readSample, useNodeBackend, nodeSvd } from '../../src/cli/nodeEnv';
import { artifactsOf } from '../../src/cli/fixtureModels';
import { LabSession } from '../../src/model/session';
import { forwardLogits, type KernelOverride } from '../../src/model/forward';
import { createMethodContext, type MethodContext } from '../../src/model/methods/context';
import { factorPlan, scoreFactoredPlan } from '../../src/model/methods/factorPlan';
import { FACTOR_METHOD_NAMES } from '../../src/model/methods/registry';
import { knobRuleOutcome } from '../../src/model/rules/target';
import { firstImages, type MnistSample } from '../../src/core/mnist';
import type { ExportedModel } from '../../src/model/exportModel';
import { asRank } from '../../src/core/units';
import { downloadExtraBytes } from '../../src/model/plan';

/**
 * Conv2D layers and functional graphs under every factor method: the lab
 * scores the factored plan, the download (stock layers only) loads with
 * plain tf.loadLayersModel, and the stock model computes what the lab
 * computed, image by image: its class probabilities against the lab's own
 * forward pass with the same weights, its argmax, and test accuracy
 * against the lab's evaluation. Two fixtures, seeded weights: a Sequential
 * with a 'same' conv, a strided 'valid' conv with 6 input channels (so
 * ALDS can split it into channel groups) and a Dense head; and the
 * functional residual CNN of tests/fixtures/residual-cnn (npm run
 * fixtures), with a residual Add and two paths joined by Concatenate.
 */

const IMAGES = 300;
let sample: MnistSample;

function convFixture(): tf.Sequential {
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  const m = tf.sequential({ name: 'conv_methods' });
  m.add(tf.layers.conv2d({ name: 'conv1', inputShape: [28, 28, 1], filters: 6, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(1), biasInitializer: tf.initializers.constant({ value: 0.05 }) }));
  m.add(tf.layers.maxPooling2d({ name: 'pool', poolSize: 2 }));
  m.add(tf.layers.conv2d({ name: 'conv2', filters: 8, kernelSize: 3, strides: 2, activation: 'relu', kernelInitializer: init(2), biasInitializer: tf.initializers.constant({ value: 0.02 }) }));
  m.add(tf.layers.flatten({ name: 'flat' }));
  m.add(tf.layers.dense({ name: 'fc', units: 10, activation: 'softmax', kernelInitializer: init(3) }));
  return m;
}

interface Fixture {
  label: string;
  open(): Promise<{ artifacts: tf.io.ModelArtifacts; name: string }>;
  factorizable: Array<[string, [number, number], number]>;
  plan: Record<string, number>;
  /** ALDS's groups: one conv layer in 2 channel groups. */
  grouped: { layer: string; rank: number; channels: number; n: number };
  /** The download's model class. */
  topology: string;
}

const FIXTURES: Fixture[] = [
  {
    label: 'Sequential CNN',
    open: async () => {
      const m = convFixture();
      try {
        return { artifacts: await artifactsOf(m), name: 'conv-methods' };
      } finally {
        m.dispose();
      }
    },
    factorizable: [['conv1', [9, 6], 1], ['conv2', [54, 8], 6], ['fc', [288, 10], 288]],
    plan: { conv1: 2, conv2: 3, fc: 4 },
    grouped: { layer: 'conv2', rank: 3, channels: 6, n: 8 },
    topology: 'Sequential',
  },
  {
    label: 'functional residual CNN',
    open: () => readModelFromDisk(join(REPO_ROOT, 'tests', 'fixtures', 'residual-cnn', 'model.json')),
    factorizable: [['conv_a', [9, 8], 1], ['conv_b', [72, 8], 8], ['conv_c', [72, 8], 8], ['conv_d', [8, 4], 8], ['conv_e', [72, 4], 8], ['fc', [1568, 32], 1568], ['out', [32, 10], 32]],
    plan: { conv_a: 2, conv_c: 3, conv_e: 2, fc: 4 },
    grouped: { layer: 'conv_c', rank: 3, channels: 8, n: 8 },
    topology: 'Model',
  },
];

beforeAll(async () => {
  await useNodeBackend('wasm');
  sample = firstImages(await readSample('test'), IMAGES);
}, 60_000);

/** Stock tf.loadLayersModel over a fetch that serves the two exported files from memory. */
function loadStock(ex: ExportedModel): Promise<tf.LayersModel> {
  const fetchFunc = async (url: RequestInfo | URL) => {
    const file = decodeURIComponent(new URL(String(url)).pathname.split('/').pop()!);
    return new Response(file === 'model.json' ? ex.modelJson : ex.weights);
  };
  return tf.loadLayersModel('http://lab.invalid/model.json', { fetchFunc });
}

const images = () => tf.reshape(tf.div(tf.tensor2d(sample.pixels, [sample.count, 784], 'float32'), 255), [sample.count, 28, 28, 1]);

describe.each(FIXTURES.map((f) => [f.label, f] as const))('%s under every factor method', (_label, fixture) => {
  let session: LabSession;
  let ctx: MethodContext;

  beforeAll(async () => {
    const { artifacts, name } = await fixture.open();
    session = await LabSession.open(artifacts, name, sample, nodeSvd);
    ctx = await createMethodContext(session, firstImages(await readSample('calib'), 200), { svd: nodeSvd });
  }, 120_000);

  afterAll(() => session?.dispose());

  it('factorizes every convolution (channel-major kernel matrices) and Dense layer', () => {
    expect(session.layers.filter((l) => l.factorizable).map((l) => [l.name, l.kernelShape, l.channels])).toEqual(fixture.factorizable);
  });

  it('the energy rule gives every convolution the smallest rank holding 90% of its squared singular values', async () => {
    const outcome = await knobRuleOutcome(ctx, 'energy', 0.9);
    for (const l of session.layers.filter((x) => x.factorizable && x.kind === 'conv2d')) {
      // Oracle: the cumulative energy of the layer's own spectrum, summed here.
      const s = Array.from(session.singularValues(l.name)!);
      const total = s.reduce((a, v) => a + v * v, 0);
      let k = 0;
      for (let acc = 0; acc < 0.9 * total; k++) acc += s[k] * s[k];
      expect(outcome.plan[l.name], l.name).toBe(k);
    }
  });

  it.each(FACTOR_METHOD_NAMES.map((m) => [m]))('%s: the download loads with stock TF.js and predicts what the lab scored, image by image', async (method) => {
    const plan = Object.fromEntries(Object.entries(fixture.plan).map(([l, k]) => [l, asRank(k)]));
    const { layer: grouped, rank, channels, n } = fixture.grouped;
    const point = await factorPlan(ctx, method, plan, { [grouped]: 2 });
    if (method === 'alds') expect(point.detail).toContain(`${grouped}=2 groups x ${rank}`);
    const result = await scoreFactoredPlan(session, point);
    const exported = await session.exportModel(point.plan ?? {}, `conv-${method}`, point.factors);
    const topology = (JSON.parse(exported.modelJson) as { modelTopology: { class_name: string; config: { layers: Array<{ class_name: string }> } } }).modelTopology;
    expect(topology.class_name).toBe(fixture.topology);
    const layers = topology.config.layers.map((l) => l.class_name);
    // No custom classes: every layer is one stock TF.js knows.
    for (const cls of layers) expect(tf.serialization.SerializationMap.getMap().classNameMap[cls]).toBeDefined();
    // The shard holds what the lab says it stores, plus, for ALDS, the 1x1 mix's repeats of each conv group's B.
    if (!method.startsWith('svd+')) {
      const extra = downloadExtraBytes(session.layers, point.plan ?? {}, point.groups ?? {});
      expect(extra).toBe(method === 'alds' ? 4 * rank * (channels - 2) * n : 0);
      expect(exported.weights.byteLength).toBe(point.bytes + extra);
    }
    const stock = await loadStock(exported);
    const before = tf.memory().numTensors;
    try {
      const [stockProbs, labProbs, stockPred, labPred, labels] = tf.tidy(() => {
        const x = images();
        const overrides = new Map<string, KernelOverride>();
        for (const [name, w] of point.kernels ?? []) {
          const info = session.layers.find((l) => l.name === name)!;
          const [m, n] = info.kernelShape!;
          const bias = w.bias ? tf.tensor1d(w.bias) : undefined;
          overrides.set(name, w.factors
            ? { factors: [tf.tensor2d(w.factors.a, [m, w.factors.rank]), tf.tensor2d(w.factors.b, [w.factors.rank, n])], bias }
            : { kernel: tf.tensor2d(w.kernel!, [m, n]), bias });
        }
        const stockOut = stock.predict(x) as tf.Tensor;
        const labOut = tf.softmax(forwardLogits(session.lab, session.factors, point.kernels ? {} : point.plan ?? {}, x, point.kernels ? overrides : undefined));
        return [stockOut.dataSync(), labOut.dataSync(), tf.argMax(stockOut, -1).dataSync(), tf.argMax(labOut, -1).dataSync(), Int32Array.from(sample.labels)];
      });
      let worst = 0;
      for (let i = 0; i < labProbs.length; i++) worst = Math.max(worst, Math.abs(stockProbs[i] - labProbs[i]));
      // Probabilities in [0, 1] from float32 convolutions of <= 54 terms, computed in another order: measured 2.2e-8 to 3.7e-8.
      expect(worst).toBeLessThan(2e-7);
      let ties = 0;
      for (let i = 0; i < IMAGES; i++) if (stockPred[i] !== labPred[i]) ties++;
      expect(ties).toBe(0);
      const stockAccuracy = Array.from(stockPred).reduce<number>((n, p, i) => n + (p === labels[i] ? 1 : 0), 0) / IMAGES;
      expect(stockAccuracy).toBe(result.accuracy);
      // The predictions are not all one class (a constant model would make the comparison vacuous).
      expect(new Set(labPred).size).toBeGreaterThan(2);
    } finally {
      stock.dispose();
    }
    expect(tf.memory().numTensors).toBe(before - stock.weights.length);
  }, 60_000);
});
