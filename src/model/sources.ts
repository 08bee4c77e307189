import type { io } from '@tensorflow/tfjs';
import { LabInputError } from './errors';
import { readModelArtifacts } from './artifacts';

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

/** Fetches model.json and its shards from a same-origin URL. */
export async function artifactsFromUrl(raw: string, origin: string, signal?: AbortSignal): Promise<io.ModelArtifacts> {
  const url = resolveSameOriginModelUrl(raw, origin);
  const name = decodeURIComponent(url.pathname.split('/').pop() ?? 'model.json');
  let res: Response;
  try {
    res = await fetch(url, { signal });
  } catch (err) {
    throw new LabInputError('model-json', `Could not fetch ${url.pathname}: ${(err as Error).message}.`);
  }
  if (!res.ok) throw new LabInputError('model-json', `Could not fetch ${url.pathname}: the server answered ${res.status}.`);
  const text = await res.text();
  return readModelArtifacts(text, async (path) => {
    const shardUrl = resolveShardUrl(path, url);
    const r = await fetch(shardUrl, { signal });
    if (!r.ok) throw new LabInputError('weights', `the server answered ${r.status}`);
    return r.arrayBuffer();
  }, name);
}

/** A shard path from a manifest may not climb out of the model's origin either. */
function resolveShardUrl(path: string, modelUrl: URL): URL {
  const shard = new URL(path, modelUrl);
  if (shard.origin !== modelUrl.origin) {
    throw new LabInputError('weights', `points to another site (${shard.origin})`);
  }
  return shard;
}

/** Last path segment of a manifest path or file name; how shards are matched to picked files. */
export function baseName(path: string): string {
  const parts = path.split(/[\\/]/);
  return decodeURIComponent(parts[parts.length - 1] ?? path);
}

/**
 * Builds artifacts from files the user picked or dropped: exactly one .json
 * (model.json preferred when several) plus the shards it names, matched by
 * file name. Files are read locally; nothing is uploaded.
 */
export async function artifactsFromFiles(files: readonly File[]): Promise<{ artifacts: io.ModelArtifacts; name: string }> {
  const jsons = files.filter((f) => f.name.toLowerCase().endsWith('.json'));
  if (jsons.length === 0) {
    throw new LabInputError('model-json', 'No .json file among the files opened. Open the model.json together with its weight .bin files.');
  }
  const jsonFile = jsons.find((f) => f.name === 'model.json') ?? (jsons.length === 1 ? jsons[0] : undefined);
  if (!jsonFile) {
    throw new LabInputError('model-json', `Several .json files were opened (${jsons.map((f) => f.name).join(', ')}); open one model at a time.`);
  }
  const byName = new Map(files.map((f) => [f.name, f] as const));
  const artifacts = await readModelArtifacts(await jsonFile.text(), async (path) => {
    const file = byName.get(baseName(path));
    if (!file) throw new LabInputError('weights', 'it was not among the files opened');
    return file.arrayBuffer();
  }, jsonFile.name);
  return { artifacts, name: jsonFile.name.replace(/\.json$/i, '') };
}
