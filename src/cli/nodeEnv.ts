import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { decodeMnistSample, type MnistSample } from '../core/mnist';
import { readModelArtifacts } from '../model/artifacts';
import { LabInputError } from '../model/errors';
import { inlineSvd, type SvdFn } from '../model/factors';

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

/** Reads a sample file in the lab's MNIST format ("test" or "calib" from public/data by default). */
export async function readSample(which: 'test' | 'calib' = 'test', path?: string): Promise<MnistSample> {
  const file = path ?? join(REPO_ROOT, 'public', 'data', `mnist-${which}.bin`);
  try {
    return decodeMnistSample(new Uint8Array(await readFile(file)));
  } catch (err) {
    if (err instanceof LabInputError) throw err;
    throw new LabInputError('data', `Could not read the MNIST sample ${file}: ${(err as Error).message}. Run "npm run data" to rebuild it.`);
  }
}

/** Reads model.json at `path` and the shards it names, relative to its folder. */
export async function readModelFromDisk(path: string): Promise<{ artifacts: tf.io.ModelArtifacts; name: string }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new LabInputError('model-json', `Could not read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}.`);
  }
  const dir = dirname(path);
  const artifacts = await readModelArtifacts(text, async (shard) => {
    const buf = await readFile(join(dir, decodeURIComponent(shard)));
    return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  }, path);
  const name = dirname(resolve(path)).split(/[\\/]/).pop() ?? 'model';
  return { artifacts, name };
}

/** The SVD for Node: the float64 CPU Jacobi (or the randomized top-k), inline. */
export const nodeSvd: SvdFn = inlineSvd;
