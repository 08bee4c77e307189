import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { promisify } from 'node:util';
import { REPO_ROOT, useNodeBackend } from '../../src/cli/nodeEnv';
import { stockAccuracy } from '../helpers/stockAccuracy';
import { parseManifest } from '../../src/model/manifest';
import { denseKernels, energyRankByDefinition, kernelSvd } from '../helpers/rankOracle';

/**
 * The bundled models, measured through the CLI's evaluate command: mlp-64
 * reaches the NN-SVD paper's accuracy and keeps near-parity at rank 16 on
 * both hidden layers; the manifest records what the lab measures.
 */

const run = promisify(execFile);

async function evaluate(model: string, ...ranks: string[]): Promise<Array<{ accuracy: number; ranks: Record<string, unknown>; bytes: number }>> {
  const path = join(REPO_ROOT, 'public', 'models', model, 'model.json');
  const args = ['tsx', 'src/cli/main.ts', 'evaluate', '--model', path, '--json', ...ranks.flatMap((r) => ['--ranks', r])];
  const { stdout } = await run('npx', args, { cwd: REPO_ROOT });
  return stdout.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
}

const manifest = parseManifest(JSON.parse(readFileSync(join(REPO_ROOT, 'public', 'models', 'manifest.json'), 'utf8')));

describe('bundled models', () => {
  it('mlp-64 scores >= 94.5% and stays within 2.5 points at rank 16 on both hidden layers', async () => {
    // out=10 is the output layer's full rank, i.e. the original model: two configurations, one run.
    const [original, r16] = await evaluate('mlp-64', 'out=10', 'fc1=16,fc2=16');
    expect(original.accuracy).toBeGreaterThanOrEqual(0.945);
    expect(r16.ranks).toEqual({ fc1: 16, fc2: 16, out: 'dense' });
    expect(original.accuracy - r16.accuracy).toBeLessThanOrEqual(0.025);
    expect(r16.bytes).toBeLessThan(original.bytes);
  });

  it.each(manifest.map((m) => [m.id, m] as const))('%s: the manifest accuracy is what the lab measures', async (id, entry) => {
    const [measured] = await evaluate(id);
    expect(measured.accuracy).toBeCloseTo(entry.testAccuracy, 4);
  });

  it('picks ranks by rule and factors by method', async () => {
    const run1 = await run('npx', ['tsx', 'src/cli/main.ts', 'evaluate', '--model', join(REPO_ROOT, 'public', 'models', 'mlp-64', 'model.json'), '--json', '--rule', 'energy:0.9'], { cwd: REPO_ROOT });
    const energy = JSON.parse(run1.stdout.trim().split('\n').find((l) => l.startsWith('{'))!);
    // The 90% energy ranks of the bundled kernels, from their float64 SVDs (tests/helpers/rankOracle.ts).
    const kernels = denseKernels(join(REPO_ROOT, 'public', 'models', 'mlp-64'));
    expect(energy.ranks).toEqual(Object.fromEntries([...kernels].map(([name, k]) => [name, energyRankByDefinition(kernelSvd(k).s, 0.9)])));
    const [svd16] = await evaluate('mlp-64', 'fc1=16,fc2=16');
    const run2 = await run('npx', ['tsx', 'src/cli/main.ts', 'evaluate', '--model', join(REPO_ROOT, 'public', 'models', 'mlp-64', 'model.json'), '--json', '--method', 'data-aware', '--ranks', 'fc1=16,fc2=16'], { cwd: REPO_ROOT });
    const dataAware = JSON.parse(run2.stdout.trim().split('\n').find((l) => l.startsWith('{'))!);
    expect(dataAware.bytes).toBe(svd16.bytes);
    expect(dataAware.accuracy).toBeGreaterThan(svd16.accuracy);
  });

  it('finds the smallest energy-rule model reaching a target accuracy on the calibration images', async () => {
    const path = join(REPO_ROOT, 'public', 'models', 'mlp-64', 'model.json');
    const { stdout, stderr } = await run('npx', ['tsx', 'src/cli/main.ts', 'evaluate', '--model', path, '--json', '--rule', 'target:0.93'], { cwd: REPO_ROOT });
    const result = JSON.parse(stdout.trim().split('\n').find((l) => l.startsWith('{'))!);
    const calib = Number(/energy kept tau [\d.]+: ([\d.]+)% on the calibration images/.exec(stderr)![1]) / 100;
    expect(calib).toBeGreaterThanOrEqual(0.93);
    expect(stderr).toMatch(/reaches 93\.00%/);
    // Smaller than the original, and the held-out test accuracy lands near the calibration target.
    expect(result.bytes).toBeLessThan(result.originalBytes);
    expect(Math.abs(result.accuracy - 0.93)).toBeLessThan(0.02);
  });

  it('writes ALDS groups and int8 factors with compress, and stock TF.js scores them as evaluate did', async () => {
    await useNodeBackend('wasm');
    const path = join(REPO_ROOT, 'public', 'models', 'mlp-64', 'model.json');
    for (const args of [['--rule', 'alds:0.15'], ['--ranks', 'fc1=16,fc2=16', '--method', 'svd+int8']]) {
      const out = mkdtempSync(join(tmpdir(), 'lab-compress-'));
      const scored = JSON.parse((await run('npx', ['tsx', 'src/cli/main.ts', 'evaluate', '--model', path, '--json', ...args], { cwd: REPO_ROOT })).stdout.trim().split('\n').find((l) => l.startsWith('{'))!);
      await run('npx', ['tsx', 'src/cli/main.ts', 'compress', '--model', path, '--json', '--out', out, ...args], { cwd: REPO_ROOT });
      const json = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
      const shard = readFileSync(join(out, json.weightsManifest[0].paths[0].slice(2)));
      const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: shard.buffer.slice(shard.byteOffset, shard.byteOffset + shard.byteLength) }));
      expect(await stockAccuracy(model)).toBeCloseTo(scored.accuracy, 3);
    }
  }, 120_000);

  it('refuses a rank out of range with a message and a non-zero exit', async () => {
    const err = await evaluate('mlp-64', 'fc1=65').then(() => null, (e: { code: number; stderr: string }) => e);
    expect(err?.code).toBe(1);
    expect(err?.stderr).toMatch(/Rank 65 for layer "fc1" is out of range: its 784x64 kernel allows 1\.\.64/);
  });
});
