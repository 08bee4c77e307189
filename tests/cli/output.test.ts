import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { LabInputError } from '../../src/model/errors';
import { loadLayersModelFromFile } from '../../src/cli/layersModelFiles';
import { writeFilesAtomically } from '../../src/cli/outputFiles';
import { runCli } from '../helpers/runCli';

/**
 * What the CLI writes and refuses to write: outputs are checked before the
 * long work (a path it cannot create, a file in the way, an existing model
 * without --force), every write lands inside --out, and a failed write
 * leaves no half-written model.
 */

const MODEL = resolve(__dirname, '..', '..', 'public', 'models', 'mlp-64', 'model.json');
let tmp: string;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'lab-output-'));
  await tf.setBackend('cpu');
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Writes outside `out`: anything but files inside it and the folders on the way to it. */
function writesOutside(out: string, paths: string[]): string[] {
  const dir = resolve(out);
  return paths.filter((p) => !p.startsWith(`${dir}/`) && !`${dir}/`.startsWith(`${p}/`));
}

describe('compress --out', () => {
  it('fails at once on a folder it cannot create (/proc), where Node\'s recursive mkdir would loop forever', () => {
    const run = runCli(['compress', '--model', MODEL, '--ranks', '4', '--out', '/proc/lowrank-lab-test/out'], 30_000);
    expect(run.status, 'killed at the bound: it hung').toBe(1);
    expect(run.stderr).toMatch(/^error: Cannot create the folder \/proc\/lowrank-lab-test \(ENOENT\)/);
    expect(run.reads.filter((p) => p.includes('weights.bin'))).toEqual([]); // refused before the model was read
  });

  it('refuses a file where the folder should be', () => {
    const file = join(tmp, 'a-file');
    writeFileSync(file, 'x');
    const run = runCli(['compress', '--model', MODEL, '--ranks', '4', '--out', file]);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/exists and is not a folder/);
    expect(readFileSync(file, 'utf8')).toBe('x');
  });

  it('writes only inside --out, refuses to overwrite, and overwrites with --force', async () => {
    const out = join(tmp, 'nested', 'out');
    const first = runCli(['compress', '--model', MODEL, '--ranks', '4', '--out', out]);
    expect(first.status, first.stderr).toBe(0);
    expect(first.writes.length).toBeGreaterThan(0);
    expect(writesOutside(out, first.writes)).toEqual([]);
    expect(readdirSync(out).sort()).toEqual(['mlp-64-lowrank.weights.bin', 'model.json']); // no temporary or probe files left
    const written = readFileSync(join(out, 'model.json'));

    const again = runCli(['compress', '--model', MODEL, '--ranks', '8', '--out', out]);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/model\.json already exists; pass --force to overwrite it/);
    expect(readFileSync(join(out, 'model.json'))).toEqual(written);

    const forced = runCli(['compress', '--model', MODEL, '--ranks', '8', '--out', out, '--force']);
    expect(forced.status, forced.stderr).toBe(0);
    expect(writesOutside(out, forced.writes)).toEqual([]);
    expect(readFileSync(join(out, 'model.json'))).not.toEqual(written);
    const model = await loadLayersModelFromFile(join(out, 'model.json'));
    expect(model.layers.map((l) => l.name)).toContain('fc1_u');
    model.dispose();
  });

  it('refuses, before any work, a folder where the weights file should go, and writes no model.json', () => {
    const out = join(tmp, 'dir-in-the-way');
    mkdirSync(join(out, 'mlp-64-lowrank.weights.bin'), { recursive: true });
    const run = runCli(['compress', '--model', MODEL, '--ranks', '4', '--out', out, '--force']);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/mlp-64-lowrank\.weights\.bin exists and is not a regular file/);
    expect(existsSync(join(out, 'model.json'))).toBe(false);
  });

  it('refuses rank 0 instead of reading it as rank 1', () => {
    const run = runCli(['evaluate', '--model', MODEL, '--ranks', '0']);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/Rank 0 for layer "fc1" is out of range: its 784x64 kernel allows 1\.\.64/);
  });
});

describe('compare --csv', () => {
  it('checks its path before the comparison runs', () => {
    const run = runCli(['compare', '--model', MODEL, '--csv', '/proc/lowrank-lab-test/methods.csv'], 30_000);
    expect(run.status, 'killed at the bound: it hung').toBe(1);
    expect(run.stderr).toMatch(/Cannot create the folder \/proc\/lowrank-lab-test/);
    expect(run.stdout).toBe(''); // no comparison table: it never ran
    expect(run.reads.filter((p) => p.endsWith('.bin'))).toEqual([]);
  });

  it('will not write over an existing file without --force, nor into a pipe', () => {
    const csv = join(tmp, 'methods.csv');
    writeFileSync(csv, 'keep me');
    const run = runCli(['compare', '--model', MODEL, '--csv', csv]);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/methods\.csv already exists; pass --force/);
    expect(readFileSync(csv, 'utf8')).toBe('keep me');
    const fifo = join(tmp, 'pipe.csv');
    execFileSync('mkfifo', [fifo]);
    const piped = runCli(['compare', '--model', MODEL, '--csv', fifo, '--force'], 30_000);
    expect(piped.status, 'killed at the bound: it hung').toBe(1);
    expect(piped.stderr).toMatch(/pipe\.csv exists and is not a regular file/);
  });
});

describe('writeFilesAtomically', () => {
  it('replaces nothing and leaves no temporary file when a later file cannot be written', async () => {
    const dir = join(tmp, 'atomic');
    mkdirSync(dir);
    writeFileSync(join(dir, 'model.json'), 'old model');
    writeFileSync(join(dir, 'w.bin'), 'old weights');
    // A folder squats on model.json's temporary name, so its exclusive create fails after w.bin's temporary was written.
    mkdirSync(join(dir, `.model.json.${process.pid}.tmp`));
    const err = await writeFilesAtomically(dir, [['w.bin', new Uint8Array([1, 2, 3])], ['model.json', 'new model']]).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(LabInputError);
    expect((err as LabInputError).message).toMatch(/nothing was replaced/);
    expect(readFileSync(join(dir, 'model.json'), 'utf8')).toBe('old model');
    expect(readFileSync(join(dir, 'w.bin'), 'utf8')).toBe('old weights');
    expect(readdirSync(dir).sort()).toEqual([`.model.json.${process.pid}.tmp`, 'model.json', 'w.bin']);
  });

  it('puts every file in place when all writes succeed', async () => {
    const dir = join(tmp, 'atomic-ok');
    mkdirSync(dir);
    await writeFilesAtomically(dir, [['w.bin', new Uint8Array([1, 2, 3])], ['model.json', 'new model']]);
    expect(readdirSync(dir).sort()).toEqual(['model.json', 'w.bin']);
    expect([...readFileSync(join(dir, 'w.bin'))]).toEqual([1, 2, 3]);
  });
});
