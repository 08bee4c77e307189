import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { URL_PROPS, MAX_LESSON_STEP, readUrlState, writeUrlState, type UrlState } from '../../src/store/urlState';
import { linkState, shareSearch, type LinkSource } from '../../src/store/shareLink';
import { expandPreset } from '../../src/store/presetLink';
import { PRESETS } from '../../src/store/presets';
import { BACKENDS } from '../../src/model/backendBrowser';
import { SVD_ENGINES } from '../../src/model/svdEngine';
import { FACTOR_METHOD_NAMES, type FactorMethodName } from '../../src/model/methods/registry';
import { LabInputError } from '../../src/model/errors';
import { parseGroupSpec, parseRankSpec } from '../../src/model/rankSpec';
import type { LayerInfo } from '../../src/model/labModel';
import type { RankPlan } from '../../src/model/plan';

/**
 * The share-link parser under fast-check: whatever a link holds (any text,
 * the lab's own keys with garbage, broken %-escapes, huge or repeated values,
 * any Unicode), reading it returns a state and plain messages and never
 * throws; every value it accepts lies within its key's bounds, written out
 * here independently of URL_PROPS; and every valid state written as a link
 * reads back as itself. The rank and group specs a link carries are parsed
 * against the model later, and may only refuse with LabInputError.
 * Fixed seeds, so a failure reproduces; fast-check shrinks it to a small case.
 */

const KEYS = Object.keys(URL_PROPS) as Array<keyof typeof URL_PROPS>;
const RUNS = { seed: 20261202, numRuns: 1000 };

/** Whether `value` is one `key` may hold: the bounds the lab promises, restated here rather than read from the parsers. */
function withinBounds(key: keyof typeof URL_PROPS, value: unknown): boolean {
  switch (key) {
    case 'backend': return (BACKENDS as readonly unknown[]).includes(value);
    case 'svd': return (SVD_ENGINES as readonly unknown[]).includes(value);
    case 'preset': return PRESETS.some((p) => p.name === value);
    case 'model':
    case 'ranks':
    case 'groups':
      // eslint-disable-next-line no-control-regex
      return typeof value === 'string' && value.length > 0 && value.length <= 2000 && !/[\u0000-\u001f\u007f]/.test(value);
    case 'method': return (FACTOR_METHOD_NAMES as readonly unknown[]).includes(value);
    case 'scale': return value === 1 || value === 255;
    case 'lesson': return Number.isInteger(value) && (value as number) >= 1 && (value as number) <= MAX_LESSON_STEP;
    case 'present': return typeof value === 'boolean';
  }
}

/** Reads `search` and checks what comes back: no throw, only known keys, every value in bounds, messages as plain short-ish text. */
function readsWithinBounds(search: string): void {
  const { state, errors } = readUrlState(search);
  for (const [key, value] of Object.entries(state)) {
    expect(KEYS, key).toContain(key);
    expect(withinBounds(key as keyof typeof URL_PROPS, value), `${key}=${JSON.stringify(value)?.slice(0, 80)}`).toBe(true);
  }
  for (const e of errors) {
    expect(typeof e).toBe('string');
    expect(e.length).toBeGreaterThan(0);
  }
  // What was accepted can be put into a link again, and the preset expansion the boot does on it cannot throw.
  expect(() => writeUrlState(search, state)).not.toThrow();
  expect(() => expandPreset(state)).not.toThrow();
}

/** Any text, including lone surrogates and control characters. */
const anyText = fc.string({ unit: 'binary', maxLength: 300 });
/** A %-escape, well formed or not. */
const escape = fc.oneof(
  fc.constantFrom('%', '%z', '%4', '%E0%A4%A', '%ED%A0%80', '%00', '%7F', '%C0%AF', '%FF', '%2B', '%3D', '%26', '+'),
  fc.integer({ min: 0, max: 255 }).map((b) => `%${b.toString(16).padStart(2, '0')}`),
);
/** A value made of text, escapes, and now and then something huge. */
const garbageValue = fc.oneof(
  { weight: 5, arbitrary: fc.array(fc.oneof(anyText, escape, fc.constantFrom('=', '&', '?', '#', '1', '255', '20', '0', '-1', 'svd', 'alds', 'webgpu', 'gpu')), { maxLength: 8 }).map((parts) => parts.join('')) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('x', '9', '%', 'é', '\u0000', '😀'), fc.integer({ min: 1990, max: 20_000 })).map(([c, n]) => c.repeat(n)) },
);
/** A key: one of the lab's, a library's, or anything. */
const anyKey = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...KEYS, 'tfjsflags') }, { weight: 1, arbitrary: fc.oneof(anyText, escape) });
/** A query string of key=value parts, keys often repeated, raw or %-encoded. */
const queryString = fc.array(
  fc.tuple(anyKey, garbageValue, fc.boolean(), fc.boolean()).map(([k, v, encode, bare]) => {
    const key = encode ? encodeURIComponent(k.replace(/[\uD800-\uDFFF]/g, '')) : k;
    if (bare) return key;
    return `${key}=${encode ? encodeURIComponent(v.replace(/[\uD800-\uDFFF]/g, '')) : v}`;
  }),
  { maxLength: 12 },
).map((parts) => `?${parts.join('&')}`);

/** Non-empty link text within the length bound and without control characters (any other Unicode, lone surrogates excepted). */
const linkText = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 200 })
  // eslint-disable-next-line no-control-regex
  .map((s) => s.replace(/[\u0000-\u001f\u007f]/g, ''))
  .filter((s) => s.length > 0 && s.length <= 2000);

/** A state every key of which is valid (or absent). */
const validState: fc.Arbitrary<UrlState> = fc.record({
  backend: fc.constantFrom(...BACKENDS),
  svd: fc.constantFrom(...SVD_ENGINES),
  preset: fc.constantFrom(...PRESETS.map((p) => p.name)),
  model: linkText,
  ranks: linkText,
  method: fc.constantFrom(...FACTOR_METHOD_NAMES),
  groups: linkText,
  scale: fc.constantFrom(1 as const, 255 as const),
  lesson: fc.integer({ min: 1, max: MAX_LESSON_STEP }),
  present: fc.boolean(),
}, { requiredKeys: [] }).map((s) => {
  // `present=false` is written as no key at all (the default), so it reads back absent.
  const { present, ...rest } = s;
  return present ? { ...rest, present } : rest;
});

describe('share-link parser under fuzzing', () => {
  it('never throws on any text, and keeps only in-bound values', () => {
    fc.assert(fc.property(anyText, (text) => readsWithinBounds(text)), RUNS);
    fc.assert(fc.property(anyText, (text) => readsWithinBounds(`?${text}`)), RUNS);
  });

  it("never throws on the lab's keys with garbage, broken escapes, huge and repeated values", () => {
    fc.assert(fc.property(queryString, (search) => readsWithinBounds(search)), RUNS);
  });

  it('reports every refused value: a key whose first value is non-empty is either kept or explained', () => {
    fc.assert(fc.property(fc.constantFrom(...KEYS), garbageValue.filter((v) => v.length > 0 && !v.includes('&') && !v.includes('%') && !v.includes('+')), (key, value) => {
      const { state, errors } = readUrlState(`?${key}=${value}`);
      // An accepted value is the decoded one; a refused one leaves the key out with a message.
      if (key in state) expect(errors).toEqual([]);
      else expect(errors.length).toBe(1);
    }), RUNS);
  });

  it('reads every valid state back from the link it writes, also beside unrelated parameters', () => {
    fc.assert(fc.property(validState, (state) => {
      expect(readUrlState(writeUrlState('', state))).toEqual({ state, errors: [] });
      const beside = writeUrlState('?utm_source=x%26y&ref=%E2%9C%93', state);
      expect(readUrlState(beside)).toEqual({ state, errors: [] });
      expect(new URLSearchParams(beside).get('utm_source')).toBe('x&y');
    }), RUNS);
  });

  it("writes the store's shared state as a link that reads back as that state", () => {
    const layerName = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,11}$/);
    const source: fc.Arbitrary<LinkSource> = fc.record({
      modelId: fc.option(linkText, { nil: null }),
      plan: fc.dictionary(layerName, fc.integer({ min: 1, max: 4096 }), { maxKeys: 4 }).map((p) => p as unknown as RankPlan),
      method: fc.constantFrom(...FACTOR_METHOD_NAMES) as fc.Arbitrary<FactorMethodName>,
      groups: fc.dictionary(layerName, fc.integer({ min: 2, max: 64 }), { maxKeys: 3 }),
      inputScale: fc.option(fc.record({ scale: fc.constantFrom(1 as const, 255 as const), how: fc.constantFrom('chosen' as const, 'detected' as const) }), { nil: null }),
      lessonStep: fc.option(fc.integer({ min: 0, max: MAX_LESSON_STEP - 1 }), { nil: null }),
      presenting: fc.boolean(),
    }) as fc.Arbitrary<LinkSource>;
    fc.assert(fc.property(source, (s) => {
      const expected = Object.fromEntries(Object.entries(linkState(s)).filter(([, v]) => v !== undefined));
      expect(readUrlState(shareSearch(s))).toEqual({ state: expected, errors: [] });
    }), RUNS);
  });
});

describe('rank and group specs from a link, under fuzzing', () => {
  const layers: LayerInfo[] = [
    { index: 0, name: 'fc1', className: 'Dense', kind: 'dense', kernelShape: [784, 64], weightShape: [784, 64], channels: 784, params: 50240, hasBias: true, activation: 'relu', factorizable: true, reason: null, rankLimit: 64 },
    { index: 1, name: 'drop', className: 'Dropout', kind: null, kernelShape: null, channels: 0, params: 0, hasBias: false, activation: null, factorizable: false, reason: 'has no weights', rankLimit: 0 },
    { index: 2, name: 'out', className: 'Dense', kind: 'dense', kernelShape: [64, 10], weightShape: [64, 10], channels: 64, params: 650, hasBias: true, activation: 'softmax', factorizable: true, reason: null, rankLimit: 10 },
  ] as LayerInfo[];
  const limit: Record<string, number> = { fc1: 64, out: 10 };
  const channels: Record<string, number> = { fc1: 784, out: 64 };
  const specText = fc.oneof(
    anyText,
    fc.array(fc.tuple(fc.constantFrom('fc1', 'out', 'drop', 'x', '', ' fc1'), fc.oneof(fc.integer({ min: -5, max: 100 }).map(String), fc.constantFrom('', '1e3', '07', '99999999999999999999', ' 3'))).map(([n, k]) => `${n}=${k}`), { maxLength: 5 }).map((p) => p.join(',')),
    fc.integer({ min: -3, max: 5000 }).map(String),
  );

  /** Calls `parse`: it returns, or refuses with LabInputError; any other throw escapes its boundary. */
  function refusesOnlyWithLabInputError<T>(parse: () => T): T | null {
    try {
      return parse();
    } catch (err) {
      expect(err).toBeInstanceOf(LabInputError);
      return null;
    }
  }

  it('parseRankSpec returns ranks within each layer\'s limit or refuses with LabInputError', () => {
    fc.assert(fc.property(specText, (spec) => {
      const plan = refusesOnlyWithLabInputError(() => parseRankSpec(spec, layers));
      for (const [name, k] of Object.entries(plan ?? {})) {
        expect(Object.keys(limit)).toContain(name);
        expect(Number.isInteger(k) && k >= 1 && k <= limit[name], `${name}=${k}`).toBe(true);
      }
    }), RUNS);
  });

  it('parseGroupSpec returns group counts that divide the input channels or refuses with LabInputError', () => {
    fc.assert(fc.property(specText, (spec) => {
      const groups = refusesOnlyWithLabInputError(() => parseGroupSpec(spec, layers));
      for (const [name, k] of Object.entries(groups ?? {})) {
        expect(Object.keys(channels)).toContain(name);
        expect(Number.isInteger(k) && k > 1 && channels[name] % k === 0, `${name}=${k}`).toBe(true);
      }
    }), RUNS);
  });
});
