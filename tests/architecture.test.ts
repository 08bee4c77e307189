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
}

function importsOf(file: string): Import[] {
  const text = readFileSync(file, 'utf8');
  return [
    ...[...text.matchAll(/^\s*(import|export)\s+(type\s)?[^'"]*?from\s+['"]([^'"]+)['"]/gm)].map((m) => ({ spec: m[3], typeOnly: m[2] !== undefined })),
    ...[...text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)].map((m) => ({ spec: m[1], typeOnly: false })),
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

/** One import cycle among src's files (value and type imports alike), or null. */
function findCycle(): string[] | null {
  const edges = new Map(files.map((f) => [f.file, f.detailed.filter((i) => i.spec.startsWith('.')).map((i) => resolveImport(f.file, i.spec)).filter((t): t is string => t !== null)]));
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
    for (const spec of f.imports.filter((s) => s.startsWith('.'))) {
      const rel = relative(SRC, resolve(dirname(join(SRC, f.file)), spec));
      const target = rel.startsWith('../tests/') ? 'tests' : rel.split('/')[0];
      expect(ALLOWED[f.layer], `${f.file} imports ${spec}`).toContain(target);
    }
  });

  it('keeps TF.js inside model/ and cli/, and React out of core, gpu, model and store', () => {
    for (const f of files) {
      const pkgs = f.imports.filter((s) => !s.startsWith('.'));
      if (pkgs.some((p) => p.startsWith('@tensorflow/'))) expect(['model', 'cli'], f.file).toContain(f.layer);
      if (pkgs.some((p) => p === 'react' || p.startsWith('react-') || p === 'recharts')) expect(['ui', 'boot.tsx'], f.file).toContain(f.layer);
      if (f.layer === 'core') expect(pkgs, f.file).toEqual([]);
    }
  });

  it('keeps the page entry free of static imports, so no library sees the address before the lab has read it', () => {
    const entry = files.find((f) => f.file === 'main.tsx');
    expect(entry, 'src/main.tsx').toBeDefined();
    expect(entry!.imports).toEqual([]);
    expect(readFileSync(join(SRC, 'main.tsx'), 'utf8')).toMatch(/import\('\.\/boot'\)/);
  });

  it('has no import cycle among src/ files, main.tsx and boot.tsx included', () => {
    expect(files.map((f) => f.file)).toEqual(expect.arrayContaining(['main.tsx', 'boot.tsx']));
    expect(findCycle()).toBeNull();
  });

  it('finds a cycle where there is one (the check itself)', () => {
    const saved = files.slice();
    files.push({ file: 'x/a.ts', layer: 'x', imports: ['./b'], detailed: [{ spec: './b', typeOnly: true }] });
    files.push({ file: 'x/b.ts', layer: 'x', imports: ['./a'], detailed: [{ spec: './a', typeOnly: false }] });
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

  it('orders the layers as the style guide says', () => {
    expect(LAYER_ORDER.every((l, i) => ALLOWED[l].length === i + 1)).toBe(true);
  });
});
