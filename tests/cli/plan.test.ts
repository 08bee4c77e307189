import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { formatPlanFile, parsePlanFile } from '../../src/model/planFile';
import { parseArgs } from '../../src/cli/args';
import { runCli } from '../helpers/runCli';
import type { LayerInfo } from '../../src/model/labModel';

/**
 * The rank plan file the lab exports, read by `compress --plan`: it round
 * trips, every kind of bad file is refused with a message that says what
 * to fix, and the CLI writes the model the plan describes.
 */

const MODEL = resolve(__dirname, '..', '..', 'public', 'models', 'mlp-64', 'model.json');

const layers: LayerInfo[] = [
  { index: 0, name: 'fc1', className: 'Dense', kind: 'dense', kernelShape: [784, 64], weightShape: [784, 64], channels: 784, params: 50240, hasBias: true, activation: 'relu', factorizable: true, reason: null, rankLimit: 64 },
  { index: 1, name: 'drop', className: 'Dropout', kind: null, kernelShape: null, channels: 0, params: 0, hasBias: false, activation: null, factorizable: false, reason: 'has no weights', rankLimit: 0 },
  { index: 2, name: 'out', className: 'Dense', kind: 'dense', kernelShape: [64, 10], weightShape: [64, 10], channels: 64, params: 650, hasBias: true, activation: 'softmax', factorizable: true, reason: null, rankLimit: 10 },
];

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'lab-plan-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('plan files', () => {
  it('round-trip ranks, method and ALDS groups', () => {
    const text = formatPlanFile('mlp-64', 'alds', { fc1: 16, out: 3 } as never, { fc1: 28, out: 1 });
    expect(JSON.parse(text)).toEqual({ model: 'mlp-64', method: 'alds', ranks: { fc1: 16, out: 3 }, groups: { fc1: 28 } });
    expect(parsePlanFile(text, layers)).toEqual({ model: 'mlp-64', method: 'alds', plan: { fc1: 16, out: 3 }, groups: { fc1: 28 } });
    expect(parsePlanFile('{"ranks": {}}', layers)).toEqual({ model: null, method: 'svd', plan: {}, groups: {} });
  });

  it.each([
    ['{"ranks": {"fc1": 16}', /plan\.json is not valid JSON .*it should read like \{"model"/],
    ['[1, 2]', /must hold a JSON object with "ranks"/],
    ['{"model": "mlp-64", "ranks": {"fc9": 4}}', /names layer "fc9", which is not a factorizable layer of this model \(the plan was made on mlp-64\); factorizable: fc1, out/],
    ['{"ranks": {"drop": 4}}', /names layer "drop", which is not a factorizable layer/],
    ['{"ranks": {"fc1": 0}}', /Rank 0 for layer "fc1" is out of range: its 784x64 kernel allows 1\.\.64/],
    ['{"ranks": {"out": 11}}', /Rank 11 for layer "out" is out of range: its 64x10 kernel allows 1\.\.10/],
    ['{"ranks": {"fc1": 2.5}}', /Rank 2\.5 for layer "fc1" is out of range/],
    ['{"ranks": {"fc1": "16"}}', /The rank of "fc1" in plan\.json must be a whole number, not "16"/],
    ['{"ranks": [16]}', /"ranks" in plan\.json must be an object of layer: rank/],
    ['{"method": "magic", "ranks": {}}', /"method" in plan\.json must be one of svd, data-aware/],
    ['{"ranks": {}, "rank": {}}', /unknown field\(s\) "rank"/],
    ['{"ranks": {"fc1": 8}, "groups": {"fc1": 28}}', /only the alds method uses/],
    ['{"method": "alds", "ranks": {"fc1": 8}, "groups": {"fc1": 5}}', /5 channel groups do not divide the 784 input channels of layer "fc1"/],
  ])('refuses %s', (text, message) => {
    expect(() => parsePlanFile(text, layers, 'plan.json')).toThrow(message);
  });

  it('is one way of giving ranks on the command line, not combined with another', () => {
    expect(parseArgs(['compress', '--model', 'm.json', '--plan', 'p.json', '--out', 'o']).plan).toBe('p.json');
    expect(() => parseArgs(['compress', '--model', 'm.json', '--plan', 'p.json', '--ranks', '4', '--out', 'o'])).toThrow(/drop --ranks/);
    expect(() => parseArgs(['compress', '--model', 'm.json', '--out', 'o'])).toThrow(/--ranks \(or a --rule, or a --plan file\)/);
  });
});

describe('compress --plan', () => {
  it('writes the model the plan describes', () => {
    const plan = join(tmp, 'plan.json');
    writeFileSync(plan, formatPlanFile('mlp-64', 'svd', { fc1: 8, fc2: 4 } as never));
    const out = join(tmp, 'out');
    const run = runCli(['compress', '--model', MODEL, '--plan', plan, '--out', out, '--json'], 120_000);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const json = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8')) as { modelTopology: { config: { layers: Array<{ config: { name: string; units?: number } }> } } };
    const units = Object.fromEntries(json.modelTopology.config.layers.map((l) => [l.config.name, l.config.units]));
    expect([units.fc1_u, units.fc2_u, units.out]).toEqual([8, 4, 10]);
  }, 150_000);

  it('refuses a plan with a bad rank before writing anything', () => {
    const plan = join(tmp, 'bad.json');
    writeFileSync(plan, '{"model": "mlp-64", "ranks": {"fc1": 65}}');
    const out = join(tmp, 'bad-out');
    const run = runCli(['compress', '--model', MODEL, '--plan', plan, '--out', out], 120_000);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/Rank 65 for layer "fc1" is out of range/);
    expect(run.writes.filter((p) => p.startsWith(out) && p.endsWith('model.json'))).toEqual([]);
  }, 150_000);
});
