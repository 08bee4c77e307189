import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import * as tf from '@tensorflow/tfjs';
import { MAX_SHARDS, MAX_WEIGHT_BYTES, readModelArtifacts, type ShardPath } from '../../src/model/artifacts';
import { loadLabModel } from '../../src/model/labModel';
import { explainBuildError } from '../../src/model/buildErrors';
import { LabInputError } from '../../src/model/errors';
import { artifactsFromFiles, artifactsFromUrl, modelNameFor, resolveSameOriginModelUrl } from '../../src/model/sources';
import { REPO_ROOT, modelNameOf } from '../../src/cli/nodeEnv';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
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

/** A shard reader over in-memory files that records every path it was asked for. */
function recordingReader(shards: Record<string, ArrayBuffer>): ((path: ShardPath) => Promise<ArrayBuffer>) & { asked: string[] } {
  const asked: string[] = [];
  const read = async (path: ShardPath) => {
    asked.push(path.raw);
    const b = shards[path.relative];
    if (!b) throw new Error('ENOENT');
    return b;
  };
  return Object.assign(read, { asked });
}
const reader = recordingReader;

/** good.json with its manifest group replaced by `group`'s fields. */
function withGroup(group: Record<string, unknown>): string {
  const json = structuredClone(good.json) as { weightsManifest: Array<Record<string, unknown>> };
  json.weightsManifest[0] = { ...json.weightsManifest[0], ...group };
  return JSON.stringify(json);
}

function goodWeights(): Array<{ name: string; shape: number[]; dtype: string }> {
  return structuredClone((good.json.weightsManifest as Array<{ weights: Array<{ name: string; shape: number[]; dtype: string }> }>)[0].weights);
}

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

  it('opens a shard named without an extension, as the converter writes them', async () => {
    const plain = filesOf(await artifactsOf(tinyMlp()), 'group1-shard1of1');
    const json = new File([JSON.stringify(plain.json)], 'model.json');
    const { artifacts } = await artifactsFromFiles([new File([plain.shard], 'group1-shard1of1'), json]);
    expect(new Uint8Array(artifacts.weightData as ArrayBuffer)).toEqual(new Uint8Array(plain.shard));
  });
});

describe('model names', () => {
  const topology = (name: string) => ({ class_name: 'Sequential', config: { name, layers: [] } });

  it('come from the folder, else the .json file name, else a config name that is not a default, else "model"', () => {
    expect(modelNameFor({ folder: 'my-cnn', jsonName: 'model.json', topology: topology('cnn_v2') })).toBe('my-cnn');
    expect(modelNameFor({ jsonName: 'mnist-cnn.json', topology: topology('cnn_v2') })).toBe('mnist-cnn');
    expect(modelNameFor({ jsonName: 'model.json', topology: topology('cnn_v2') })).toBe('cnn_v2');
    expect(modelNameFor({ jsonName: 'Model.JSON', topology: { model_config: { config: { name: 'keras_cnn' } } } })).toBe('keras_cnn');
    for (const generic of ['sequential', 'sequential_3', 'model_1', 'functional_2']) {
      expect(modelNameFor({ jsonName: 'model.json', topology: topology(generic) })).toBe('model');
    }
    expect(modelNameFor({ folder: '', jsonName: 'model.json', topology: 42 })).toBe('model');
    expect(modelNameFor({ folder: 'a\u0000b\n' + 'x'.repeat(100), jsonName: 'model.json' })).toBe(`ab${'x'.repeat(78)}`);
  });

  it('are the same in the CLI and for files opened in the browser from the same folder', async () => {
    const path = join(REPO_ROOT, 'public', 'models', 'mlp-64', 'model.json');
    const text = readFileSync(path, 'utf8');
    const { name: fromFiles } = await artifactsFromFiles([new File([text], 'model.json'), new File([readFileSync(join(dirname(path), 'weights.bin'))], 'weights.bin')], 'mlp-64');
    expect(modelNameOf(path)).toBe('mlp-64');
    expect(fromFiles).toBe(modelNameOf(path));
    // Without the folder the browser falls back to the name model.json gives the model.
    const { name: bare } = await artifactsFromFiles([new File([text], 'model.json'), new File([readFileSync(join(dirname(path), 'weights.bin'))], 'weights.bin')]);
    expect(bare).toBe('mlp_64');
  });
});

describe('hostile manifests are refused before any shard is read', () => {
  it.each([
    ['../../../../etc/os-release', /climbs out/],
    ['%2e%2e/%2e%2e/etc/os-release', /climbs out/],
    ['..%2F..%2Fetc%2Fos-release', /climbs out/],
    ['sub/../../weights.bin', /climbs out/],
    ['/etc/os-release', /absolute path/],
    ['%2Fetc%2Fos-release', /absolute path/],
    ['http://evil.example/weights.bin', /address/],
    ['file:///etc/os-release', /address/],
    ['C:\\weights.bin', /backslash|address/],
    ['..\\weights.bin', /backslash/],
    ['weights.bin%E0%A4%A', /malformed/],
    ['weights.bin?x=1', /query/],
    ['', /not a file name/],
    ['./', /folder/],
  ])('shard path %j', async (path, why) => {
    const read = reader({ 'weights.bin': good.shard });
    await expectLabError(readModelArtifacts(withGroup({ paths: [path] }), read), 'weights', why);
    expect(read.asked).toEqual([]);
  });

  it('a number where a shard path belongs', async () => {
    const read = reader({});
    await expectLabError(readModelArtifacts(withGroup({ paths: [42] }), read), 'weights', /not a file name/);
    expect(read.asked).toEqual([]);
  });

  it('one shard listed 5,000 times: refused without a single read', async () => {
    const read = reader({ 'weights.bin': good.shard });
    await expectLabError(readModelArtifacts(withGroup({ paths: Array(5000).fill('weights.bin') }), read), 'weights', /more than once/);
    expect(read.asked).toEqual([]);
  });

  it('the same shard spelt two ways (./ and a %-escape) is still one shard', async () => {
    const read = reader({ 'weights.bin': good.shard });
    await expectLabError(readModelArtifacts(withGroup({ paths: ['weights.bin', './weights%2Ebin'] }), read), 'weights', /more than once/);
    expect(read.asked).toEqual([]);
  });

  it(`more than ${MAX_SHARDS} distinct shards`, async () => {
    const read = reader({});
    const paths = Array.from({ length: MAX_SHARDS + 1 }, (_, i) => `s${i}.bin`);
    await expectLabError(readModelArtifacts(withGroup({ paths }), read), 'weights', /more than 1024 weight shards/);
    expect(read.asked).toEqual([]);
  });

  it('one weight beyond the memory budget: refused naming its layer and size, without a single read', async () => {
    const weights = goodWeights();
    weights[0].shape = [MAX_WEIGHT_BYTES / 4 + 1];
    const read = reader({ 'weights.bin': good.shard });
    await expectLabError(readModelArtifacts(withGroup({ weights }), read), 'weights', /layer "h1" has a weight "h1\/kernel" of 256\.0 MiB \(shape \[67108865\]\); the lab's budget for a model's weights is 256 MiB/);
    expect(read.asked).toEqual([]);
  });

  it('weights each within the budget but over it together: refused naming the largest', async () => {
    const weights = goodWeights();
    weights[0].shape = [MAX_WEIGHT_BYTES / 8];
    weights[2].shape = [MAX_WEIGHT_BYTES / 8 + 1];
    const read = reader({ 'weights.bin': good.shard });
    await expectLabError(readModelArtifacts(withGroup({ weights }), read), 'weights', /describes 256\.0 MiB of weights \(the largest, "out\/kernel" of layer "out", is 128\.0 MiB\)/);
    expect(read.asked).toEqual([]);
  });

  it('a quantized weight counts at its dequantized (float32) size', async () => {
    const weights = goodWeights().map((w) => ({ ...w, quantization: { dtype: 'uint8', scale: 1, min: 0 } }));
    weights[0].shape = [MAX_WEIGHT_BYTES / 4 + 1]; // 64 MiB in its shard, 256 MiB in memory
    const read = reader({ 'weights.bin': good.shard });
    await expectLabError(readModelArtifacts(withGroup({ weights }), read), 'weights', /"h1\/kernel" of 256\.0 MiB/);
  });

  it("a weight beyond the device's largest buffer: refused naming the layer, the size and the limit, without a single read", async () => {
    const read = reader({ 'weights.bin': good.shard });
    const kernelBytes = 784 * 12 * 4;
    const limits = { maxTensorBytes: kernelBytes - 1, what: 'the test device\'s largest buffer' };
    await expectLabError(
      readModelArtifacts(JSON.stringify(good.json), read, 'model.json', undefined, limits),
      'weights',
      /layer "h1" has a weight "h1\/kernel" of 36\.8 KiB \(shape \[784, 12\]\), more than the test device's largest buffer \(36\.7 KiB\)\. .*row tiles.*\?backend=wasm/,
    );
    expect(read.asked).toEqual([]);
    // At the limit exactly, it opens.
    const a = await readModelArtifacts(JSON.stringify(good.json), read, 'model.json', undefined, { ...limits, maxTensorBytes: kernelBytes });
    expect(a.weightData).toBeDefined();
  });

  it('a shard whose size, known before reading, is 300 MB longer than described', async () => {
    const read = reader({ 'weights.bin': good.shard });
    const sizeOf = async () => good.shard.byteLength + 300e6;
    await expectLabError(readModelArtifacts(JSON.stringify(good.json), read, 'model.json', sizeOf), 'weights', /longer than its weights/);
    expect(read.asked).toEqual([]);
  });

  it('a shard longer than described, read from a source that cannot size it', async () => {
    const longer = new Uint8Array(good.shard.byteLength + 4);
    longer.set(new Uint8Array(good.shard));
    await expectLabError(readModelArtifacts(JSON.stringify(good.json), reader({ 'weights.bin': longer.buffer })), 'weights', /longer than its weights/);
  });

  it('an extra shard the weights do not use', async () => {
    const read = reader({ 'weights.bin': good.shard, 'extra.bin': new ArrayBuffer(8) });
    await expectLabError(readModelArtifacts(withGroup({ paths: ['weights.bin', 'extra.bin'] }), read), 'weights', /"weights.bin", "extra.bin" hold more bytes/);
    expect(read.asked).toEqual(['weights.bin', 'extra.bin']); // each once, and the group refused at the second
  });

  it('a weight listed twice', async () => {
    const weights = goodWeights();
    weights.push(weights[0]);
    await expectLabError(readModelArtifacts(withGroup({ weights }), reader({ 'weights.bin': good.shard })), 'model-json', /"h1\/kernel" more than once/);
  });

  it.each([
    ['a shape that is a string', (w: Record<string, unknown>) => { w.shape = '784,12'; }, /shape that is not a list/],
    ['a negative dimension', (w: Record<string, unknown>) => { w.shape = [784, -12]; }, /shape that is not a list/],
    ['a fractional dimension', (w: Record<string, unknown>) => { w.shape = [784, 1.5]; }, /shape that is not a list/],
    ['an unknown dtype', (w: Record<string, unknown>) => { w.dtype = 'float64'; }, /dtype "float64"/],
    ['string weights', (w: Record<string, unknown>) => { w.dtype = 'string'; }, /dtype "string"/],
    ['no name', (w: Record<string, unknown>) => { delete w.name; }, /no name/],
    ['a quantization of int4', (w: Record<string, unknown>) => { w.quantization = { dtype: 'int4' }; }, /quantization/],
    ['a uint8 quantization without scale', (w: Record<string, unknown>) => { w.quantization = { dtype: 'uint8', min: 0 }; }, /finite scale and min/],
  ])('an entry with %s', async (_what, damage, why) => {
    const weights = goodWeights();
    damage(weights[0] as unknown as Record<string, unknown>);
    await expectLabError(readModelArtifacts(withGroup({ weights }), reader({ 'weights.bin': good.shard })), 'model-json', why);
  });

  it('reads model.json text that starts with a UTF-8 byte-order mark', async () => {
    const a = await readModelArtifacts(`\uFEFF${JSON.stringify(good.json)}`, reader({ 'weights.bin': good.shard }));
    expect((a.weightData as ArrayBuffer).byteLength).toBe(good.shard.byteLength);
  });

  it('reads a good manifest that names its shard with ./ and a %-escape', async () => {
    const read = reader({ 'weights.bin': good.shard });
    await readModelArtifacts(withGroup({ paths: ['./weights%2Ebin'] }), read);
    expect(read.asked).toEqual(['./weights%2Ebin']);
  });
});

describe('model validation', () => {
  it('opens an input MNIST does not fit, to be scored on synthetic inputs without accuracy', async () => {
    const m = tinyMlp(8, [32]);
    const lab = await loadLabModel(await artifactsOf(m), 'x');
    expect([lab.data, lab.noAccuracy]).toEqual(['synthetic', "the model's input is [32], not a 28x28 MNIST image: scores compare it with the original on seeded synthetic inputs"]);
    lab.model.dispose();
    m.dispose();
  });

  it('refuses an input with a dimension left free, and an output that is not one score per class', async () => {
    const free = tf.sequential({ layers: [tf.layers.dense({ units: 3, inputShape: [null as unknown as number, 4], name: 'd' }), tf.layers.globalAveragePooling1d({ name: 'pool' })] });
    await expectLabError(loadLabModel(await artifactsOf(free), 'x'), 'input-shape', /\[any, 4\].*every input dimension fixed/);
    free.dispose();
    const grid = tf.sequential({ layers: [tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 2, kernelSize: 3, name: 'c' })] });
    await expectLabError(loadLabModel(await artifactsOf(grid), 'x'), 'input-shape', /output shape is \[26, 26, 2\].*one score per class/);
    grid.dispose();
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

  it('wraps a TF.js build error it has no words of its own for: the file named, TF.js quoted, never alone', () => {
    const err = explainBuildError(new Error('Something\n   odd happened.'), 'my-model', { modelTopology: {} });
    expect(err).toBeInstanceOf(LabInputError);
    expect(err.message).toBe('TF.js could not build the model described in the model.json of "my-model"; its layer configuration is not one TF.js accepts (TF.js said: Something odd happened.).');
  });

  it('refuses layers stock TF.js does not know', async () => {
    const json = structuredClone(good.json) as { modelTopology: { config: { layers: Array<{ class_name: string }> } } };
    json.modelTopology.config.layers[0].class_name = 'MyFancyDense';
    const a = await readModelArtifacts(JSON.stringify(json), reader({ 'weights.bin': good.shard }));
    await expectLabError(loadLabModel(a, 'x'), 'unsupported-model', /MyFancyDense/);
  });

  it('refuses a model that applies one layer twice (shared weights)', async () => {
    const input = tf.input({ shape: [784] });
    const shared = tf.layers.dense({ units: 784, name: 'shared' });
    const twice = shared.apply(shared.apply(input)) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 10, name: 'out' }).apply(twice) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    await expectLabError(loadLabModel(await artifactsOf(model), 'x'), 'unsupported-model', /"shared" is used 2 times/);
    model.dispose();
  });

  it('lists a Conv2D layer it cannot compute (channels first) with the reason it is left alone', async () => {
    const m = tf.sequential({ layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 2, kernelSize: 1, dataFormat: 'channelsFirst', name: 'conv' }),
      tf.layers.flatten({ name: 'flat' }),
      tf.layers.dense({ units: 10, name: 'out' }),
    ] });
    const lab = await loadLabModel(await artifactsOf(m), 'x');
    expect(lab.layers[0]).toMatchObject({ className: 'Conv2D', factorizable: false });
    expect(lab.layers[0].reason).toMatch(/Conv2D data format channelsFirst is not supported/);
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

describe('model URLs on a server that answers unknown paths with its web page (an SPA fallback)', () => {
  it('says "no model there" for model.json and for a shard, not "Unexpected token <"', async () => {
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(req.url ?? '');
      if (req.url === '/models/real/model.json') {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(good.json));
        return;
      }
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end('<!doctype html><title>Low-Rank Lab</title>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`;
    try {
      await expectLabError(artifactsFromUrl('models/nothing/model.json', origin), 'model-json', /There is no model at \/models\/nothing\/model\.json on this site \(the server answered with a web page\)/);
      await expectLabError(artifactsFromUrl('models/real/model.json', origin), 'weights', /"weights.bin" named in model.json is missing: it is not on the server/);
      expect(seen).toEqual(['/models/nothing/model.json', '/models/real/model.json', '/models/real/weights.bin']);
    } finally {
      server.close();
    }
  });
});
