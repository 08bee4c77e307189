import { parseBackendParam, type BackendName } from '../model/backendBrowser';
import { parseSvdEngineParam, type SvdEngineName } from '../model/svdEngine';
import { LabInputError } from '../model/errors';
import { parseInputScale, type InputScale } from '../model/pixels';
import { FACTOR_METHOD_NAMES, isFactorMethodName, type FactorMethodName } from '../model/methods/registry';

import { PRESETS, findPreset } from './presets';

/**
 * Everything that goes into a share link, in one two-way table: each key
 * with its parser (which enforces the key's bounds) and its writer. A key
 * that is not in URL_PROPS is never read or written, so adding shared
 * state means deciding here how it is parsed, bounded and written.
 * Values that depend on the open model (layer names, rank limits, channel
 * counts) are checked again when the model is loaded (rankSpec.ts).
 */

interface UrlProp<T> {
  /** Parses the raw value; throws LabInputError on garbage or a value out of bounds. */
  parse(raw: string): T;
  /** The value's text in the address; parse(write(v)) returns v. */
  write(value: T): string;
}

const MAX_LEN = 2000;
const asText = (v: string | number) => String(v);

function boundedText(what: string): UrlProp<string> {
  return {
    parse(raw) {
      // eslint-disable-next-line no-control-regex
      if (raw.length > MAX_LEN || /[\u0000-\u001f\u007f]/.test(raw)) {
        throw new LabInputError('url', `The ${what} in the address is too long or contains control characters; it was ignored.`);
      }
      return raw;
    },
    write: asText,
  };
}

/** An integer key within [min, max]. */
function boundedInteger(what: string, min: number, max: number): UrlProp<number> {
  return {
    parse(raw) {
      const n = /^\d{1,6}$/.test(raw) ? Number(raw) : NaN;
      if (!(n >= min && n <= max)) throw new LabInputError('url', `The ${what} "${raw.slice(0, 40)}" in the address must be a whole number from ${min} to ${max}; it was ignored.`);
      return n;
    },
    write: asText,
  };
}

/** The highest lesson step a link may name (the lesson itself may have fewer; it checks). */
export const MAX_LESSON_STEP = 20;

/** Every key of the share link with its parser and writer; nothing else is read from or written to the URL. */
export const URL_PROPS = {
  /** Forces a TF.js backend (tests drive WebGPU on a software adapter with it). */
  backend: { parse: (raw: string): BackendName | null => parseBackendParam(raw), write: (v: BackendName | null) => v ?? '' } satisfies UrlProp<BackendName | null>,
  /** Forces where SVDs run (gpu needs the WebGPU backend). */
  svd: { parse: (raw: string): SvdEngineName | null => parseSvdEngineParam(raw), write: (v: SvdEngineName | null) => v ?? '' } satisfies UrlProp<SvdEngineName | null>,
  /** A saved configuration (presets.ts); expands to its keys, which the link's own keys override. */
  preset: {
    parse: (raw: string): string => {
      if (!findPreset(raw)) throw new LabInputError('url', `There is no preset "${raw.slice(0, 40)}" (presets: ${PRESETS.map((p) => p.name).join(', ')}); it was ignored.`);
      return raw;
    },
    write: asText,
  } satisfies UrlProp<string>,
  /** A bundled model id or a same-origin model.json path; an unknown bundled id is reported when the manifest is known. */
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
    write: asText,
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
    write: asText,
  } satisfies UrlProp<InputScale>,
  /** The lesson step on screen, 1..MAX_LESSON_STEP (the store's lessonStep). */
  lesson: boundedInteger('lesson step', 1, MAX_LESSON_STEP),
  /** Presentation mode (the store's presenting): `1` when on, absent when off. */
  present: {
    parse: (raw: string): boolean => {
      if (raw !== '1' && raw !== '0') throw new LabInputError('url', `"present" in the address must be 1 (presentation mode) or 0; "${raw.slice(0, 40)}" was ignored.`);
      return raw === '1';
    },
    write: (v: boolean) => (v ? '1' : ''),
  } satisfies UrlProp<boolean>,
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

/** Writes the shared keys into `search` with their writers, keeping unrelated parameters as they are; an empty text leaves the key out. */
export function writeUrlState(search: string, state: UrlState): string {
  const params = new URLSearchParams(search);
  for (const key of Object.keys(URL_PROPS) as Array<keyof typeof URL_PROPS>) {
    const value = state[key];
    const text = value === undefined || value === null ? '' : (URL_PROPS[key].write as (v: typeof value) => string)(value);
    if (text === '') params.delete(key);
    else params.set(key, text);
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

