import type { io } from '@tensorflow/tfjs';
import { LabInputError } from './errors';

/**
 * Reads a TF.js LayersModel (model.json plus weight shards) into in-memory
 * ModelArtifacts, from any source: a URL on the lab's origin, files the user
 * picked or dropped, or the file system in the CLI. Every failure becomes a
 * LabInputError that names the file at fault, because TF.js's own messages
 * ("Cannot read property 'weightsManifest'") do not tell a user what to fix.
 */

/** TF.js's in-memory form of model.json plus weights, named here so store/ need not import TF.js. */
export type ModelArtifacts = io.ModelArtifacts;

/** Fetches the bytes of one weight shard by the path written in model.json's manifest. */
export type ShardReader = (path: string) => Promise<ArrayBuffer>;

interface ManifestGroup {
  paths: string[];
  weights: io.WeightsManifestEntry[];
}

/**
 * Parses model.json text (name is only for messages). Accepts files from old
 * Keras converters, which have no `format` field and may wrap the topology in
 * `model_config`; rejects graph models and files that are not LayersModels.
 */
export function parseModelJson(text: string, name = 'model.json'): {
  modelTopology: object;
  manifest: ManifestGroup[];
} {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new LabInputError('model-json', `${name} is not valid JSON (${(err as Error).message}). Pick the model.json that the TF.js converter wrote.`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new LabInputError('model-json', `${name} does not hold a JSON object, so it is not a TF.js model.json.`);
  }
  const obj = json as Record<string, unknown>;
  const format = obj.format;
  if (format === 'graph-model' || (obj.modelTopology as Record<string, unknown> | undefined)?.node) {
    throw new LabInputError('unsupported-model', `${name} is a TF.js graph model; the lab needs a LayersModel (convert with --output_format=tfjs_layers_model).`);
  }
  if (format !== undefined && format !== 'layers-model') {
    throw new LabInputError('model-json', `${name} has format "${String(format)}"; the lab reads only "layers-model" files.`);
  }
  const topology = obj.modelTopology;
  if (topology === null || typeof topology !== 'object') {
    throw new LabInputError('model-json', `${name} has no "modelTopology"; it is not a TF.js LayersModel file.`);
  }
  const manifest = obj.weightsManifest;
  if (!Array.isArray(manifest)) {
    throw new LabInputError('model-json', `${name} has no "weightsManifest" list; it is not a TF.js LayersModel file.`);
  }
  for (const group of manifest) {
    const g = group as Partial<ManifestGroup> | null;
    if (!g || !Array.isArray(g.paths) || !Array.isArray(g.weights)) {
      throw new LabInputError('model-json', `${name} has a weightsManifest group without "paths" and "weights".`);
    }
  }
  return { modelTopology: topology, manifest: manifest as ManifestGroup[] };
}

/** Byte length a manifest entry needs, so a short shard is caught before TF.js misreads it. */
function entryBytes(entry: io.WeightsManifestEntry): number {
  const count = entry.shape.reduce((a, b) => a * b, 1);
  if (entry.quantization) {
    const q = entry.quantization.dtype;
    return count * (q === 'uint8' ? 1 : q === 'float16' || q === 'uint16' ? 2 : 4);
  }
  if (entry.dtype === 'string') return NaN;
  return count * 4;
}

/**
 * Builds complete ModelArtifacts from model.json text and a shard reader.
 * Shards are read in manifest order and concatenated; a missing or short
 * shard is reported by its file name.
 */
export async function readModelArtifacts(
  modelJsonText: string,
  readShard: ShardReader,
  name = 'model.json',
): Promise<io.ModelArtifacts> {
  const { modelTopology, manifest } = parseModelJson(modelJsonText, name);
  const weightSpecs: io.WeightsManifestEntry[] = [];
  const buffers: ArrayBuffer[] = [];
  for (const group of manifest) {
    let groupBytes = 0;
    for (const path of group.paths) {
      let buf: ArrayBuffer;
      try {
        buf = await readShard(path);
      } catch (err) {
        const why = err instanceof LabInputError ? err.message : `could not be read (${(err as Error).message})`;
        throw new LabInputError('weights', `Weight shard "${path}" named in ${name} is missing: ${why}. Open model.json together with all its .bin files.`);
      }
      groupBytes += buf.byteLength;
      buffers.push(buf);
    }
    const needed = group.weights.reduce((sum, w) => sum + entryBytes(w), 0);
    if (Number.isFinite(needed) && groupBytes < needed) {
      throw new LabInputError('weights', `Weight shards ${group.paths.join(', ')} hold ${groupBytes} bytes but ${name} describes ${needed}; a shard is truncated or belongs to another model.`);
    }
    weightSpecs.push(...group.weights);
  }
  return {
    modelTopology,
    format: 'layers-model',
    weightSpecs,
    weightData: concatBuffers(buffers),
  };
}

/** Joins shards into the single buffer that ModelArtifacts.weightData expects. */
export function concatBuffers(buffers: readonly ArrayBuffer[]): ArrayBuffer {
  const total = buffers.reduce((s, b) => s + b.byteLength, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const b of buffers) {
    out.set(new Uint8Array(b), offset);
    offset += b.byteLength;
  }
  return out.buffer;
}
