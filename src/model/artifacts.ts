import type { io } from '@tensorflow/tfjs';
import { LabInputError } from './errors';
import { checkJsonTree } from './topologyCheck';

/**
 * Reads a TF.js LayersModel (model.json plus weight shards) into in-memory
 * ModelArtifacts, from any source: a URL on the lab's origin, files the user
 * picked or dropped, or the file system in the CLI. Every failure becomes a
 * LabInputError that names the file at fault, because TF.js's own messages
 * ("Cannot read property 'weightsManifest'") do not tell a user what to fix.
 *
 * The manifest is checked whole before any shard is read: every entry's name,
 * shape and dtype, every shard path (relative, inside the model's folder,
 * named once), and the bytes the weights need, against the lab's memory
 * budget (MAX_WEIGHT_BYTES) and, where given, the largest buffer of the
 * device that will hold them (WeightLimits), naming the layer and its size. Shards are then read one at a
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

/**
 * The lab's memory budget for a model's weights, as float32 values in
 * memory (quantized weights count at their dequantized size): 256 MiB.
 * Opening a model holds about four copies of its weights at once (the
 * shards, their concatenation, TF.js's tensors and the plain arrays the lab
 * factorizes), so 256 MiB of weights is about 1 GiB in the tab, which a
 * browser tab can hold; ResNet-50 (98 MB) fits, VGG-16 (528 MB) does not.
 * Checked from the manifest alone, before any shard is read.
 */
export const MAX_WEIGHT_BYTES = 256 * 2 ** 20;
/** How refusals over the budget end. */
const BUDGET_NOTE = `the lab's budget for a model's weights is ${MAX_WEIGHT_BYTES / 2 ** 20} MiB, so that a tab can hold them while it opens the model.`;

/** The most shards a manifest may list (the TF.js converter writes 4 MB shards, so 256 MiB is 64). */
export const MAX_SHARDS = 1024;

/** The most weights a manifest may list (ResNet-152 has about 1,000). */
export const MAX_WEIGHTS = 20_000;

/** The largest model.json the lab reads: 64 MiB (converter output for large models is a few MB). */
export const MAX_JSON_BYTES = 64 * 2 ** 20;

/** The refusal of a model.json `name` of `bytes` bytes, before it is read, when it exceeds MAX_JSON_BYTES; null when it fits. */
export function jsonSizeError(name: string, bytes: number): LabInputError | null {
  return bytes > MAX_JSON_BYTES
    ? new LabInputError('model-json', `${name} is ${bytes} bytes, more than a model.json can reasonably be (${MAX_JSON_BYTES} bytes at most); is it the weights?`)
    : null;
}

/**
 * The most bytes one weight may take where it will live, when that is less
 * than the budget: on WebGPU, one buffer (see deviceLimits.ts). `what`
 * names the limit for the message.
 */
export interface WeightLimits {
  maxTensorBytes: number;
  what: string;
}

/** `bytes` as messages show sizes: MiB (KiB below 1 MiB) with one decimal and thousands separators. */
export function formatSize(bytes: number): string {
  const [value, unit] = bytes >= 2 ** 20 ? [bytes / 2 ** 20, 'MiB'] : [bytes / 2 ** 10, 'KiB'];
  return `${value.toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 })} ${unit}`;
}

/** The layer a weight belongs to, by TF.js's naming ("fc1/kernel" is fc1's; "block/conv/kernel" is conv's). */
export function layerOfWeight(weight: string): string {
  const parts = weight.split('/');
  return parts.length > 1 ? parts[parts.length - 2] : weight;
}

interface ManifestGroup {
  paths: ShardPath[];
  weights: io.WeightsManifestEntry[];
  /** Bytes this group's weights occupy in its shards. */
  bytes: number;
}

/** One checked manifest entry's sizes: in its shard, and as float32 values in memory. */
interface EntrySize {
  stored: number;
  memory: number;
  shape: number[];
}

/** Bytes per stored value of the one dtype Keras layers hold (TF.js io/types.ts DTYPE_VALUE_SIZE_MAP). */
const VALUE_BYTES = { float32: 4 } as const;
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

/** Sizes of one manifest entry; throws LabInputError('model-json') when the entry is malformed or holds what no layer holds. */
function entrySize(entry: unknown, name: string): EntrySize {
  const e = entry as Partial<io.WeightsManifestEntry> | null;
  const what = typeof e?.name === 'string' ? `weight "${e.name.slice(0, 80)}"` : 'a weight entry';
  const refuse = (why: string): never => {
    throw new LabInputError('model-json', `${name} describes ${what} with ${why}; the weights manifest is damaged. Re-export the model with the TF.js converter.`);
  };
  if (e === null || typeof e !== 'object' || Array.isArray(e)) return refuse('no fields');
  if (typeof e.name !== 'string' || e.name.length === 0) refuse('no name');
  const shape = e.shape as unknown;
  if (!Array.isArray(shape) || shape.length > 8 || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    refuse('a shape that is not a list of at most 8 non-negative integers');
  }
  const count = (shape as number[]).reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(count * 4)) refuse('a shape too large to hold');
  if (count === 0) {
    throw new LabInputError('model-json', `${name}: weight "${e.name!.slice(0, 80)}" has shape [${(shape as number[]).join(', ')}], which holds no values; layer "${layerOfWeight(e.name!).slice(0, 80)}" would have no units or no inputs, which no trained model has.`);
  }
  const sized = (stored: number): EntrySize => ({ stored, memory: count * 4, shape: shape as number[] });
  if (e.quantization !== undefined) {
    const q = e.quantization as Partial<io.WeightsManifestEntry['quantization'] & object> | null;
    const bytes = q && typeof q === 'object' ? QUANTIZED_BYTES[q.dtype as string] : undefined;
    if (bytes === undefined) return refuse('a quantization that is not uint8, uint16 or float16');
    if (q!.dtype !== 'float16' && !(Number.isFinite(q!.scale) && Number.isFinite(q!.min))) refuse('a quantization without finite scale and min');
    if (e.dtype !== undefined && e.dtype !== 'float32') refuse(`dtype "${String(e.dtype).slice(0, 20)}" (quantized weights dequantize to float32)`);
    return sized(count * bytes);
  }
  if (e.dtype !== 'float32') refuse(`dtype "${String(e.dtype).slice(0, 20)}" (the lab's layers hold float32 weights)`);
  return sized(count * VALUE_BYTES.float32);
}

/**
 * Parses model.json text (name is only for messages). Accepts files from old
 * Keras converters, which have no `format` field and may wrap the topology in
 * `model_config`, and a leading UTF-8 byte-order mark; rejects graph models,
 * files that are not LayersModels, JSON nested too deep or carrying
 * prototype keys (checkJsonTree), and manifests that are damaged, hostile
 * or too large (see checkShardPath, MAX_SHARDS, MAX_WEIGHTS,
 * MAX_WEIGHT_BYTES, `limits`, duplicate names). The layers themselves are
 * checked in loadLabModel (checkLayerClasses), before TF.js builds them.
 */
export function parseModelJson(text: string, name = 'model.json', limits?: WeightLimits): {
  modelTopology: object;
  manifest: ManifestGroup[];
} {
  if (text.trim().length === 0 || text === '\uFEFF') {
    throw new LabInputError('model-json', `${name} is empty. Pick the model.json that the TF.js converter wrote.`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    throw new LabInputError('model-json', `${name} is not valid JSON (${(err as Error).message}). Pick the model.json that the TF.js converter wrote.`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new LabInputError('model-json', `${name} does not hold a JSON object, so it is not a TF.js model.json.`);
  }
  checkJsonTree(json, name);
  const obj = json as Record<string, unknown>;
  const format = obj.format;
  if (format === 'graph-model' || (obj.modelTopology as Record<string, unknown> | undefined)?.node) {
    throw new LabInputError('unsupported-model', `${name} is a TF.js graph model; the lab needs a LayersModel (convert with --output_format=tfjs_layers_model).`);
  }
  if (format !== undefined && format !== 'layers-model') {
    throw new LabInputError('model-json', `${name} has format "${String(format).slice(0, 40)}"; the lab reads only "layers-model" files.`);
  }
  const topology = obj.modelTopology;
  if (topology === null || typeof topology !== 'object' || Array.isArray(topology)) {
    throw new LabInputError('model-json', `${name} has no "modelTopology"; it is not a TF.js LayersModel file.`);
  }
  const manifest = obj.weightsManifest;
  if (!Array.isArray(manifest)) {
    throw new LabInputError('model-json', `${name} has no "weightsManifest" list; it is not a TF.js LayersModel file.`);
  }
  return { modelTopology: topology, manifest: checkManifest(manifest, name, limits) };
}

/** Checks every group, entry and path of a weights manifest, and the weights' sizes, before anything is read. */
function checkManifest(manifest: unknown[], name: string, limits: WeightLimits | undefined): ManifestGroup[] {
  const seenPaths = new Set<string>();
  const seenWeights = new Set<string>();
  let memory = 0;
  let largest = { weight: '', bytes: 0 };
  let shards = 0;
  let weights = 0;
  const groups = manifest.map((group) => {
    const g = group as { paths?: unknown; weights?: unknown } | null;
    if (!g || typeof g !== 'object' || !Array.isArray(g.paths) || !Array.isArray(g.weights)) {
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
    weights += g.weights.length;
    if (weights > MAX_WEIGHTS) {
      throw new LabInputError('model-json', `${name} lists ${countWeights(manifest)} weights; the lab opens models of at most ${MAX_WEIGHTS} (its weights manifest is damaged or hostile).`);
    }
    let bytes = 0;
    for (const entry of g.weights) {
      const size = entrySize(entry, name);
      const weight = (entry as io.WeightsManifestEntry).name;
      checkWeightSize(weight, size, name, limits);
      bytes += size.stored;
      memory += size.memory;
      if (size.memory > largest.bytes) largest = { weight, bytes: size.memory };
      if (seenWeights.has(weight)) {
        throw new LabInputError('model-json', `${name} lists the weight "${weight.slice(0, 80)}" more than once, so it is unclear which bytes are its values; the weights manifest is damaged.`);
      }
      seenWeights.add(weight);
    }
    return { paths, weights: g.weights as io.WeightsManifestEntry[], bytes };
  });
  if (memory > MAX_WEIGHT_BYTES) {
    throw new LabInputError('weights', `${name} describes ${formatSize(memory)} of weights (the largest, "${largest.weight.slice(0, 80)}" of layer "${layerOfWeight(largest.weight).slice(0, 80)}", is ${formatSize(largest.bytes)}); ${BUDGET_NOTE}`);
  }
  return groups;
}

/** Refuses one weight beyond the budget or beyond `limits`, naming its layer and size. */
function checkWeightSize(weight: string, size: EntrySize, name: string, limits: WeightLimits | undefined): void {
  const where = `${name}: layer "${layerOfWeight(weight).slice(0, 80)}" has a weight "${weight.slice(0, 80)}" of ${formatSize(size.memory)} (shape [${size.shape.join(', ')}])`;
  if (size.memory > MAX_WEIGHT_BYTES) {
    throw new LabInputError('weights', `${where}; ${BUDGET_NOTE}`);
  }
  if (limits && size.memory > limits.maxTensorBytes) {
    throw new LabInputError('weights', `${where}, more than ${limits.what} (${formatSize(limits.maxTensorBytes)}). TF.js keeps each weight in one buffer, so the model cannot be scored there (the lab's GPU SVD works in row tiles, but scoring does not); open the lab with ?backend=wasm to score it on the CPU.`);
  }
}

function countWeights(manifest: unknown[]): number {
  return manifest.reduce<number>((n, g) => n + ((g as { weights?: unknown[] } | null)?.weights?.length ?? 0), 0);
}

/**
 * Builds complete ModelArtifacts from model.json text and a shard reader.
 * Where `sizeOf` can tell the shards' sizes, they are checked before any is
 * read; shards are then read once each, in manifest order, and a group whose
 * shards are longer or shorter than its weights need is refused as soon as
 * that shows, before anything is concatenated. Messages name the shard.
 * `limits` is where the weights will live, when that holds less than the
 * budget (a WebGPU device's largest buffer).
 */
export async function readModelArtifacts(
  modelJsonText: string,
  readShard: ShardReader,
  name = 'model.json',
  sizeOf?: ShardSizer,
  limits?: WeightLimits,
): Promise<io.ModelArtifacts> {
  const { modelTopology, manifest } = parseModelJson(modelJsonText, name, limits);
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
