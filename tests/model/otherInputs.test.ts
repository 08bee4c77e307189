import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { nodeSvd, readSample, useNodeBackend } from '../../src/cli/nodeEnv';
import { artifactsOf, filesOf } from '../../src/cli/fixtureModels';
import { LabSession, SYNTHETIC_INPUTS, SYNTHETIC_SEED } from '../../src/model/session';
import { createMethodContext } from '../../src/model/methods/context';
import { factorPlan, scoreFactoredPlan } from '../../src/model/methods/factorPlan';
import { firstImages, syntheticSample } from '../../src/core/mnist';
import { asRank } from '../../src/core/units';
import { runCli } from '../helpers/runCli';

/**
 * Models that are not MNIST classifiers open, decompose, score and export:
 * a 32 x 32 x 3 input with 5 classes is scored on seeded synthetic inputs,
 * a 28 x 28 x 1 input with 3 outputs on the MNIST test images, neither
 * with an accuracy (no labels); the scores compare with the original model.
 * Oracle: stock TF.js predict() of the original and of the downloaded
 * compressed model on the same inputs, agreement and cosine computed here
 * in float64.
 */

const PLAN_RANK = 3;
function colourModel(): tf.LayersModel {
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  const m = tf.sequential({ name: 'colour' });
  m.add(tf.layers.conv2d({ name: 'conv1', inputShape: [32, 32, 3], filters: 8, kernelSize: 3, activation: 'relu', kernelInitializer: init(1) }));
  m.add(tf.layers.maxPooling2d({ name: 'pool', poolSize: 2 }));
  m.add(tf.layers.conv2d({ name: 'conv2', filters: 16, kernelSize: 3, activation: 'relu', kernelInitializer: init(2) }));
  m.add(tf.layers.globalAveragePooling2d({ name: 'gap' }));
  m.add(tf.layers.dense({ name: 'logits', units: 5, kernelInitializer: init(3) }));
  return m;
}

/** Top-1 agreement and mean cosine of two row-major N x c score matrices, in float64. */
function compare(a: Float32Array, b: Float32Array, classes: number): { agreement: number; cosine: number } {
  const rows = a.length / classes;
  let agree = 0;
  let cosine = 0;
  for (let r = 0; r < rows; r++) {
    let [ia, ib, dot, na, nb] = [0, 0, 0, 0, 0];
    for (let c = 0; c < classes; c++) {
      const [x, y] = [a[r * classes + c], b[r * classes + c]];
      if (x > a[r * classes + ia]) ia = c;
      if (y > b[r * classes + ib]) ib = c;
      dot += x * y;
      na += x * x;
      nb += y * y;
    }
    agree += ia === ib ? 1 : 0;
    cosine += dot / Math.sqrt(na * nb);
  }
  return { agreement: agree / rows, cosine: cosine / rows };
}

describe('models that are not MNIST classifiers', () => {
  it('a 32x32x3 model: scored on seeded synthetic inputs against the original, no accuracy, and its download agrees', async () => {
    await useNodeBackend('wasm');
    const model = colourModel();
    const before = tf.memory().numTensors;
    const session = await LabSession.open(await artifactsOf(model), 'colour', await readSample('test'), nodeSvd);
    try {
      expect(session.lab.data).toBe('synthetic');
      expect(session.lab.noAccuracy).toMatch(/input is \[32, 32, 3\], not a 28x28 MNIST image/);
      expect(session.layers.filter((l) => l.factorizable).map((l) => l.name)).toEqual(['conv1', 'conv2', 'logits']);
      expect(session.singularValues('conv2')?.length).toBe(16);
      const original = await session.evaluate({});
      expect([original.labelled, original.agreement, original.accuracy]).toEqual([false, 1, 1]);
      expect(original.outputCosine).toBeCloseTo(1, 6);

      const plan = { conv2: asRank(PLAN_RANK) };
      const result = await session.evaluate(plan);
      expect(result.labelled).toBe(false);
      // Without labels, accuracy is agreement with the original's predictions.
      expect(result.accuracy).toBe(result.agreement);
      const exported = await session.exportModel(plan, 'colour');
      const json = JSON.parse(exported.modelJson) as { modelTopology: object; weightsManifest: Array<{ weights: tf.io.WeightsManifestEntry[] }> };
      const stock = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: exported.weights }));
      const inputs = syntheticSample([32, 32, 3], SYNTHETIC_INPUTS, SYNTHETIC_SEED);
      expect(session.data.count).toBe(inputs.count);
      const [want, got] = tf.tidy(() => {
        const x = tf.reshape(tf.div(tf.tensor2d(inputs.pixels, [inputs.count, 32 * 32 * 3], 'float32'), 255), [inputs.count, 32, 32, 3]);
        return [(model.predict(x) as tf.Tensor).dataSync() as Float32Array, (stock.predict(x) as tf.Tensor).dataSync() as Float32Array];
      });
      stock.dispose();
      const oracle = compare(got, want, 5);
      expect(oracle.agreement).toBeLessThan(1);
      expect(oracle.agreement).toBeGreaterThan(0);
      expect(Math.abs(result.agreement - oracle.agreement)).toBeLessThanOrEqual(1 / inputs.count);
      // float32 sums in the lab against float64 here: measured 5.2e-9.
      expect(Math.abs(result.outputCosine - oracle.cosine)).toBeLessThan(5e-8);

      // Data-aware factors fit to synthetic calibration inputs of the model's own shape.
      const ctx = await createMethodContext(session, await readSample('calib'), { svd: nodeSvd });
      expect(ctx.calibration.get('conv1')!.cols).toBe(27);
      const dataAware = await scoreFactoredPlan(session, await factorPlan(ctx, 'data-aware', plan));
      expect(dataAware.outputCosine).toBeGreaterThan(0);
    } finally {
      session.dispose();
      model.dispose();
    }
    expect(tf.memory().numTensors).toBe(before - model.weights.length);
  }, 120_000);

  it('a 28x28x1 model with 3 outputs: scored on the MNIST test images without accuracy', async () => {
    await useNodeBackend('wasm');
    const m = tf.sequential({ layers: [
      tf.layers.flatten({ inputShape: [28, 28, 1], name: 'flat' }),
      tf.layers.dense({ units: 16, activation: 'relu', name: 'fc', kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }),
      tf.layers.dense({ units: 3, name: 'three', kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }) }),
    ] });
    const session = await LabSession.open(await artifactsOf(m), 'three', firstImages(await readSample('test'), 500), nodeSvd);
    try {
      expect(session.lab.data).toBe('mnist-unlabelled');
      expect(session.lab.noAccuracy).toMatch(/3 outputs, not MNIST's 10 classes/);
      expect(session.data.count).toBe(500);
      const r = await session.evaluate({ fc: asRank(1) });
      expect([r.labelled, r.accuracy === r.agreement]).toEqual([false, true]);
    } finally {
      session.dispose();
      m.dispose();
    }
  }, 60_000);

  it('the CLI says accuracy does not apply and why, and prints agreement and cosine', async () => {
    await useNodeBackend('wasm');
    const model = colourModel();
    const files = filesOf(await artifactsOf(model));
    model.dispose();
    const dir = mkdtempSync(join(tmpdir(), 'lab-colour-'));
    writeFileSync(join(dir, 'model.json'), JSON.stringify(files.json));
    writeFileSync(join(dir, 'weights.bin'), new Uint8Array(files.shard));
    const run = runCli(['evaluate', '--model', join(dir, 'model.json'), '--ranks', 'conv2=2'], 120_000);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/accuracy does not apply: the model's input is \[32, 32, 3\]/);
    expect(run.stdout).toMatch(/accuracy n\/a \| agreement [\d.]+% \| output cosine 0\.\d{4}/);
  }, 120_000);
});
