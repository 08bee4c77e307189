import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';

/**
 * Imports point one way: core <- gpu <- model <- store <- ui, and cli uses
 * model/core only. core/ imports nothing outside itself; only model/ (and the
 * Node-side cli) import TF.js. This test reads every import so the direction
 * cannot rot silently.
 */

const SRC = resolve(__dirname, '..', 'src');
const LAYER_ORDER = ['core', 'gpu', 'model', 'store', 'ui'] as const;
const ALLOWED: Record<string, string[]> = {
  core: ['core'],
  gpu: ['core', 'gpu'],
  model: ['core', 'gpu', 'model'],
  store: ['core', 'gpu', 'model', 'store'],
  ui: ['core', 'gpu', 'model', 'store', 'ui'],
  // cli reaches gpu/ only for the GPU benchmark, which times the WGSL programs themselves; never tests/.
  cli: ['core', 'gpu', 'model', 'cli'],
  // The security headers vite.config.ts serves: plain data, no imports.
  server: ['server'],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : /\.tsx?$/.test(name) ? [path] : [];
  });
}

interface Import {
  spec: string;
  /** `import type` / `export type`: erased at build time, no module is loaded. */
  typeOnly: boolean;
  /** `import('...')`: loaded lazily, so it cannot form a load-time cycle, but it still crosses layers. */
  dynamic: boolean;
}

function importsOf(file: string): Import[] {
  const text = readFileSync(file, 'utf8');
  return [
    ...[...text.matchAll(/^\s*(import|export)\s+(type\s)?[^'"]*?from\s+['"]([^'"]+)['"]/gm)].map((m) => ({ spec: m[3], typeOnly: m[2] !== undefined, dynamic: false })),
    ...[...text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)].map((m) => ({ spec: m[1], typeOnly: false, dynamic: false })),
    ...[...text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => ({ spec: m[1], typeOnly: false, dynamic: true })),
  ];
}

/** The source file a relative import names (src-relative, with its extension), or null when it is not a source file. */
function resolveImport(from: string, spec: string): string | null {
  const base = relative(SRC, resolve(dirname(join(SRC, from)), spec));
  for (const candidate of [base, `${base}.ts`, `${base}.tsx`, `${base}/index.ts`]) {
    if (files.some((f) => f.file === candidate)) return candidate;
  }
  return null;
}

const files = sourceFiles(SRC).map((f) => {
  const all = importsOf(f);
  return { file: relative(SRC, f), layer: relative(SRC, f).split('/')[0], imports: all.map((i) => i.spec), detailed: all };
});

/** The layer a relative import of `file` lands in: the first folder under src/, or 'tests' for tests/. */
function targetLayer(file: string, spec: string): string {
  const rel = relative(SRC, resolve(dirname(join(SRC, file)), spec));
  return rel.startsWith('../tests/') ? 'tests' : rel.split('/')[0];
}

/** Every relative import of `list` that leaves the layers ALLOWED lets its file's layer reach, as `file -> spec (layer)`. */
function layerViolations(list: typeof files): string[] {
  return list.filter((f) => f.layer in ALLOWED).flatMap((f) => f.imports
    .filter((spec) => spec.startsWith('.') && !ALLOWED[f.layer].includes(targetLayer(f.file, spec)))
    .map((spec) => `${f.file} -> ${spec} (${targetLayer(f.file, spec)})`));
}

/** One import cycle among src's files (value and type imports alike), or null. */
function findCycle(): string[] | null {
  const edges = new Map(files.map((f) => [f.file, f.detailed.filter((i) => i.spec.startsWith('.') && !i.dynamic).map((i) => resolveImport(f.file, i.spec)).filter((t): t is string => t !== null)]));
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (file: string): string[] | null => {
    if (state.get(file) === 'done') return null;
    if (state.get(file) === 'open') return [...path.slice(path.indexOf(file)), file];
    state.set(file, 'open');
    path.push(file);
    for (const next of edges.get(file) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(file, 'done');
    return null;
  };
  for (const f of files) {
    const cycle = visit(f.file);
    if (cycle) return cycle;
  }
  return null;
}

describe('import direction', () => {
  it('finds the layers', () => {
    for (const layer of ['core', 'model', 'store', 'ui', 'cli']) expect(files.some((f) => f.layer === layer)).toBe(true);
  });

  it.each(files.filter((f) => f.layer in ALLOWED).map((f) => [f.file, f] as const))('%s imports only allowed layers', (_name, f) => {
    expect(layerViolations([f])).toEqual([]);
  });

  it('keeps TF.js inside model/ and cli/, and React out of core, gpu, model and store', () => {
    for (const f of files) {
      const pkgs = f.imports.filter((s) => !s.startsWith('.'));
      // main.tsx only preloads the big libraries by dynamic import, one task each, before boot.tsx runs.
      if (pkgs.some((p) => p.startsWith('@tensorflow/'))) expect(['model', 'cli', 'main.tsx'], f.file).toContain(f.layer);
      if (pkgs.some((p) => p === 'react' || p.startsWith('react-') || p === 'recharts')) expect(['ui', 'boot.tsx', 'main.tsx'], f.file).toContain(f.layer);
      if (f.layer === 'core') expect(pkgs, f.file).toEqual([]);
    }
  });

  it('keeps the page entry free of static imports, so no library sees the address before the lab has read it', () => {
    const entry = files.find((f) => f.file === 'main.tsx');
    expect(entry, 'src/main.tsx').toBeDefined();
    expect(entry!.detailed.filter((i) => !i.dynamic)).toEqual([]);
    expect(readFileSync(join(SRC, 'main.tsx'), 'utf8')).toMatch(/import\('\.\/boot'\)/);
  });

  it('has no import cycle among src/ files, main.tsx and boot.tsx included', () => {
    expect(files.map((f) => f.file)).toEqual(expect.arrayContaining(['main.tsx', 'boot.tsx']));
    expect(findCycle()).toBeNull();
  });

  it('finds a cycle where there is one (the check itself)', () => {
    const saved = files.slice();
    files.push({ file: 'x/a.ts', layer: 'x', imports: ['./b'], detailed: [{ spec: './b', typeOnly: true, dynamic: false }] });
    files.push({ file: 'x/b.ts', layer: 'x', imports: ['./a'], detailed: [{ spec: './a', typeOnly: false, dynamic: false }] });
    try {
      expect(findCycle()).toEqual(['x/a.ts', 'x/b.ts', 'x/a.ts']);
    } finally {
      files.splice(0, files.length, ...saved);
    }
  });

  it('lets ui/ take only types from core, gpu and model: their values reach the page through the store', () => {
    for (const f of files.filter((g) => g.layer === 'ui')) {
      for (const i of f.detailed.filter((d) => d.spec.startsWith('.') && !d.typeOnly)) {
        const target = relative(SRC, resolve(dirname(join(SRC, f.file)), i.spec)).split('/')[0];
        expect(['core', 'gpu', 'model'], `${f.file} imports values from ${i.spec}`).not.toContain(target);
      }
    }
  });

  it('tests Keras class names of kernel layers only inside their adapters (model/layers/)', () => {
    for (const f of files.filter((g) => !g.file.startsWith('model/layers/'))) {
      const text = readFileSync(join(SRC, f.file), 'utf8');
      expect(/className\s*[!=]==\s*['"](Dense|Conv2D)['"]|['"](Dense|Conv2D)['"]\s*[!=]==/.test(text), f.file).toBe(false);
    }
  });

  it('orders the layers as the style guide says: each layer really imports the one below it, and none above', () => {
    // The table itself: each layer may reach exactly itself and the layers before it.
    for (const [i, layer] of LAYER_ORDER.entries()) expect([...ALLOWED[layer]].sort(), layer).toEqual([...LAYER_ORDER.slice(0, i + 1)].sort());
    // The code: every edge core <- gpu <- model <- store <- ui is used by at least one real value or type import,
    // so the order is the code's and not only this file's (a layer that stopped using the one below would show here).
    for (const [i, layer] of LAYER_ORDER.entries()) {
      if (i === 0) continue;
      const below = LAYER_ORDER[i - 1];
      const users = files.filter((f) => f.layer === layer && f.imports.some((s) => s.startsWith('.') && targetLayer(f.file, s) === below));
      expect(users.length, `${layer}/ imports from ${below}/`).toBeGreaterThan(0);
    }
    expect(layerViolations(files)).toEqual([]);
  });

  it('reports an import against the order (the check itself, on planted files)', () => {
    const planted = [
      { file: 'core/planted.ts', layer: 'core', imports: ['../store/createLabStore'], detailed: [{ spec: '../store/createLabStore', typeOnly: true, dynamic: false }] },
      { file: 'model/planted.ts', layer: 'model', imports: ['../ui/App', '../core/svd'], detailed: [] },
      { file: 'gpu/planted.ts', layer: 'gpu', imports: ['../../tests/helpers/fixtures'], detailed: [] },
      { file: 'store/fine.ts', layer: 'store', imports: ['../model/session', './memo'], detailed: [] },
    ];
    expect(layerViolations(planted)).toEqual([
      'core/planted.ts -> ../store/createLabStore (store)',
      'model/planted.ts -> ../ui/App (ui)',
      'gpu/planted.ts -> ../../tests/helpers/fixtures (tests)',
    ]);
  });
});
