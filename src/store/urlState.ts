import { parseBackendParam, type BackendName } from '../model/backendBrowser';
import { parseSvdEngineParam, type SvdEngineName } from '../model/svdEngine';
import { LabInputError } from '../model/errors';
import { parseInputScale, type InputScale } from '../model/pixels';
import { FACTOR_METHOD_NAMES, isFactorMethodName, type FactorMethodName } from '../model/methods/registry';

/**
 * Everything that goes into a share link, in one table: each key with its
 * parser. A key that is not in URL_PROPS is never read or written, so adding
 * shared state means deciding here how it is parsed and bounded.
 */

interface UrlProp<T> {
  /** Parses the raw value; throws LabInputError on garbage. */
  parse(raw: string): T;
}

const MAX_LEN = 2000;

function boundedText(what: string): UrlProp<string> {
  return {
    parse(raw) {
      // eslint-disable-next-line no-control-regex
      if (raw.length > MAX_LEN || /[\u0000-\u001f\u007f]/.test(raw)) {
        throw new LabInputError('url', `The ${what} in the address is too long or contains control characters; it was ignored.`);
      }
      return raw;
    },
  };
}

/** Every key of the share link with its parser; nothing else is read from or written to the URL. */
export const URL_PROPS = {
  /** Forces a TF.js backend (tests drive WebGPU on a software adapter with it). */
  backend: { parse: (raw: string): BackendName | null => parseBackendParam(raw) } satisfies UrlProp<BackendName | null>,
  /** Forces where SVDs run (gpu needs the WebGPU backend). */
  svd: { parse: (raw: string): SvdEngineName | null => parseSvdEngineParam(raw) } satisfies UrlProp<SvdEngineName | null>,
  /** A bundled model id or a same-origin model.json path. */
  model: boundedText('model'),
  /** A rank spec, checked against the model once it is loaded. */
  ranks: boundedText('ranks'),
  /** The factor method on screen (svd when absent). */
  method: {
    parse: (raw: string): FactorMethodName => {
      if (!isFactorMethodName(raw)) {
        throw new LabInputError('url', `The method "${raw.slice(0, 40)}" in the address is not one of ${FACTOR_METHOD_NAMES.join(', ')}; it was ignored.`);
      }
      return raw;
    },
  } satisfies UrlProp<FactorMethodName>,
  /** ALDS channel groups, `layer=k` pairs, checked against the model once it is loaded. */
  groups: boundedText('groups'),
  /** The pixel range the user chose for the model (1 or 255); detected when absent. */
  scale: {
    parse: (raw: string): InputScale => {
      const scale = parseInputScale(raw);
      if (scale === null) throw new LabInputError('url', `The input scale "${raw.slice(0, 40)}" in the address must be 1 or 255; it was ignored.`);
      return scale;
    },
  } satisfies UrlProp<InputScale>,
};

/** Parsed share-link values; a key is absent when the link lacks it or its value was refused. */
export type UrlState = { [K in keyof typeof URL_PROPS]?: ReturnType<(typeof URL_PROPS)[K]['parse']> };

/** Parameters that libraries read from an address; the lab never lets a link set them, and says so. */
const LIBRARY_KEYS: Record<string, string> = {
  tfjsflags: 'TF.js flags cannot be set from a link; "tfjsflags" in the address was ignored.',
};

/**
 * Splits a query string into parameters the way URLSearchParams does, but
 * drops (and reports) every part whose %-escapes are malformed, instead of
 * passing the raw text on.
 */
function wellFormedParams(search: string, errors: string[]): URLSearchParams {
  const params = new URLSearchParams();
  const broken: string[] = [];
  for (const part of search.replace(/^\?/, '').split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const [rawKey, rawValue] = eq < 0 ? [part, ''] : [part.slice(0, eq), part.slice(eq + 1)];
    try {
      params.append(decodeURIComponent(rawKey.replace(/\+/g, ' ')), decodeURIComponent(rawValue.replace(/\+/g, ' ')));
    } catch {
      broken.push(part.slice(0, 40));
    }
  }
  if (broken.length > 0) {
    errors.push(`Part of the address is malformed (a broken %-escape in ${broken.map((b) => JSON.stringify(b)).join(', ')}); it was ignored and the lab opened without it.`);
  }
  return params;
}

/** Reads the shared keys from a query string; malformed parts and bad values are dropped and reported. */
export function readUrlState(search: string): { state: UrlState; errors: string[] } {
  const errors: string[] = [];
  const params = wellFormedParams(search, errors);
  const state: Record<string, unknown> = {};
  for (const key of Object.keys(LIBRARY_KEYS)) if (params.has(key)) errors.push(LIBRARY_KEYS[key]);
  for (const key of Object.keys(URL_PROPS) as Array<keyof typeof URL_PROPS>) {
    const raw = params.get(key);
    if (raw === null || raw === '') continue;
    try {
      state[key] = URL_PROPS[key].parse(raw);
    } catch (err) {
      errors.push(err instanceof Error ? err.message : String(err));
    }
  }
  return { state: state as UrlState, errors };
}

/** Writes the shared keys into `search`, keeping unrelated parameters as they are. */
export function writeUrlState(search: string, state: UrlState): string {
  const params = new URLSearchParams(search);
  for (const key of Object.keys(URL_PROPS) as Array<keyof typeof URL_PROPS>) {
    const value = state[key];
    if (value === undefined || value === null || value === '') params.delete(key);
    else params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}
