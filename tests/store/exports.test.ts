import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { unzipSync, strFromU8 } from 'fflate';
import { createLabStore } from '../../src/store/createLabStore';
import { selectStoredSize } from '../../src/store/sizeSelectors';
import { selectPlanKey } from '../../src/store/selectors';
import { MAX_FILE_BASE, configFileName, zipExportedModel } from '../../src/store/exportFiles';
import { parsePlanFile } from '../../src/model/planFile';
import { bootedStore } from '../helpers/bootedStore';
import { createNodeLabEnv } from '../helpers/nodeLabEnv';
import type { FactorMethodName } from '../../src/model/methods/registry';

/**
 * Sizes that agree, and the exports, through the store's real actions in
 * Node: for svd, svd+int8, svd+int4 and ALDS the size the table and the
 * metrics note show (selectStoredSize), the size chart's point (the
 * evaluation's bytes) and the download's weight shard are the same numbers;
 * the shard is measured from the exported files. Then the evaluations CSV,
 * the plan file and the zip.
 */

const env = createNodeLabEnv();
const store = bootedStore(env, { model: 'mlp-64', ranks: 'fc1=16,fc2=16' });

/** Bytes the weight shard should hold by model.json's own manifest: 1 byte a uint8-quantized value, 4 a float32. */
function manifestBytes(modelJson: string): number {
  const json = JSON.parse(modelJson) as { weightsManifest: Array<{ weights: Array<{ shape: number[]; dtype: string; quantization?: { dtype: string } }> }> };
  return json.weightsManifest.flatMap((g) => g.weights).reduce((sum, w) => sum + w.shape.reduce((p, d) => p * d, 1) * (w.quantization?.dtype === 'uint8' ? 1 : 4), 0);
}

/** Theoretical bytes of SVD+int`bits` at rank k on mlp-64's fc1 (784x64) and fc2 (64x64), out (64x10) dense, counted by hand. */
function quantizedOracle(bits: 4 | 8, k: number): number {
  const layer = (m: number, n: number) => Math.ceil((m * k * bits) / 8) + Math.ceil((k * n * bits) / 8) + 4 * (k + n) + 4 * k + 4 * n;
  return layer(784, 64) + layer(64, 64) + 4 * (64 * 10 + 10);
}

const cases: Array<[FactorMethodName, Record<string, number>]> = [['svd', {}], ['svd+int8', {}], ['svd+int4', {}], ['alds', { fc1: 28, fc2: 2 }]];

describe('sizes that agree', () => {
  const seen: Record<string, { bytes: number; fileBytes: number }> = {};

  it.each(cases)('%s: table, note, chart point and downloaded shard report the same stored size', async (method, groups) => {
    store.setState({ groups });
    store.getState().setMethod(method);
    await store.getState().whenIdle();
    const s = store.getState();
    const size = selectStoredSize(s);
    const key = selectPlanKey(s);
    expect(s.current!.key).toBe(key);
    expect(s.current!.bytes).toBe(size.bytes); // the metrics note and the chart's red dot
    expect(s.history.find((h) => h.key === key)!.bytes).toBe(size.bytes); // the chart's point
    await s.download();
    const exported = env.downloads.at(-1)!;
    expect(exported.weights.byteLength).toBe(manifestBytes(exported.modelJson));
    expect(size.fileBytes).toBe(exported.weights.byteLength);
    expect(store.getState().lastDownload!.weightBytes).toBe(exported.weights.byteLength);
    seen[method] = size;
  });

  it('counts int4 packed two a byte in theory, one a byte in the file, as int8 is', () => {
    expect(seen['svd+int4'].bytes).toBe(quantizedOracle(4, 16));
    expect(seen['svd+int8'].bytes).toBe(quantizedOracle(8, 16));
    expect(seen['svd+int4'].fileBytes).toBe(seen['svd+int8'].fileBytes);
    expect(seen.svd.fileBytes).toBe(seen.svd.bytes);
    expect(seen['svd+int4'].bytes).toBeLessThan(seen['svd+int8'].bytes);
    expect(seen['svd+int8'].fileBytes).toBeLessThan(seen.svd.fileBytes);
  });
});

describe('exports', () => {
  it('writes every evaluation as CSV with its method, ranks, bytes and scores', () => {
    store.getState().exportEvaluationsCsv();
    const { name, text } = env.texts.at(-1)!;
    expect(name).toBe('mlp-64-evaluations.csv');
    const [header, ...rows] = text.trim().split('\n').map((l) => l.split(','));
    expect(header).toEqual(['model', 'method', 'fc1 rank', 'fc1 groups', 'fc2 rank', 'fc2 groups', 'out rank', 'out groups', 'stored bytes', 'accuracy', 'agreement', 'output cosine', 'relative logit error']);
    const history = store.getState().history;
    expect(rows).toHaveLength(history.length);
    const col = (row: string[], title: string) => row[header.indexOf(title)];
    const alds = rows.find((r) => col(r, 'method') === 'alds')!;
    expect([col(alds, 'fc1 rank'), col(alds, 'fc1 groups'), col(alds, 'out rank')]).toEqual(['16', '28', 'dense']);
    for (const [i, h] of history.entries()) {
      expect(Number(col(rows[i], 'stored bytes'))).toBe(h.bytes);
      expect(Number(col(rows[i], 'accuracy'))).toBeCloseTo(h.accuracy, 6);
    }
    const original = rows[0];
    expect([col(original, 'method'), col(original, 'fc1 rank'), col(original, 'agreement')]).toEqual(['svd', 'dense', '1.000000']);
  });

  it('writes the plan as the JSON the CLI reads back', () => {
    store.getState().exportPlan();
    const { name, text } = env.texts.at(-1)!;
    expect(name).toBe('mlp-64-alds-fc1_28x16-fc2_2x16.plan.json');
    const s = store.getState();
    expect(parsePlanFile(text, s.layers)).toEqual({ model: 'mlp-64', method: 'alds', plan: { fc1: 16, fc2: 16 }, groups: { fc1: 28, fc2: 2 } });
  });

  it('zips model.json and its shard; stock TF.js loads them and predicts as the session does', async () => {
    const exported = env.downloads.at(-1)!;
    expect(store.getState().lastDownload!.fileName).toBe('mlp-64-alds-fc1_28x16-fc2_2x16.zip');
    const files = unzipSync(zipExportedModel(exported));
    expect(Object.keys(files).sort()).toEqual([exported.weightsFileName, 'model.json'].sort());
    const json = JSON.parse(strFromU8(files['model.json'])) as { modelTopology: object; weightsManifest: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }> };
    expect(json.weightsManifest[0].paths).toEqual([`./${exported.weightsFileName}`]);
    const shard = files[exported.weightsFileName];
    const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: shard.slice().buffer }));
    const x = tf.ones([1, 784]);
    const y = model.predict(x) as tf.Tensor;
    expect(y.shape).toEqual([1, 10]);
    expect(Array.from(await y.data()).every(Number.isFinite)).toBe(true);
    tf.dispose([x, y]);
    model.dispose();
  });
});

describe('configuration file names', () => {
  it('name the model, the method and the ranks of the layers not at full rank', () => {
    expect(configFileName('mlp-64', 'svd', { fc1: 16, fc2: 16 } as never)).toBe('mlp-64-svd-fc1_16-fc2_16');
    expect(configFileName('mlp-64', 'svd+int4', { fc1: 8 } as never)).toBe('mlp-64-svd-int4-fc1_8');
    expect(configFileName('mlp-64', 'svd', {})).toBe('mlp-64-svd');
    expect(configFileName('../my model?', 'svd', { 'a/b': 3 } as never)).toBe('my_model_-svd-a_b_3');
  });

  it('stay within MAX_FILE_BASE characters and apart when long', () => {
    const plan = (k: number) => Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`layer_${i}`, k])) as never;
    const a = configFileName('m', 'svd', plan(3));
    const b = configFileName('m', 'svd', plan(4));
    expect(a.length).toBeLessThanOrEqual(MAX_FILE_BASE);
    expect(b.length).toBeLessThanOrEqual(MAX_FILE_BASE);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[A-Za-z0-9._-]+$/);
  });
});

describe('links the store refuses, with a message, opening the default lab', () => {
  it.each([
    [{ model: 'mlp-9000' }, /There is no bundled model "mlp-9000" \(bundled: mlp-64, mlp-512, cnn\); the lab opened mlp-64/],
    [{ ranks: '0' }, /Rank 0 for layer "fc1" is out of range: its 784x64 kernel allows 1\.\.64/],
    [{ ranks: 'fc1=0' }, /Rank 0 for layer "fc1" is out of range: its 784x64 kernel allows 1\.\.64/],
    [{ ranks: '65' }, /Rank 65 for layer "fc1" is out of range/],
  ])('%j', async (link, message) => {
    const fresh = createLabStore(createNodeLabEnv());
    try {
      await fresh.getState().boot(link);
      const s = fresh.getState();
      expect(s.modelId).toBe('mlp-64');
      expect(s.plan).toEqual({});
      expect(s.error).toMatch(message);
    } finally {
      await fresh.getState().whenIdle();
      await fresh.dispose();
    }
  });
});
