import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { readModelArtifacts } from '../../src/model/artifacts';
import { loadLabModel } from '../../src/model/labModel';
import { LabInputError } from '../../src/model/errors';
import { artifactsFromFiles, resolveSameOriginModelUrl } from '../../src/model/sources';
import { artifactsOf, filesOf, tinyMlp } from '../helpers/fixtures';

/**
 * Bad input gets a LabInputError whose message names the problem: broken
 * model.json, missing or short shards, unsupported layers and topologies,
 * inputs MNIST does not fit, NaN weights, URLs that leave the origin.
 */

async function expectLabError(p: Promise<unknown>, kind: string, text: RegExp): Promise<void> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(LabInputError);
  expect((err as LabInputError).kind).toBe(kind);
  expect((err as LabInputError).message).toMatch(text);
}

let good: { json: Record<string, unknown>; shard: ArrayBuffer };

beforeAll(async () => {
  await tf.setBackend('cpu');
  const m = tinyMlp();
  good = filesOf(await artifactsOf(m));
  m.dispose();
});

afterAll(() => tf.disposeVariables());

const reader = (shards: Record<string, ArrayBuffer>) => async (path: string) => {
  const b = shards[path];
  if (!b) throw new Error('ENOENT');
  return b;
};

describe('model.json and shards', () => {
  it('reads a good model and lists its layers', async () => {
    const a = await readModelArtifacts(JSON.stringify(good.json), reader({ 'weights.bin': good.shard }));
    const lab = await loadLabModel(a, 'tiny');
    expect(lab.layers.map((l) => [l.name, l.className, l.factorizable])).toEqual([
      ['h1', 'Dense', true], ['drop', 'Dropout', false], ['out', 'Dense', true],
    ]);
    expect(lab.layers[0].kernelShape).toEqual([784, 12]);
    expect(lab.layers[0].params).toBe(784 * 12 + 12);
    expect(lab.layers[1].reason).toMatch(/no weights/);
    lab.model.dispose();
  });

  it('accepts files from old Keras converters without a format field', async () => {
    const { format: _f, ...old } = good.json;
    const a = await readModelArtifacts(JSON.stringify(old), reader({ 'weights.bin': good.shard }));
    const lab = await loadLabModel(a, 'old');
    expect(lab.layers).toHaveLength(3);
    lab.model.dispose();
  });

  it('accepts a Keras-style topology wrapped in model_config', async () => {
    const { format: _f, modelTopology, ...rest } = good.json;
    const wrapped = { ...rest, modelTopology: { keras_version: '2.1.6', backend: 'tensorflow', model_config: modelTopology } };
    const a = await readModelArtifacts(JSON.stringify(wrapped), reader({ 'weights.bin': good.shard }));
    const lab = await loadLabModel(a, 'keras');
    expect(lab.layers.map((l) => l.name)).toEqual(['h1', 'drop', 'out']);
    lab.model.dispose();
  });

  it('rejects text that is not JSON', async () => {
    await expectLabError(readModelArtifacts('{"modelTopology": ', reader({})), 'model-json', /not valid JSON/);
  });

  it('rejects JSON without topology or manifest', async () => {
    await expectLabError(readModelArtifacts('{"weightsManifest": []}', reader({})), 'model-json', /modelTopology/);
    await expectLabError(readModelArtifacts(JSON.stringify({ modelTopology: {} }), reader({})), 'model-json', /weightsManifest/);
  });

  it('rejects graph models with advice', async () => {
    await expectLabError(readModelArtifacts(JSON.stringify({ format: 'graph-model', modelTopology: { node: [] }, weightsManifest: [] }), reader({})), 'unsupported-model', /graph model/);
  });

  it('names a missing shard', async () => {
    await expectLabError(readModelArtifacts(JSON.stringify(good.json), reader({})), 'weights', /"weights.bin".*missing/);
  });

  it('names a truncated shard', async () => {
    const short = good.shard.slice(0, 100);
    await expectLabError(readModelArtifacts(JSON.stringify(good.json), reader({ 'weights.bin': short })), 'weights', /truncated/);
  });

  it('matches picked files to the manifest by name and reports the one left out', async () => {
    const json = new File([JSON.stringify(good.json)], 'model.json');
    const bin = new File([good.shard], 'weights.bin');
    const { artifacts } = await artifactsFromFiles([bin, json]);
    expect((artifacts.weightData as ArrayBuffer).byteLength).toBe(good.shard.byteLength);
    await expectLabError(artifactsFromFiles([json]), 'weights', /weights.bin.*not among the files/);
    await expectLabError(artifactsFromFiles([bin]), 'model-json', /No \.json/);
  });
});

describe('model validation', () => {
  it('refuses an input shape MNIST does not fit', async () => {
    const m = tinyMlp(8, [32]);
    await expectLabError(loadLabModel(await artifactsOf(m), 'x'), 'input-shape', /\[32\].*28x28/);
    m.dispose();
  });

  it('accepts 28x28 inputs through a Flatten layer', async () => {
    const m = tinyMlp(8, [28, 28, 1]);
    const lab = await loadLabModel(await artifactsOf(m), 'x');
    expect(lab.inputShape).toEqual([28, 28, 1]);
    expect(lab.layers[0].reason).toMatch(/no weights/);
    lab.model.dispose();
    m.dispose();
  });

  it('refuses NaN weights and names the layer', async () => {
    const m = tinyMlp();
    const w = m.getLayer('out').getWeights();
    const k = w[0].arraySync() as number[][];
    k[3][4] = NaN;
    m.getLayer('out').setWeights([tf.tensor2d(k), w[1]]);
    await expectLabError(loadLabModel(await artifactsOf(m), 'x'), 'non-finite', /"out".*NaN/);
    m.dispose();
  });

  it('refuses layers stock TF.js does not know', async () => {
    const json = structuredClone(good.json) as { modelTopology: { config: { layers: Array<{ class_name: string }> } } };
    json.modelTopology.config.layers[0].class_name = 'MyFancyDense';
    const a = await readModelArtifacts(JSON.stringify(json), reader({ 'weights.bin': good.shard }));
    await expectLabError(loadLabModel(a, 'x'), 'unsupported-model', /MyFancyDense/);
  });

  it('refuses branching models', async () => {
    const input = tf.input({ shape: [784] });
    const a = tf.layers.dense({ units: 10, name: 'a' }).apply(input) as tf.SymbolicTensor;
    const b = tf.layers.dense({ units: 10, name: 'b' }).apply(input) as tf.SymbolicTensor;
    const sum = tf.layers.add().apply([a, b]) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: sum });
    await expectLabError(loadLabModel(await artifactsOf(model), 'x'), 'unsupported-model', /single chain/);
    model.dispose();
  });

  it('lists a Conv2D layer with the reason it is left alone', async () => {
    const m = tf.sequential({ layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 2, kernelSize: 3, name: 'conv' }),
      tf.layers.flatten({ name: 'flat' }),
      tf.layers.dense({ units: 10, name: 'out' }),
    ] });
    const lab = await loadLabModel(await artifactsOf(m), 'x');
    expect(lab.layers[0]).toMatchObject({ className: 'Conv2D', factorizable: false });
    expect(lab.layers[0].reason).toMatch(/Conv2D/);
    lab.model.dispose();
    m.dispose();
  });
});

describe('model URLs', () => {
  const origin = 'http://localhost:5173/';
  it('resolves same-origin paths', () => {
    expect(resolveSameOriginModelUrl('models/mlp-64/model.json', origin).href).toBe('http://localhost:5173/models/mlp-64/model.json');
  });
  it.each([
    ['https://evil.example/model.json', /own site/],
    ['javascript:alert(1)//x.json', /http\(s\)/],
    ['models/x\u0000.json', /control characters/],
    ['models/mlp-64/weights.bin', /not a model.json/],
    ['', /empty/],
    ['//evil.example/m.json', /own site/],
  ])('refuses %j', (raw, text) => {
    expect(() => resolveSameOriginModelUrl(raw, origin)).toThrow(text);
  });
});
