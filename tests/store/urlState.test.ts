import { describe, expect, it } from 'vitest';
import { expandPreset } from '../../src/store/presetLink';
import { URL_PROPS, readUrlState, writeUrlState, MAX_LESSON_STEP, type UrlState } from '../../src/store/urlState';
import { linkState, shareSearch } from '../../src/store/shareLink';
import { PRESETS } from '../../src/store/presets';
import { parseRankSpec, formatRankSpec, parseGroupSpec, formatGroupSpec } from '../../src/model/rankSpec';
import { sweepRanks } from '../../src/store/sweepRanks';
import type { LayerInfo } from '../../src/model/labModel';

/** Share-link parsing and the rank-spec text both the link and the CLI use. */

const layers: LayerInfo[] = [
  { index: 0, name: 'fc1', className: 'Dense', kind: 'dense', kernelShape: [784, 64], weightShape: [784, 64], channels: 784, params: 50240, hasBias: true, activation: 'relu', factorizable: true, reason: null, rankLimit: 64 },
  { index: 1, name: 'drop', className: 'Dropout', kind: null, kernelShape: null, channels: 0, params: 0, hasBias: false, activation: null, factorizable: false, reason: 'has no weights', rankLimit: 0 },
  { index: 2, name: 'out', className: 'Dense', kind: 'dense', kernelShape: [64, 10], weightShape: [64, 10], channels: 64, params: 650, hasBias: true, activation: 'softmax', factorizable: true, reason: null, rankLimit: 10 },
];

describe('URL state', () => {
  it('reads the shared keys and ignores others', () => {
    const { state, errors } = readUrlState('?backend=webgpu&svd=gpu&model=mlp-64&ranks=fc1%3D16&method=alds&groups=fc1%3D4&utm=x');
    expect(state).toEqual({ backend: 'webgpu', svd: 'gpu', model: 'mlp-64', ranks: 'fc1=16', method: 'alds', groups: 'fc1=4' });
    expect(errors).toEqual([]);
  });

  it('reads a chosen input scale, refuses any other, and writes it back', () => {
    expect(readUrlState('?model=mlp-64&scale=255').state).toEqual({ model: 'mlp-64', scale: 255 });
    expect(readUrlState('?scale=1').state).toEqual({ scale: 1 });
    const { state, errors } = readUrlState('?scale=256');
    expect(state).toEqual({});
    expect(errors).toEqual(['The input scale "256" in the address must be 1 or 255; it was ignored.']);
    expect(writeUrlState('', { model: 'mlp-64', scale: 255 })).toBe('?model=mlp-64&scale=255');
  });

  it('drops garbage with a message instead of failing', () => {
    const { state, errors } = readUrlState('?backend=quantum&svd=tpu&model=%00%01&method=magic&ranks=' + 'x'.repeat(3000));
    expect(state).toEqual({});
    expect(errors).toHaveLength(5);
    expect(errors.join(' ')).toMatch(/"magic" in the address is not one of svd, data-aware/);
    expect(errors[0]).toMatch(/"quantum" is not a backend/);
    expect(errors[1]).toMatch(/"tpu" is not an SVD engine/);
    expect(errors[2]).toMatch(/control characters/);
  });

  it.each([
    ['?foo=%', 'foo=%', {}],
    ['?ranks=%', 'ranks=%', {}],
    ['?model=%E0%A4%A', 'model=%E0%A4%A', {}],
    ['?model=mlp-512&ranks=%zz&method=lp', 'ranks=%zz', { model: 'mlp-512', method: 'lp' }],
    ['?%=1&svd=cpu', '%=1', { svd: 'cpu' }],
  ])('drops the malformed part of %j with a message and keeps the rest', (search, part, kept) => {
    const { state, errors } = readUrlState(search);
    expect(state).toEqual(kept);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`broken %-escape in ${JSON.stringify(part)}`);
  });

  it.each(['?tfjsflags=DEBUG:true', '?tfjsflags=garbage', '?tfjsflags=KEEP_INTERMEDIATE_TENSORS:true', '?tfjsflags=WASM_HAS_SIMD_SUPPORT:false'])(
    'says that %j is not for links to set', (search) => {
      const { state, errors } = readUrlState(search);
      expect(state).toEqual({});
      expect(errors).toEqual(['TF.js flags cannot be set from a link; "tfjsflags" in the address was ignored.']);
    });

  it('decodes + and %-escapes as a browser does', () => {
    expect(readUrlState('?ranks=fc1%3D16%2Cout%3D3&model=models%2Fmy+model%2Fmodel.json').state).toEqual({ ranks: 'fc1=16,out=3', model: 'models/my model/model.json' });
  });

  it('writes keys back, keeping unrelated parameters', () => {
    expect(writeUrlState('?utm=x&ranks=old', { model: 'mlp-512', ranks: 'fc1=3' })).toBe('?utm=x&ranks=fc1%3D3&model=mlp-512');
    expect(writeUrlState('?ranks=old', {})).toBe('');
  });
});

describe('the URL table, both ways', () => {
  // One sample value per key: a new key in URL_PROPS fails to compile here until it has one.
  const samples: { [K in keyof typeof URL_PROPS]-?: Array<NonNullable<UrlState[K]>> } = {
    backend: ['webgpu', 'wasm'], svd: ['gpu', 'cpu'], preset: [PRESETS[0].name], model: ['mlp-64', 'models/x y/model.json'],
    ranks: ['fc1=16,fc2=3'], method: ['svd+int4', 'alds'], groups: ['fc1=4'], scale: [1, 255], lesson: [1, MAX_LESSON_STEP], present: [true],
  };

  it.each(Object.entries(samples))('%s: parse(write(v)) is v, and the written link reads back', (key, values) => {
    const prop = URL_PROPS[key as keyof typeof URL_PROPS] as { parse(raw: string): unknown; write(v: unknown): string };
    for (const v of values) {
      expect(prop.parse(prop.write(v))).toEqual(v);
      const search = writeUrlState('', { [key]: v });
      expect(readUrlState(search)).toEqual({ state: { [key]: v }, errors: [] });
    }
  });

  it.each([
    ['?lesson=0', /lesson step "0" in the address must be a whole number from 1 to 20/],
    ['?lesson=21', /from 1 to 20/],
    ['?lesson=2.5', /from 1 to 20/],
    ['?lesson=-1', /from 1 to 20/],
    ['?present=yes', /"present" in the address must be 1/],
    ['?preset=nope', /There is no preset "nope" \(presets: mlp64-fc1-r8/],
  ])('refuses %s with a message', (search, message) => {
    const { state, errors } = readUrlState(search);
    expect(state).toEqual({});
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(message);
  });

  it('leaves presentation mode off the link when it is off', () => {
    expect(writeUrlState('', { present: false, lesson: 3 })).toBe('?lesson=3');
  });

  it('writes the store\'s shared state: lesson steps count from 1 in the link, from 0 in the store', () => {
    const base = { modelId: 'mlp-64', plan: { fc1: 16 } as never, method: 'svd' as const, groups: {}, inputScale: null, lessonStep: null, presenting: false };
    expect(shareSearch(base)).toBe('?model=mlp-64&ranks=fc1%3D16');
    expect(shareSearch({ ...base, lessonStep: 2, presenting: true })).toBe('?model=mlp-64&ranks=fc1%3D16&lesson=3&present=1');
    // Groups only travel with ALDS; a model opened from files (no id) has no model key.
    expect(linkState({ ...base, method: 'alds', groups: { fc1: 4 } })).toMatchObject({ method: 'alds', groups: 'fc1=4' });
    expect(linkState({ ...base, groups: { fc1: 4 } }).groups).toBeUndefined();
    expect(linkState({ ...base, modelId: null }).model).toBeUndefined();
    expect(readUrlState(shareSearch({ ...base, method: 'svd+int8', lessonStep: 0 })).state).toEqual({ model: 'mlp-64', ranks: 'fc1=16', method: 'svd+int8', lesson: 1 });
  });

  it('expands a preset under the link\'s own keys', () => {
    const withRanks = PRESETS.find((p) => p.ranks)!;
    expect(expandPreset({ preset: withRanks.name })).toEqual({ model: withRanks.model, method: withRanks.method, ranks: withRanks.ranks, rule: undefined });
    expect(expandPreset({ preset: withRanks.name, ranks: 'fc1=2' }).ranks).toBe('fc1=2');
    const withRule = PRESETS.find((p) => p.rule)!;
    expect(expandPreset({ preset: withRule.name }).rule).toEqual(withRule.rule);
    // Ranks in the link say what the user wants on screen: the preset's rule would overwrite them.
    expect(expandPreset({ preset: withRule.name, ranks: 'fc1=2' }).rule).toBeUndefined();
  });
});

describe('rank specs', () => {
  it('parses pairs and a uniform rank clamped per layer', () => {
    expect(parseRankSpec('fc1=16,out=3', layers)).toEqual({ fc1: 16, out: 3 });
    expect(parseRankSpec('32', layers)).toEqual({ fc1: 32, out: 10 });
    expect(formatRankSpec({ fc1: 16, out: 3 } as never)).toBe('fc1=16,out=3');
  });

  it.each([
    ['fc1=0', /out of range.*1\.\.64/],
    ['fc1=65', /out of range/],
    ['drop=2', /not a factorizable layer.*fc1, out/],
    ['fc1:16', /layer=rank/],
    ['fc1=1.5', /layer=rank/],
  ])('refuses %j', (spec, text) => {
    expect(() => parseRankSpec(spec, layers)).toThrow(text);
  });

  it.each([
    ['0', 'fc1=0', 0],
    ['00', 'fc1=0', 0],
    ['65', 'fc1=65', 65],
  ])('refuses the uniform rank %j with the message the pair %j gets', (uniform, pair, k) => {
    const message = `Rank ${k} for layer "fc1" is out of range: its 784x64 kernel allows 1..64.`;
    expect(() => parseRankSpec(pair, layers)).toThrow(message);
    expect(() => parseRankSpec(uniform, layers)).toThrow(message);
  });
});

describe('group specs', () => {
  it('parses divisors of the input width and writes back the grouped layers', () => {
    expect(parseGroupSpec('fc1=28,out=1', layers)).toEqual({ fc1: 28 });
    expect(formatGroupSpec({ fc1: 28, out: 1 })).toBe('fc1=28');
  });

  it.each([
    ['fc1=5', /5 channel groups do not divide the 784 input channels of layer "fc1"/],
    ['fc1=0', /0 channel groups/],
    ['drop=2', /layer=groups for a factorizable layer/],
    ['fc1:4', /layer=groups/],
  ])('refuses %j', (spec, text) => {
    expect(() => parseGroupSpec(spec, layers)).toThrow(text);
  });
});

describe('sweep ranks', () => {
  it('visits every rank of a small layer', () => {
    expect(sweepRanks(784, 64)).toEqual(Array.from({ length: 64 }, (_, i) => i + 1));
  });

  it('visits about 48 ranks of a large layer, including the last shrinking rank and the full rank', () => {
    const ranks = sweepRanks(784, 512);
    expect(ranks.length).toBeGreaterThan(40);
    expect(ranks.length).toBeLessThanOrEqual(50);
    expect(ranks.slice(0, 16)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    expect(ranks).toContain(Math.floor((784 * 512 - 1) / (784 + 512))); // largest k with k(m+n) < mn
    expect(ranks.at(-1)).toBe(512);
    expect([...ranks].sort((a, b) => a - b)).toEqual(ranks);
  });
});
