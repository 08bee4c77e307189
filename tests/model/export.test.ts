import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { REPO_ROOT, readModelFromDisk, readSample, useNodeBackend, nodeSvd } from '../../src/cli/nodeEnv';
import { LabSession } from '../../src/model/session';
import { parseRankSpec } from '../../src/model/rankSpec';
import { forwardLogits } from '../../src/model/forward';
import { stockClasses } from '../helpers/stockPredict';

/**
 * The export round trip: the CLI compresses the bundled mlp-64, stock
 * tf.loadLayersModel reads the folder (through TF.js's own http loader, as a
 * user would), and its predictions equal the lab's on the test set.
 */

const run = promisify(execFile);
const MODEL = join(REPO_ROOT, 'public', 'models', 'mlp-64', 'model.json');
let out: string;
let session: LabSession;

beforeAll(async () => {
  await useNodeBackend('wasm');
  out = mkdtempSync(join(tmpdir(), 'lab-export-'));
  await run('npx', ['tsx', 'src/cli/main.ts', 'compress', '--model', MODEL, '--ranks', 'fc1=8,fc2=4', '--out', out, '--json'], { cwd: REPO_ROOT });
  const { artifacts, name } = await readModelFromDisk(MODEL);
  session = await LabSession.open(artifacts, name, await readSample('test'), nodeSvd);
});

afterAll(() => session?.dispose());

/** Loads a folder with stock tf.loadLayersModel over a file-reading fetch, TF.js's documented hook. */
async function loadStock(dir: string, json: string): Promise<tf.LayersModel> {
  const fetchFile = async (url: RequestInfo | URL) => {
    const name = decodeURIComponent(new URL(String(url)).pathname.split('/').pop()!);
    return new Response(readFileSync(join(dir, name)));
  };
  return tf.loadLayersModel(`http://lab.invalid/${json}`, { fetchFunc: fetchFile });
}

describe('export round trip', () => {
  it('writes two stock Dense layers per factorized layer', () => {
    const files = readdirSync(out).sort();
    expect(files).toEqual(['mlp-64-lowrank.weights.bin', 'model.json']);
    const json = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
    const layers = json.modelTopology.config.layers.map((l: { class_name: string; config: Record<string, unknown> }) =>
      [l.class_name, l.config.name, l.config.units ?? null, l.config.activation ?? null, l.config.use_bias ?? null]);
    expect(layers).toEqual([
      ['Dense', 'fc1_u', 8, 'linear', false], ['Dense', 'fc1_v', 64, 'relu', true], ['Dropout', 'drop1', null, null, null],
      ['Dense', 'fc2_u', 4, 'linear', false], ['Dense', 'fc2_v', 64, 'relu', true], ['Dropout', 'drop2', null, null, null],
      ['Dense', 'out', 10, 'softmax', true],
    ]);
    // 784*8 + 8*64 + 64 + 64*4 + 4*64 + 64 + 64*10 + 10 float32 weights
    expect(readFileSync(join(out, 'mlp-64-lowrank.weights.bin')).byteLength).toBe(4 * (784 * 8 + 8 * 64 + 64 + 64 * 4 + 4 * 64 + 64 + 640 + 10));
  });

  it('loads with stock TF.js and predicts what the lab computed', async () => {
    const model = await loadStock(out, 'model.json');
    const sample = await readSample('test');
    const plan = parseRankSpec('fc1=8,fc2=4', session.layers);
    const labResult = await session.evaluate(plan);
    const stockPred = stockClasses(model, sample.pixels, sample.count);
    const stockAcc = stockPred.reduce((n, c, i) => n + (c === sample.labels[i] ? 1 : 0), 0) / sample.count;
    expect(stockAcc).toBeCloseTo(labResult.accuracy, 6);
    // Image by image, the lab's forward pass (the one its accuracy comes from) predicts the same classes.
    const labPred = tf.tidy(() => tf.concat(session.data.chunks.flatMap((c) => c.x.map((x) => tf.argMax(forwardLogits(session.lab, session.factors, plan, x), -1)))).dataSync());
    const differing = Array.from(stockPred).filter((p, i) => p !== labPred[i]).length;
    expect(differing).toBe(0);
    model.dispose();
  });
});
