import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeHostileModels, type HostileModelCase } from '../hostile/models';
import { runCli, type CliRun } from '../helpers/runCli';

/**
 * The CLI against every hostile model folder of tests/hostile/models.ts:
 * the exit code and message it must give, within a bound that turns a hang
 * into a failure, and - from the fs observer - that it touched no file
 * outside the model's own folder, the bundled data and its own code.
 */

const REPO = resolve(__dirname, '..', '..');
let root: string;
let cases: HostileModelCase[];

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'lab-hostile-'));
  cases = writeHostileModels(root);
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Files a run may read: its own model's folder, the repository (code, node_modules, public/data). */
function readsOutside(run: CliRun, c: HostileModelCase): string[] {
  const folder = resolve(c.model, '..');
  return run.reads.filter((p) => !p.startsWith(`${folder}/`) && p !== c.model && !p.startsWith(`${REPO}/`));
}

describe('the CLI refuses hostile model folders', () => {
  // Names listed here, not read from the generator, so a case dropped from it fails this test.
  it.each([
    'traversal-raw', 'traversal-encoded', 'traversal-dots-encoded', 'traversal-etc', 'absolute-etc', 'absolute-outside',
    'url-http', 'url-file', 'symlink-shard', 'symlink-folder', 'same-shard-5000-times', 'too-many-shards', 'trailing-300mb',
    'longer-shard', 'extra-shard', 'short-shard', 'missing-shard', 'weight-listed-twice', 'shape-is-a-string', 'dtype-unknown',
    'fifo-model', 'fifo-shard', 'folder-model', 'utf8-bom',
  ])('%s', (name) => {
    const c = cases.find((x) => x.name === name);
    expect(c, `the generator has no case "${name}"`).toBeDefined();
    const run = runCli(['evaluate', '--model', c!.model, '--ranks', '8'], 60_000);
    expect(run.status, `${name} did not end (killed at the bound): ${run.stderr}`).not.toBeNull();
    expect(run.status, run.stderr).toBe(c!.exit);
    expect(c!.exit === 0 ? run.stdout : run.stderr).toMatch(c!.message);
    if (c!.exit === 1) expect(run.stderr).toMatch(/^error: /);
    expect(readsOutside(run, c!)).toEqual([]);
    expect(run.reads.filter((p) => p.startsWith(join(root, 'outside')))).toEqual([]);
    expect(run.writes).toEqual([]);
  });
});
