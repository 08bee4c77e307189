import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { GLOSSARY } from '../../src/ui/explain/glossary';

/**
 * The explanations registry against the page's sources: every term in the
 * glossary is shown somewhere (an `<Explain term="...">` in src/ui, or a
 * value of a `satisfies Record<..., TermName>` map that feeds one), and
 * every use names a glossary term. Read from the sources, not rendered, so
 * an explanation nobody can open, or a button for a term that does not
 * exist, fails here.
 */

const UI = resolve(__dirname, '..', '..', 'src', 'ui');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : /\.tsx?$/.test(name) ? [path] : [];
  });
}

/** Term names a file uses, with where: JSX `term="x"` and the values of typed term maps. */
function usesIn(file: string): Array<{ term: string; where: string }> {
  const text = readFileSync(file, 'utf8');
  const where = relative(UI, file);
  const jsx = [...text.matchAll(/\bterm="([^"]*)"/g)].map((m) => m[1]);
  const maps = [...text.matchAll(/=\s*\{([^{}]*)\}\s*satisfies\s+Record<[^,>]+,\s*TermName>/g)]
    .flatMap((m) => [...m[1].matchAll(/:\s*['"]([^'"]+)['"]/g)].map((v) => v[1]));
  return [...jsx, ...maps].map((term) => ({ term, where }));
}

// The registry and the component themselves are not uses (their doc comments show the syntax).
const uses = sources(UI).filter((f) => !relative(UI, f).startsWith('explain')).flatMap(usesIn);
const terms = Object.keys(GLOSSARY);

describe('glossary', () => {
  it('finds the uses it checks (the scan itself works)', () => {
    expect(uses.length).toBeGreaterThanOrEqual(10);
    expect(uses.some((u) => u.where === 'MetricsPanel.tsx' && u.term === 'accuracy')).toBe(true);
    expect(uses.some((u) => u.where === 'MethodPanel.tsx' && u.term === 'energy-tau')).toBe(true);
  });

  it('every use names a term of the registry', () => {
    const unknown = uses.filter((u) => !terms.includes(u.term)).map((u) => `${u.where}: ${u.term}`);
    expect(unknown).toEqual([]);
  });

  it('every term of the registry is shown somewhere on the page', () => {
    const used = new Set(uses.map((u) => u.term));
    expect(terms.filter((t) => !used.has(t))).toEqual([]);
  });

  it('every term says what it is, its formula and how to read it', () => {
    for (const [name, t] of Object.entries(GLOSSARY)) {
      for (const field of ['label', 'what', 'formula', 'read'] as const) {
        expect(t[field].trim().length, `${name}.${field}`).toBeGreaterThan(field === 'label' ? 2 : 15);
      }
    }
  });

  it('the NN-SVD bound says why it is loose: worst-case spectral norms and activation constants against an average over real inputs', () => {
    const text = `${GLOSSARY['lipschitz-bound'].what} ${GLOSSARY['lipschitz-bound'].read}`;
    expect(text).toMatch(/spectral norm/);
    expect(text).toMatch(/Lipschitz constant/);
    expect(text).toMatch(/every input/);
    expect(text).toMatch(/average over real inputs/);
    expect(text).toMatch(/top singular direction/);
  });
});
