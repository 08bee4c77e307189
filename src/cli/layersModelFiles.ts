/**
 * Saving and loading TF.js LayersModels as `model.json` + one weights shard
 * on the local disk, for Node scripts. tfjs-node (which provides `file://`)
 * cannot be installed here, so these are small IOHandlers over node:fs. The
 * files are the standard layers-model format the browser loads with
 * `tf.loadLayersModel('models/<id>/model.json')`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { readModelFromDisk } from './nodeEnv';

/** The single weights shard's file name, relative to model.json. */
const WEIGHTS_FILE = 'weights.bin';

/** What `saveLayersModelToDir` wrote: paths and sizes in bytes. */
export interface SavedModelFiles {
  modelJsonPath: string;
  weightsPath: string;
  modelJsonBytes: number;
  weightsBytes: number;
}

/**
 * Writes `model` to `dir/model.json` and `dir/weights.bin` (creating `dir`),
 * without optimizer state or training config so the bundle stays small and
 * loads as an inference model. One shard is fine at these sizes (< 4 MB);
 * overwrites existing files.
 */
export async function saveLayersModelToDir(model: tf.LayersModel, dir: string): Promise<SavedModelFiles> {
  mkdirSync(dir, { recursive: true });
  const modelJsonPath = join(dir, 'model.json');
  const weightsPath = join(dir, WEIGHTS_FILE);
  let sizes = { modelJsonBytes: 0, weightsBytes: 0 };
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      if (artifacts.weightSpecs == null || artifacts.weightData == null) {
        throw new Error('TF.js handed the save handler no weights; was the model built?');
      }
      const weights = new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData));
      const modelJson: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology as tf.io.ModelJSON['modelTopology'],
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs }],
      };
      const text = JSON.stringify(modelJson);
      writeFileSync(modelJsonPath, text);
      writeFileSync(weightsPath, weights);
      sizes = { modelJsonBytes: Buffer.byteLength(text), weightsBytes: weights.byteLength };
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(modelJson) };
    }),
    { includeOptimizer: false },
  );
  return { modelJsonPath, weightsPath, ...sizes };
}

/**
 * Loads `modelJsonPath` with plain `tf.loadLayersModel`, through an IOHandler
 * that reads the JSON and its weight shards from disk (paths in the manifest
 * are relative to the JSON file, as in the browser). Allocates the model's
 * weight tensors; the caller disposes the model.
 */
export async function loadLayersModelFromFile(modelJsonPath: string): Promise<tf.LayersModel> {
  const { artifacts } = await readModelFromDisk(modelJsonPath);
  return tf.loadLayersModel(tf.io.fromMemory(artifacts));
}
