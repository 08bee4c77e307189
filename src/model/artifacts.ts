import type { io } from '@tensorflow/tfjs';
import { LabInputError } from './errors';

/**
 * Reads a TF.js LayersModel (model.json plus weight shards) into in-memory
 * ModelArtifacts, from any source: a URL on the lab's origin, files the user
 * picked or dropped, or the file system in the CLI. Every failure becomes a
 * LabInputError that names the file at fault, because TF.js's own messages
 * ("Cannot read property 'weightsManifest'") do not tell a user what to fix.
 *
 * The manifest is checked whole before any shard is read: every entry's name,
 * shape and dtype, every shard path (relative, inside the model's folder,
 * named once), and the bytes the weights need. Shards are then read one at a
 * time and their lengths checked against that need, so a hostile manifest
 * cannot make the lab read a file outside the model, fetch one shard
 * thousands of times, or concatenate more bytes than the weights use.
 */

/** TF.js's in-memory form of model.json plus weights, named here so store/ need not import TF.js. */
export type ModelArtifacts = io.ModelArtifacts;

/** Fetches the bytes of one weight shard by its checked path (see checkShardPath). */
export type ShardReader = (path: ShardPath) => Promise<ArrayBuffer>;

/**
 * A reader's refusal of a shard it found but will not read (a link out of the
 * model's folder, a device or pipe): its message is shown as it is, not as
 * "missing".
 */
export class ShardRefusedError extends LabInputError {
  constructor(path: ShardPath, name: string, why: string) {
    super('weights', `Weight shard "${path.relative.slice(0, 80)}" named in ${name} ${why}; the lab reads only regular files inside the model's folder.`);
  }
}

/** Byte length of a shard before it is read, where the source can tell (files, disk); null when it cannot. */
export type ShardSizer = (path: ShardPath) => Promise<number | null>;

/**
 * A shard path from the manifest that passed checkShardPath: `raw` as written
 * (for URL resolution, which decodes escapes itself) and `relative`, its
 * percent-decoded segments joined by "/" without "." segments (for files).
 */
export interface ShardPath {
  raw: string;
  relative: string;
}

/** The most weight bytes a model may declare: 1 GiB, well above any model the lab can score in a page. */
export const MAX_WEIGHT_BYTES = 1 << 30;

/** The most shards a manifest may list (the TF.js converter writes 4 MB shards, so 1 GiB is 256). */
export const MAX_SHARDS = 1024;

interface ManifestGroup {
  paths: ShardPath[];
  weights: io.WeightsManifestEntry[];
  /** Bytes this group's weights occupy in its shards. */
  bytes: number;
}

/** Bytes per stored value of each dtype TF.js reads from shards (io/types.ts DTYPE_VALUE_SIZE_MAP). */
const VALUE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1 };
const QUANTIZED_BYTES: Record<string, number> = { uint8: 1, uint16: 2, float16: 2 };

/**
 * Checks one shard path and returns it decoded. A path must be relative and
 * stay inside the model's folder: no scheme or host, no leading slash, no
 * backslash, no ".." segment (raw or percent-encoded), no control characters.
 * Throws LabInputError('weights') naming the path and `name`.
 */
export function checkShardPath(path: unknown, name = 'model.json'): ShardPath {
  const shown = typeof path === 'string' ? JSON.stringify(path.slice(0, 80)) : String(path);
  const refuse = (why: string): never => {
    throw new LabInputError('weights', `${name} names the weight shard ${shown}, which ${why}. Shard paths must be file names inside the model's folder, as the TF.js converter writes them.`);
  };
  if (typeof path !== 'string' || path.length === 0) return refuse('is not a file name');
  // eslint-disable-next-line no-control-regex
  if (path.length > 512 || /[\u0000-\u001f\u007f]/.test(path)) refuse('is too long or contains control characters');
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return refuse('has a malformed %-escape');
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(decoded)) refuse('contains control characters');
  if (decoded.includes('\\')) refuse('contains a backslash');
  if (decoded.startsWith('/')) refuse('is an absolute path');
  if (/^[a-z][a-z0-9+.-]*:/i.test(decoded)) refuse('is an address, not a file name');
  if (/[?#]/.test(decoded)) refuse('carries a query or fragment');
  const segments = decoded.split('/');
  if (segments.includes('..')) refuse('climbs out of the model\'s folder with ".."');
  const kept = segments.filter((s) => s !== '.' && s !== '');
  if (kept.length === 0) refuse('names a folder, not a file');
  return { raw: path, relative: kept.join('/') };
}

/** Bytes one manifest entry occupies in its shard; throws LabInputError('model-json') when the entry is malformed. */
function entryBytes(entry: unknown, name: string): number {
  const e = entry as Partial<io.WeightsManifestEntry> | null;
  const what = typeof e?.name === 'string' ? `weight "${e.name.slice(0, 80)}"` : 'a weight entry';
  const refuse = (why: string): never => {
    throw new LabInputError('model-json', `${name} describes ${what} with ${why}; the weights manifest is damaged. Re-export the model with the TF.js converter.`);
  };
  if (e === null || typeof e !== 'object') return refuse('no fields');
  if (typeof e.name !== 'string' || e.name.length === 0) refuse('no name');
  const shape = e.shape as unknown;
  if (!Array.isArray(shape) || shape.length > 8 || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    refuse('a shape that is not a list of at most 8 non-negative integers');
  }
  const count = (shape as number[]).reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(count)) refuse('a shape too large to hold');
  if (e.quantization !== undefined) {
    const q = e.quantization as Partial<io.WeightsManifestEntry['quantization'] & object> | null;
    const bytes = q && typeof q === 'object' ? QUANTIZED_BYTES[q.dtype as string] : undefined;
    if (bytes === undefined) return refuse('a quantization that is not uint8, uint16 or float16');
    if (q!.dtype !== 'float16' && !(Number.isFinite(q!.scale) && Number.isFinite(q!.min))) refuse('a quantization without finite scale and min');
    return count * bytes;
  }
  const bytes = VALUE_BYTES[e.dtype as string];
  if (bytes === undefined) return refuse(`dtype "${String(e.dtype).slice(0, 20)}" (the lab reads float32, int32 and bool weights)`);
  return count * bytes;
}

/**
 * Parses model.json text (name is only for messages). Accepts files from old
 * Keras converters, which have no `format` field and may wrap the topology in
 * `model_config`, and a leading UTF-8 byte-order mark; rejects graph models,
 * files that are not LayersModels and manifests that are damaged or hostile
 * (see checkShardPath, MAX_SHARDS, MAX_WEIGHT_BYTES, duplicate names).
 */
export function parseModelJson(text: string, name = 'model.json'): {
  modelTopology: object;
  manifest: ManifestGroup[];
} {
  let json: unknown;
  try {
    json = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
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
    throw new LabInputError('model-json', `${name} has format "${String(format).slice(0, 40)}"; the lab reads only "layers-model" files.`);
  }
  const topology = obj.modelTopology;
  if (topology === null || typeof topology !== 'object') {
    throw new LabInputError('model-json', `${name} has no "modelTopology"; it is not a TF.js LayersModel file.`);
  }
  const manifest = obj.weightsManifest;
  if (!Array.isArray(manifest)) {
    throw new LabInputError('model-json', `${name} has no "weightsManifest" list; it is not a TF.js LayersModel file.`);
  }
  return { modelTopology: topology, manifest: checkManifest(manifest, name) };
}

/** Checks every group, entry and path of a weights manifest before anything is read. */
function checkManifest(manifest: unknown[], name: string): ManifestGroup[] {
  const seenPaths = new Set<string>();
  const seenWeights = new Set<string>();
  let total = 0;
  let shards = 0;
  return manifest.map((group) => {
    const g = group as { paths?: unknown; weights?: unknown } | null;
    if (!g || !Array.isArray(g.paths) || !Array.isArray(g.weights)) {
      throw new LabInputError('model-json', `${name} has a weightsManifest group without "paths" and "weights".`);
    }
    const paths = g.paths.map((p) => {
      const checked = checkShardPath(p, name);
      if (seenPaths.has(checked.relative)) {
        throw new LabInputError('weights', `${name} lists the weight shard "${checked.relative.slice(0, 80)}" more than once; each shard holds different weights, so the manifest is damaged.`);
      }
      seenPaths.add(checked.relative);
      return checked;
    });
    shards += paths.length;
    if (shards > MAX_SHARDS) {
      throw new LabInputError('weights', `${name} lists more than ${MAX_SHARDS} weight shards; the lab refuses it rather than read that many files.`);
    }
    let bytes = 0;
    for (const entry of g.weights) {
      bytes += entryBytes(entry, name);
      const weight = (entry as io.WeightsManifestEntry).name;
      if (seenWeights.has(weight)) {
        throw new LabInputError('model-json', `${name} lists the weight "${weight.slice(0, 80)}" more than once, so it is unclear which bytes are its values; the weights manifest is damaged.`);
      }
      seenWeights.add(weight);
    }
    total += bytes;
    if (total > MAX_WEIGHT_BYTES) {
      throw new LabInputError('weights', `${name} describes more than ${MAX_WEIGHT_BYTES / 2 ** 30} GiB of weights, more than the lab can hold in a page.`);
    }
    return { paths, weights: g.weights as io.WeightsManifestEntry[], bytes };
  });
}

/**
 * Builds complete ModelArtifacts from model.json text and a shard reader.
 * Where `sizeOf` can tell the shards' sizes, they are checked before any is
 * read; shards are then read once each, in manifest order, and a group whose
 * shards are longer or shorter than its weights need is refused as soon as
 * that shows, before anything is concatenated. Messages name the shard.
 */
export async function readModelArtifacts(
  modelJsonText: string,
  readShard: ShardReader,
  name = 'model.json',
  sizeOf?: ShardSizer,
): Promise<io.ModelArtifacts> {
  const { modelTopology, manifest } = parseModelJson(modelJsonText, name);
  const missing = (path: ShardPath, err: unknown): LabInputError => {
    if (err instanceof ShardRefusedError) return err;
    const why = err instanceof LabInputError ? err.message : `could not be read (${(err as Error).message})`;
    return new LabInputError('weights', `Weight shard "${path.relative}" named in ${name} is missing: ${why}. Open model.json together with all its weight files.`);
  };
  if (sizeOf) {
    for (const group of manifest) {
      let declared = 0;
      for (const path of group.paths) {
        let size: number | null;
        try {
          size = await sizeOf(path);
        } catch (err) {
          throw missing(path, err);
        }
        if (size === null) continue;
        declared += size;
        if (declared > group.bytes) throw tooLong(group, name);
      }
    }
  }
  const buffers: ArrayBuffer[] = [];
  for (const group of manifest) {
    let groupBytes = 0;
    for (const path of group.paths) {
      let buf: ArrayBuffer;
      try {
        buf = await readShard(path);
      } catch (err) {
        throw missing(path, err);
      }
      groupBytes += buf.byteLength;
      if (groupBytes > group.bytes) throw tooLong(group, name);
      buffers.push(buf);
    }
    if (groupBytes < group.bytes) {
      throw new LabInputError('weights', `Weight shards ${shardList(group)} hold ${groupBytes} bytes but ${name} describes ${group.bytes}; a shard is truncated or belongs to another model.`);
    }
  }
  return {
    modelTopology,
    format: 'layers-model',
    weightSpecs: manifest.flatMap((g) => g.weights),
    weightData: concatBuffers(buffers),
  };
}

function shardList(group: ManifestGroup): string {
  const names = group.paths.map((p) => `"${p.relative.slice(0, 80)}"`);
  if (names.length === 0) return '(none)';
  return names.length <= 3 ? names.join(', ') : `${names.slice(0, 3).join(', ')} and ${names.length - 3} more`;
}

function tooLong(group: ManifestGroup, name: string): LabInputError {
  return new LabInputError('weights', `Weight shards ${shardList(group)} hold more bytes than the ${group.bytes} that ${name} describes; a shard is longer than its weights, extra, or belongs to another model.`);
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
