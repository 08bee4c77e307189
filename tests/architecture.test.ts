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
  // cli reaches gpu/ only for the GPU benchmark, which times the WGSL programs themselves.
  // It also builds its test matrices with the tests' fixtures (tests/core), the only import out of src/.
  cli: ['core', 'gpu', 'model', 'cli', 'tests'],
  // The security headers vite.config.ts serves: plain data, no imports.
  server: ['server'],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : /\.tsx?$/.test(name) ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm), ...text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)]
    .map((m) => m[1]);
}

const files = sourceFiles(SRC).map((f) => ({ file: relative(SRC, f), layer: relative(SRC, f).split('/')[0], imports: importsOf(f) }));

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

  it('orders the layers as the style guide says', () => {
    expect(LAYER_ORDER.every((l, i) => ALLOWED[l].length === i + 1)).toBe(true);
  });
});
