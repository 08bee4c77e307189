import type { io } from '@tensorflow/tfjs';
import { LabInputError } from './errors';
import { jsonSizeError, readModelArtifacts, type ShardPath } from './artifacts';
import { deviceWeightLimits } from './deviceLimits';

/**
 * Where a model comes from in the browser: a URL on the lab's own origin (the
 * bundled models, or a `?model=` link) or files the user picked or dropped.
 * The lab never fetches from another origin, so user files and requests stay
 * on the machine and the server the lab came from.
 */

/**
 * Resolves `raw` against `origin` and refuses anything that would leave it:
 * other hosts, non-http schemes, control characters, paths that are not .json.
 * Returns the absolute URL to fetch.
 */
export function resolveSameOriginModelUrl(raw: string, origin: string): URL {
  // eslint-disable-next-line no-control-regex
  if (raw.length === 0 || raw.length > 2000 || /[\u0000-\u001f\u007f]/.test(raw)) {
    throw new LabInputError('url', 'The model address is empty, too long or contains control characters. Use a path such as models/mlp-64/model.json.');
  }
  let url: URL;
  try {
    url = new URL(raw, origin);
  } catch {
    throw new LabInputError('url', `"${raw.slice(0, 80)}" is not a valid address. Use a path such as models/mlp-64/model.json.`);
  }
  const home = new URL(origin);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new LabInputError('url', `The lab only loads models over http(s) from its own site, not "${url.protocol}" addresses.`);
  }
  if (url.origin !== home.origin) {
    throw new LabInputError('url', `The lab only loads models from its own site (${home.origin}); "${url.origin}" is elsewhere. Download the model and open its files instead.`);
  }
  if (!url.pathname.endsWith('.json')) {
    throw new LabInputError('url', `"${url.pathname}" is not a model.json address.`);
  }
  return url;
}

/**
 * True when the server answered with a web page: static servers and Vite's
 * SPA fallback answer unknown paths with index.html and status 200, which is
 * "not found" for a model file.
 */
function isWebPage(res: Response): boolean {
  return /^text\/html\b/i.test(res.headers.get('content-type') ?? '');
}

/**
 * Fetches model.json and its shards from a same-origin URL. Each shard path
 * has passed checkShardPath (relative, no ".."), is fetched once, and must
 * resolve inside the model's own folder on the same origin.
 */
export async function artifactsFromUrl(raw: string, origin: string, signal?: AbortSignal): Promise<io.ModelArtifacts> {
  const url = resolveSameOriginModelUrl(raw, origin);
  const name = baseName(url.pathname) || 'model.json';
  let res: Response;
  try {
    res = await fetch(url, { signal });
  } catch (err) {
    throw new LabInputError('model-json', `Could not fetch ${url.pathname}: ${(err as Error).message}.`);
  }
  if (!res.ok || isWebPage(res)) {
    throw new LabInputError('model-json', `There is no model at ${url.pathname} on this site (${res.ok ? 'the server answered with a web page' : `the server answered ${res.status}`}). Check the address, or open the model's files instead.`);
  }
  const tooBig = jsonSizeError(url.pathname, Number(res.headers.get('content-length') ?? 0));
  if (tooBig) throw tooBig;
  const text = await res.text();
  return readModelArtifacts(text, async (path) => {
    const r = await fetch(resolveShardUrl(path, url), { signal });
    if (!r.ok) throw new LabInputError('weights', `the server answered ${r.status}`);
    if (isWebPage(r)) throw new LabInputError('weights', 'it is not on the server (it answered with a web page)');
    return r.arrayBuffer();
  }, name, undefined, deviceWeightLimits() ?? undefined);
}

/** A checked shard path resolved against model.json's URL; it must stay in the model's folder on its origin. */
function resolveShardUrl(path: ShardPath, modelUrl: URL): URL {
  const shard = new URL(path.raw, modelUrl);
  const folder = new URL('.', modelUrl);
  if (shard.origin !== modelUrl.origin || !shard.pathname.startsWith(folder.pathname)) {
    throw new LabInputError('weights', `it resolves outside the model's folder (${shard.pathname.slice(0, 80)})`);
  }
  return shard;
}

/** Last path segment of a URL path or file name, percent-decoded where that is well-formed. */
export function baseName(path: string): string {
  const parts = path.split(/[\\/]/);
  const last = parts[parts.length - 1] ?? path;
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}

/** Keras's and TF.js's default model names ("sequential_3"): they say nothing about the model. */
const DEFAULT_MODEL_NAME = /^(sequential|model|functional)(_\d+)?$/i;

/** The name a model config in model.json gives itself, if any. */
function configName(topology: unknown): string | null {
  const t = topology as { config?: { name?: unknown }; model_config?: { config?: { name?: unknown } } } | null;
  const name = t?.config?.name ?? t?.model_config?.config?.name;
  return typeof name === 'string' ? name : null;
}

/**
 * A model's name, the same rule in the CLI and the browser: the folder its
 * model.json is in when that is known (the CLI always knows it; the browser
 * when a folder was opened), else the .json file's own name unless it is
 * "model.json", else the name model.json's config gives the model unless it
 * is a default like "sequential_1", else "model". Control characters are
 * dropped and the name is cut to 80 characters.
 */
export function modelNameFor(source: { folder?: string | null; jsonName: string; topology?: unknown }): string {
  const own = source.jsonName.replace(/\.json$/i, '');
  const fromConfig = configName(source.topology);
  const candidates = [source.folder, own.toLowerCase() === 'model' ? null : own, fromConfig && !DEFAULT_MODEL_NAME.test(fromConfig) ? fromConfig : null];
  for (const c of candidates) {
    const clean = (c ?? '').replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, 80);
    if (clean) return clean;
  }
  return 'model';
}

/**
 * Builds artifacts from files the user picked or dropped: exactly one .json
 * (model.json preferred when several) plus the shards it names, matched by
 * file name (with or without an extension: the converter often writes
 * `group1-shard1of1`). Files are read locally; nothing is uploaded. `folder`
 * is the folder they came from when the user opened or dropped a folder
 * (else the one a picked file's relative path names, if any): the model's
 * name (see modelNameFor).
 */
export async function artifactsFromFiles(files: readonly File[], folder?: string | null): Promise<{ artifacts: io.ModelArtifacts; name: string }> {
  const jsons = files.filter((f) => f.name.toLowerCase().endsWith('.json'));
  if (jsons.length === 0) {
    throw new LabInputError('model-json', 'No .json file among the files opened. Open the model.json together with its weight files (or the folder holding them).');
  }
  const jsonFile = jsons.find((f) => f.name === 'model.json') ?? (jsons.length === 1 ? jsons[0] : undefined);
  if (!jsonFile) {
    throw new LabInputError('model-json', `Several .json files were opened (${jsons.map((f) => f.name).join(', ')}); open one model at a time.`);
  }
  const tooBig = jsonSizeError(jsonFile.name, jsonFile.size);
  if (tooBig) throw tooBig;
  const byName = new Map(files.map((f) => [f.name, f] as const));
  const fileFor = (path: ShardPath): File => {
    const file = byName.get(baseName(path.relative));
    if (!file) throw new LabInputError('weights', 'it was not among the files opened');
    return file;
  };
  const artifacts = await readModelArtifacts(await jsonFile.text(), async (path) => fileFor(path).arrayBuffer(), jsonFile.name, async (path) => fileFor(path).size, deviceWeightLimits() ?? undefined);
  const relative = (jsonFile.webkitRelativePath ?? '').split('/');
  const pickedFolder = relative.length > 1 ? relative[relative.length - 2] : null;
  return { artifacts, name: modelNameFor({ folder: folder ?? pickedFolder, jsonName: jsonFile.name, topology: artifacts.modelTopology }) };
}
