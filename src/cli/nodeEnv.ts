import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { MNIST_FILES, type MnistSample } from '../core/mnist';
import { decodeMnistFile } from '../model/mnistFile';
import { readModelArtifacts } from '../model/artifacts';
import { readRegularFile, shardFileReader } from './inputFiles';
import { LabInputError } from '../model/errors';
import { inlineSvd, type SvdFn } from '../model/factors';
import { modelNameFor } from '../model/sources';

/**
 * What the headless lab needs from Node: a TF.js backend (wasm by default -
 * tfjs-node cannot be installed here), the bundled test sample read from
 * public/, model files read from disk, and the SVD run inline.
 */

/** Repository root, found from this file so the CLI works from any working directory. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Backends usable from Node. */
export type NodeBackend = 'wasm' | 'cpu';

/** Selects the TF.js backend; throws LabInputError when it cannot start. */
export async function useNodeBackend(name: NodeBackend): Promise<void> {
  if (name !== 'wasm' && name !== 'cpu') {
    throw new LabInputError('backend', `Backend "${String(name)}" is not available in Node; use wasm or cpu.`);
  }
  const ok = await tf.setBackend(name);
  if (!ok) throw new LabInputError('backend', `TF.js could not start its ${name} backend.`);
  await tf.ready();
}

/** Reads a sample file in the lab's MNIST format, gzipped or not ("test" or "calib" from public/data by default). */
export async function readSample(which: 'test' | 'calib' = 'test', path?: string): Promise<MnistSample> {
  const file = path ?? join(REPO_ROOT, 'public', 'data', MNIST_FILES[which]);
  let bytes: Uint8Array;
  try {
    bytes = await readRegularFile(file, 'data');
  } catch (err) {
    if (err instanceof LabInputError) throw new LabInputError('data', `${err.message} Run "npm run data" to rebuild the bundled samples.`);
    throw err;
  }
  return decodeMnistFile(bytes);
}

/**
 * Reads model.json at `path` and the shards it names, relative to its folder:
 * each a regular file that stays inside that folder after symlinks are
 * followed, sized before it is read (see inputFiles.ts and artifacts.ts).
 */
export async function readModelFromDisk(path: string): Promise<{ artifacts: tf.io.ModelArtifacts; name: string }> {
  const text = new TextDecoder().decode(await readRegularFile(path, 'model-json'));
  const shards = await shardFileReader(path);
  const artifacts = await readModelArtifacts(text, shards.read, path, shards.size);
  return { artifacts, name: modelNameOf(path) };
}

/** A model's name in the CLI, by the browser's rule (modelNameFor): its folder's name (public/models/mlp-64/model.json is "mlp-64"). */
export function modelNameOf(modelJsonPath: string): string {
  const path = resolve(modelJsonPath);
  return modelNameFor({ folder: dirname(path).split(/[\\/]/).pop(), jsonName: basename(path) });
}

/** The SVD for Node: the float64 CPU Jacobi (or the randomized top-k), inline. */
export const nodeSvd: SvdFn = inlineSvd;
