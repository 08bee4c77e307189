import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const REPO = resolve(__dirname, '..', '..');

describe('npm run results -- --quick', () => {
  it('prints every claim\'s table, writes them as CSV, and every invariant holds', () => {
    const out = mkdtempSync(join(tmpdir(), 'lab-results-'));
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/results.ts', '--quick', '--out', out], { cwd: REPO, encoding: 'utf8', timeout: 120_000, killSignal: 'SIGKILL' });
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.status).toBe(0);
    const holds = /Invariants: (\d+) of (\d+) hold\./.exec(r.stdout);
    expect(holds).not.toBeNull();
    // ALDS (one per factored layer and budget), data-aware centering (per layer and rank), l_p (two solvers per matrix).
    expect(Number(holds![2])).toBeGreaterThanOrEqual(12);
    expect(holds![1]).toBe(holds![2]);
    const files = readdirSync(out).sort();
    expect(files).toEqual(['alds.csv', 'data-aware-centering.csv', 'data-aware.csv', 'invariants.csv', 'lp.csv', 'nn-svd.csv', 'svd-quantized.csv']);
    for (const f of files) {
      const lines = readFileSync(join(out, f), 'utf8').trim().split('\n');
      expect(lines.length, f).toBeGreaterThan(1);
    }
    // Each invariant row says true.
    const invariants = readFileSync(join(out, 'invariants.csv'), 'utf8').trim().split('\n').slice(1);
    expect(invariants.every((l) => /,true,/.test(l))).toBe(true);
  }, 150_000);

  it('refuses an unknown argument with its usage and exit code 2', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/results.ts', '--fast'], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/usage: npm run results.*unknown: --fast/);
  });
});
