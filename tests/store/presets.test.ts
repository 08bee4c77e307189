import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PRESETS } from '../../src/store/presets';
import { KNOB_RULES } from '../../src/model/rules/registry';
import { isFactorMethodName } from '../../src/model/methods/registry';
import { createLabStore } from '../../src/store/createLabStore';
import { REPO_ROOT, useNodeBackend } from '../../src/cli/nodeEnv';
import { createNodeLabEnv } from '../helpers/nodeLabEnv';

/**
 * The teacher presets: each names a bundled model, a known method, ranks
 * each of whose layers exist in that model's model.json within 1..min(m, n)
 * of its kernel, or a rule whose knob is within bounds; and presets apply
 * through the store, by link and from the select.
 */

interface ModelJson { weightsManifest: Array<{ weights: Array<{ name: string; shape: number[] }> }> }

/** The oracle: rank limits straight from a bundled model.json's kernel shapes (a convolution's kh kw c_in rows by c_out columns). */
function rankLimits(model: string): Record<string, number> {
  const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'public', 'models', 'manifest.json'), 'utf8')) as { models: Array<{ id: string; path: string }> };
  const entry = manifest.models.find((m) => m.id === model);
  if (!entry) throw new Error(`no bundled model ${model}`);
  const json = JSON.parse(readFileSync(join(REPO_ROOT, 'public', entry.path), 'utf8')) as ModelJson;
  const limits: Record<string, number> = {};
  for (const w of json.weightsManifest.flatMap((g) => g.weights)) {
    const m = /^(.*)\/kernel$/.exec(w.name);
    if (!m) continue;
    const rows = w.shape.slice(0, -1).reduce((p, d) => p * d, 1);
    limits[m[1]] = Math.min(rows, w.shape.at(-1)!);
  }
  return limits;
}

function parsePairs(spec: string): Array<[string, number]> {
  return spec.split(',').map((p) => {
    const [name, k] = p.split('=');
    return [name, Number(k)];
  });
}

describe('preset data', () => {
  it('has 3 to 5 presets with distinct link-safe names', () => {
    expect(PRESETS.length).toBeGreaterThanOrEqual(3);
    expect(PRESETS.length).toBeLessThanOrEqual(5);
    expect(new Set(PRESETS.map((p) => p.name)).size).toBe(PRESETS.length);
    for (const p of PRESETS) expect(p.name).toMatch(/^[a-z0-9-]+$/);
  });

  it.each(PRESETS.map((p) => [p.name, p] as const))('%s names ranks within its model\'s layers, or a rule within its knob', (_name, preset) => {
    const limits = rankLimits(preset.model);
    expect(preset.method === undefined || isFactorMethodName(preset.method)).toBe(true);
    // The ALDS rule implies its own grouped-SVD method; a preset says so rather than leaving it implied.
    if (preset.rule?.name === 'alds') expect(preset.method).toBe('alds');
    expect(preset.ranks !== undefined || preset.rule !== undefined).toBe(true);
    for (const [layer, k] of parsePairs(preset.ranks ?? '')) {
      if (layer === '') continue;
      expect(limits[layer], `${layer} in ${preset.model}`).toBeDefined();
      expect(k).toBeGreaterThanOrEqual(1);
      expect(k).toBeLessThanOrEqual(limits[layer]);
    }
    if (preset.rule) {
      const knob = KNOB_RULES[preset.rule.name].knob;
      expect(preset.rule.value).toBeGreaterThanOrEqual(knob.min);
      expect(preset.rule.value).toBeLessThanOrEqual(knob.max);
    }
  });
});

describe('presets applied through the store', () => {
  const store = createLabStore(createNodeLabEnv());

  beforeAll(async () => {
    await useNodeBackend('wasm');
  });

  afterAll(async () => {
    await store.dispose();
  });

  it('opens ?preset=mlp64-fc1-r8 at its ranks', async () => {
    await store.getState().boot({ preset: 'mlp64-fc1-r8' });
    await store.getState().whenIdle();
    const s = store.getState();
    expect([s.modelId, s.plan, s.method, s.error]).toEqual(['mlp-64', { fc1: 8 }, 'svd', null]);
    expect(s.current!.key).toBe('fc1=8,fc2=dense,out=dense');
  });

  it.each(PRESETS.map((p) => [p.name, p] as const))('applies %s from the select: its model, method and ranks within limits', async (name, preset) => {
    await store.getState().applyPreset(name);
    await store.getState().whenIdle();
    const s = store.getState();
    expect(s.error).toBeNull();
    expect(s.modelId).toBe(preset.model);
    expect(s.method).toBe(preset.method ?? 'svd');
    const limits = rankLimits(preset.model);
    if (preset.ranks) expect(s.plan).toEqual(Object.fromEntries(parsePairs(preset.ranks)));
    else expect(Object.keys(s.plan).length).toBeGreaterThan(0);
    // ALDS's rule picks channel groups too; they divide each layer's input channels.
    if (preset.method === 'alds') for (const [layer, g] of Object.entries(s.groups)) expect(s.layers.find((l) => l.name === layer)!.channels % g).toBe(0);
    for (const [layer, k] of Object.entries(s.plan)) {
      expect(k).toBeGreaterThanOrEqual(1);
      expect(k).toBeLessThanOrEqual(limits[layer]);
    }
  }, 240_000);

  it('reports an unknown preset name and changes nothing', async () => {
    const before = store.getState().plan;
    await store.getState().applyPreset('nope');
    expect(store.getState().error).toMatch(/There is no preset "nope"/);
    expect(store.getState().plan).toBe(before);
  });
});
