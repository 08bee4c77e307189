import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { REPO_ROOT, nodeSvd, readModelFromDisk, readSample, useNodeBackend } from '../../src/cli/nodeEnv';
import { LabSession } from '../../src/model/session';
import { collectLayerInputs } from '../../src/model/calibration';
import { firstImages } from '../../src/core/mnist';

/**
 * Input scaling (issue 9, item 7): the oracle for a raw-pixel model is
 * mlp-64 itself with fc1's kernel divided by 255, which computes on raw
 * pixels exactly what mlp-64 computes on pixels scaled to 0..1.
 */

async function mlp64(): Promise<{ artifacts: tf.io.ModelArtifacts; name: string }> {
  return readModelFromDisk(join(REPO_ROOT, 'public', 'models', 'mlp-64', 'model.json'));
}

/** mlp-64 made to take raw 0..255 pixels: fc1's kernel / 255, or (rescale) a Rescaling(1/255) layer in front. */
async function rawTwin(how: 'kernel' | 'rescale'): Promise<tf.io.ModelArtifacts> {
  const { artifacts } = await mlp64();
  const original = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  const model = tf.sequential({ name: 'raw_twin' });
  if (how === 'rescale') model.add(tf.layers.rescaling({ inputShape: [784], scale: 1 / 255 }));
  for (const [i, layer] of original.layers.entries()) {
    const config = layer.getConfig();
    const clone = tf.layers[layer.getClassName() === 'Dense' ? 'dense' : 'dropout']({ ...config, ...(i === 0 && how === 'kernel' ? { batchInputShape: [null, 784] } : {}) } as never);
    model.add(clone);
    const weights = layer.getWeights();
    const scaled = i === 0 && how === 'kernel' ? tf.div(weights[0], 255) : null;
    clone.setWeights(scaled ? [scaled, ...weights.slice(1)] : weights);
    scaled?.dispose();
  }
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (a) => { saved = a; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }; }));
  model.dispose();
  original.dispose();
  return saved!;
}

describe('input scaling', () => {
  it('detects 0..1 for the bundled MLP and 0..255 for its raw-pixel twin, which then scores as the MLP does', async () => {
    await useNodeBackend('wasm');
    const sample = firstImages(await readSample('test'), 2000);
    const before = tf.memory().numTensors;
    const { artifacts, name } = await mlp64();
    const unit = await LabSession.open(artifacts, name, sample, nodeSvd);
    const raw = await LabSession.open(await rawTwin('kernel'), 'raw', sample, nodeSvd);
    try {
      // A ReLU MLP is nearly indifferent to the input's scale (its biases are small): 0..1, the convention.
      expect(unit.inputScale.scale).toBe(1);
      expect(unit.inputScale.how).toMatch(/^(detected|assumed)/);
      expect(raw.inputScale.scale).toBe(255);
      expect(raw.inputScale.how).toMatch(/^detected: /);
      // The same network on the same images: equal to a float rounding of the first layer (one image at most).
      expect(Math.abs(raw.data.referenceAccuracy - unit.data.referenceAccuracy)).toBeLessThanOrEqual(1 / sample.count);
      const plan = { fc1: 6, fc2: 5 } as never;
      const [a, b] = [await unit.evaluate(plan), await raw.evaluate(plan)];
      expect(Math.abs(a.accuracy - b.accuracy)).toBeLessThanOrEqual(1 / sample.count);
      // Calibration inputs are fed the same way: fc1 sees raw pixels.
      const calib = firstImages(await readSample('calib'), 50);
      const inputs = await collectLayerInputs(raw.lab, calib);
      expect(Math.max(...inputs.get('fc1')!.x)).toBe(255);
      expect(Math.max(...(await collectLayerInputs(unit.lab, calib)).get('fc1')!.x)).toBe(1);
    } finally {
      unit.dispose();
      raw.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  }, 120_000);

  it('reads a Rescaling layer in front as raw input, and a chosen scale overrides detection', async () => {
    await useNodeBackend('wasm');
    const sample = firstImages(await readSample('test'), 1000);
    const rescaled = await LabSession.open(await rawTwin('rescale'), 'rescaled', sample, nodeSvd);
    const forced = await LabSession.open(await rawTwin('kernel'), 'raw', sample, nodeSvd, undefined, undefined, undefined, { inputScale: 1 });
    try {
      expect(rescaled.inputScale).toEqual({ scale: 255, how: 'detected: the model rescales its own input' });
      expect(rescaled.data.referenceAccuracy).toBeGreaterThan(0.9);
      expect(forced.inputScale).toEqual({ scale: 1, how: 'chosen' });
      // The raw-pixel model fed 0..1: its first layer sees inputs 255 times too small, and its biases win.
      expect(forced.data.referenceAccuracy).toBeLessThan(0.5);
    } finally {
      rescaled.dispose();
      forced.dispose();
    }
  }, 120_000);
});
