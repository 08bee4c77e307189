import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { REPO_ROOT, readModelFromDisk, readSample, useNodeBackend, nodeSvd } from '../../src/cli/nodeEnv';
import { LabSession } from '../../src/model/session';
import { forwardLogits } from '../../src/model/forward';
import type { ExportFactors, ExportedModel } from '../../src/model/exportModel';
import type { RankPlan } from '../../src/model/plan';
import type { MnistSample } from '../../src/core/mnist';
import { svdJacobi } from '../../src/core/svd';
import { reconstruct, truncatedFactors } from '../../src/core/factors';
import { quantizeFactors } from '../../src/core/quantizeFactors';
import { asRank } from '../../src/core/units';
import { stockAccuracyOn } from '../helpers/stockPredict';

/**
 * Quantized and channel-grouped factors in the download: stock
 * tf.loadLayersModel reads them (through TF.js's http loader, fed from
 * memory), the integer kernels are stored one byte per value, and the
 * stock model computes the kernel the lab scores: the factorized layer's
 * own output against a float64 reference, the model's output against the
 * lab's forward pass, and test-set accuracy against evaluateKernels.
 */

const MODEL = join(REPO_ROOT, 'public', 'models', 'mlp-64', 'model.json');
const PROBE = 256; // images for the output comparisons
let session: LabSession;
let sample: MnistSample;

beforeAll(async () => {
  await useNodeBackend('wasm');
  const { artifacts, name } = await readModelFromDisk(MODEL);
  sample = await readSample('test');
  session = await LabSession.open(artifacts, name, sample, nodeSvd);
});

afterAll(() => session?.dispose());

interface WeightSpec { name: string; shape: number[]; dtype: string; quantization?: { dtype: string; scale: number; min: number } }
interface Manifest { modelTopology: { config: { layers: Array<{ class_name: string; config: Record<string, unknown> }> } }; weightsManifest: Array<{ weights: WeightSpec[] }> }

const manifest = (ex: ExportedModel): Manifest => JSON.parse(ex.modelJson);
const specs = (ex: ExportedModel): WeightSpec[] => manifest(ex).weightsManifest[0].weights;
const layerList = (ex: ExportedModel) => manifest(ex).modelTopology.config.layers.map((l) => [l.class_name, l.config.name]);
const specBytes = (s: WeightSpec) => s.shape.reduce((p, d) => p * d, 1) * (s.quantization ? 1 : 4);

/** Stock tf.loadLayersModel over a fetch that serves the two exported files from memory. */
function loadStock(ex: ExportedModel): Promise<tf.LayersModel> {
  const fetchFunc = async (url: RequestInfo | URL) => {
    const file = decodeURIComponent(new URL(String(url)).pathname.split('/').pop()!);
    return new Response(file === 'model.json' ? ex.modelJson : ex.weights);
  };
  return tf.loadLayersModel('http://lab.invalid/model.json', { fetchFunc });
}

/** The first `count` test images as float32 in [0, 1], row-major count x 784. */
function images(count: number): Float32Array {
  return Float32Array.from(sample.pixels.subarray(0, count * 784), (p) => p / 255);
}

/** relu(x W + b) in float64 for N inputs x (N x m), W m x n: the factorized layer's exact output. */
function denseReference(x: Float32Array, w: Float32Array, bias: Float32Array | null, m: number, n: number): Float64Array {
  const rows = x.length / m;
  const out = new Float64Array(rows * n);
  for (let t = 0; t < rows; t++) {
    for (let i = 0; i < m; i++) {
      const xi = x[t * m + i];
      if (xi !== 0) for (let j = 0; j < n; j++) out[t * n + j] += xi * w[i * n + j];
    }
    for (let j = 0; j < n; j++) out[t * n + j] = Math.max(0, out[t * n + j] + (bias ? bias[j] : 0));
  }
  return out;
}

/** max |y - r| / max |r|. */
function relativeError(y: ArrayLike<number>, r: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < r.length; i++) {
    diff = Math.max(diff, Math.abs(y[i] - r[i]));
    scale = Math.max(scale, Math.abs(r[i]));
  }
  return diff / scale;
}

/** The stock model's output of layer `name` for inputs x, as plain numbers. */
function layerOutput(model: tf.LayersModel, name: string, x: Float32Array): Float32Array {
  const probe = tf.model({ inputs: model.inputs, outputs: model.getLayer(name).output as tf.SymbolicTensor });
  return tf.tidy(() => probe.predict(tf.tensor2d(x, [x.length / 784, 784])) as tf.Tensor).dataSync() as Float32Array;
}

/**
 * Checks a stock model against the lab with `layer`'s kernel replaced by
 * `kernel` (no other layer changed): that layer's output (named
 * `outputName` in the stock model) against a float64 reference, the class probabilities against the lab's
 * forward pass, and test accuracy against evaluateKernels. Returns the
 * measured errors.
 */
async function expectLabNumerics(model: tf.LayersModel, layer: string, outputName: string, kernel: Float32Array) {
  const x = images(PROBE);
  const at = session.layers.findIndex((l) => l.name === layer);
  const [m, n] = session.layers[at].kernelShape!;
  const bias = session.kernelWeights(layer).bias;
  // The layer's inputs: the images, or what the (unchanged) stock layer before it hands on.
  const inputs = at === 0 ? x : layerOutput(model, session.layers[at - 1].name, x);
  const layerErr = relativeError(layerOutput(model, outputName, x), denseReference(inputs, kernel, bias, m, n));
  const [stockProbs, labProbs] = tf.tidy(() => {
    const input = tf.tensor2d(x, [PROBE, 784]);
    const overrides = new Map([[layer, { kernel: tf.tensor2d(kernel, [m, n]) }]]);
    const lab = tf.softmax(forwardLogits(session.lab, session.factors, {}, input, overrides));
    return [(model.predict(input) as tf.Tensor).dataSync(), lab.dataSync()];
  });
  const outputErr = relativeError(stockProbs, labProbs);
  const stockAcc = stockAccuracyOn(model, sample.pixels, sample.labels, sample.count);
  const labAcc = (await session.evaluateKernels(new Map([[layer, { kernel, bias: bias ?? undefined }]]))).accuracy;
  expect(layerErr).toBeLessThan(1e-5);
  expect(outputErr).toBeLessThan(1e-5);
  expect(Math.abs(stockAcc - labAcc)).toBeLessThanOrEqual(1e-4);
  return { layerErr, outputErr, stockAcc, labAcc };
}

const RANK = 16;

describe('quantized factors in the download', () => {
  for (const bits of [8, 4] as const) {
    it(`int${bits}: integer kernels stored as uint8, stock model computes deq(U) diag(s) deq(V^T)`, async () => {
      const [m, n] = [784, 64];
      const q = quantizeFactors(truncatedFactors(svdJacobi(session.kernelWeights('fc1').kernel, [m, n]), asRank(RANK)), bits);
      const overrides = new Map<string, ExportFactors>([['fc1', { kind: 'quantized', u: q.u, singularValues: q.singularValues, vt: q.vt }]]);
      const plan: RankPlan = { fc1: asRank(RANK) };
      const ex = await session.exportModel(plan, 'mlp-64-q', overrides);
      expect(layerList(ex).slice(0, 6)).toEqual([
        ['Dense', 'fc1_u'], ['BatchNormalization', 'fc1_s'], ['Dense', 'fc1_v'], ['BatchNormalization', 'fc1_b'], ['Activation', 'fc1'], ['Dropout', 'drop1'],
      ]);
      const qmax = bits === 8 ? 127 : 7;
      const byName = new Map(specs(ex).map((s) => [s.name, s]));
      expect(byName.get('fc1_u/kernel')).toEqual({ name: 'fc1_u/kernel', shape: [m, RANK], dtype: 'float32', quantization: { dtype: 'uint8', scale: 1, min: -qmax } });
      expect(byName.get('fc1_v/kernel')?.quantization).toEqual({ dtype: 'uint8', scale: 1, min: -qmax });
      expect(specs(ex).filter((s) => s.quantization).length).toBe(2);
      expect(ex.weights.byteLength).toBe(specs(ex).reduce((s, w) => s + specBytes(w), 0));
      expect(ex.totalBytes).toBe(new TextEncoder().encode(ex.modelJson).byteLength + ex.weights.byteLength);
      const float = await session.exportModel(plan, 'mlp-64-f');
      expect(ex.totalBytes).toBeLessThan(float.totalBytes);
      // The plan does not decide for quantized factors: they replace fc1 even where it would stay dense.
      expect((await session.exportModel({}, 'mlp-64-q', overrides)).modelJson).toBe(ex.modelJson);

      const model = await loadStock(ex);
      const decoded = tf.tidy(() => model.getLayer('fc1_u').getWeights()[0].dataSync());
      expect(Array.from(decoded)).toEqual(Array.from(q.u.q));
      const kernel = Float32Array.from(reconstruct(q.a, q.b, m, RANK, n));
      await expectLabNumerics(model, 'fc1', 'fc1', kernel);
      model.dispose();
    });
  }
});

/** Per-group rank-`rank` SVD factors of a layer's kernel and the row-stacked kernel they stand for, as aldsPoint builds it. */
function groupedFactors(layer: string, groups: number, rank: number): { factors: ExportFactors; kernel: Float32Array } {
  const [m, n] = session.layers.find((l) => l.name === layer)!.kernelShape!;
  const w = session.kernelWeights(layer).kernel;
  const rows = m / groups;
  const a: Float32Array[] = [];
  const b: Float32Array[] = [];
  const kernel = new Float32Array(m * n);
  for (let g = 0; g < groups; g++) {
    const f = truncatedFactors(svdJacobi(w.subarray(g * rows * n, (g + 1) * rows * n), [rows, n]), asRank(rank));
    a.push(f.a);
    b.push(f.b);
    kernel.set(Float32Array.from(reconstruct(f.a, f.b, rows, rank, n)), g * rows * n);
  }
  return { factors: { kind: 'grouped', groups, rank, a, b }, kernel };
}

describe('channel-grouped (ALDS) factors in the download', () => {
  const cases = [
    { layer: 'fc1', groups: 1, rank: RANK },
    { layer: 'fc1', groups: 2, rank: RANK },
    { layer: 'fc1', groups: 4, rank: RANK },
    { layer: 'fc2', groups: 8, rank: 4 },
  ];
  for (const { layer, groups, rank } of cases) {
    it(`${layer} in ${groups} groups at rank ${rank}: stock layers compute the row-stacked kernel`, async () => {
      const [m, n] = session.layers.find((l) => l.name === layer)!.kernelShape!;
      const { factors, kernel } = groupedFactors(layer, groups, rank);
      const ex = await session.exportModel({}, `mlp-64-g${groups}`, new Map([[layer, factors]]));
      const list = layerList(ex);
      const at = list.findIndex(([, name]) => String(name).startsWith(layer));
      const expected = groups === 1
        ? [['Dense', `${layer}_u`], ['Dense', `${layer}_v`]]
        : [['Reshape', `${layer}_groups`], ['DepthwiseConv2D', `${layer}_u`], ['Flatten', `${layer}_flat`], ['Dense', `${layer}_v`]];
      expect(list.slice(at, at + expected.length)).toEqual(expected);
      if (layer === 'fc1') expect(manifest(ex).modelTopology.config.layers[0].config.batch_input_shape).toEqual([null, 784]);
      const byName = new Map(specs(ex).map((s) => [s.name, s]));
      if (groups > 1) {
        const depthwise = byName.get(`${layer}_u/depthwise_kernel`)!;
        expect(depthwise.shape).toEqual([1, m / groups, groups, rank]);
        expect(specBytes(depthwise)).toBe(4 * m * rank);
        expect(byName.get(`${layer}_v/kernel`)!.shape).toEqual([groups * rank, n]);
      }
      expect(ex.weights.byteLength).toBe(specs(ex).reduce((s, w) => s + specBytes(w), 0));
      const model = await loadStock(ex);
      await expectLabNumerics(model, layer, `${layer}_v`, kernel);
      model.dispose();
    });
  }

  it('rejects groups that do not divide the inputs, leaving no tensor behind', async () => {
    const { factors } = groupedFactors('fc2', 2, 4);
    const before = tf.memory().numTensors;
    await expect(session.exportModel({}, 'bad', new Map([['fc2', { ...factors, groups: 3 } as ExportFactors]]))).rejects.toThrow(RangeError);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('tensor hygiene', () => {
  it('an export with quantized and grouped layers leaves the tensor count unchanged', async () => {
    const q = quantizeFactors(truncatedFactors(svdJacobi(session.kernelWeights('fc1').kernel, [784, 64]), asRank(8)), 8);
    const overrides = new Map<string, ExportFactors>([
      ['fc1', { kind: 'quantized', u: q.u, singularValues: q.singularValues, vt: q.vt }],
      ['fc2', groupedFactors('fc2', 4, 4).factors],
    ]);
    await session.exportModel({}, 'warm', overrides);
    const before = tf.memory().numTensors;
    const ex = await session.exportModel({ fc1: asRank(8) }, 'mixed', overrides);
    expect(tf.memory().numTensors).toBe(before);
    expect(ex.weights.byteLength).toBe(specs(ex).reduce((s, w) => s + specBytes(w), 0));
  });
});

describe('other backends', () => {
  it('the cpu backend reads and runs the same files (channelsFirst depthwise, exact BatchNormalization scales)', async () => {
    const q = quantizeFactors(truncatedFactors(svdJacobi(session.kernelWeights('fc1').kernel, [784, 64]), asRank(RANK)), 4);
    const grouped = groupedFactors('fc1', 4, RANK);
    const x = images(PROBE);
    const bias = session.kernelWeights('fc1').bias;
    const cases = [
      { ex: await session.exportModel({}, 'cpu-q', new Map([['fc1', { kind: 'quantized', u: q.u, singularValues: q.singularValues, vt: q.vt } as ExportFactors]])), output: 'fc1',
        reference: denseReference(x, Float32Array.from(reconstruct(q.a, q.b, 784, RANK, 64)), bias, 784, 64) },
      { ex: await session.exportModel({}, 'cpu-g', new Map([['fc1', grouped.factors]])), output: 'fc1_v', reference: denseReference(x, grouped.kernel, bias, 784, 64) },
    ];
    await useNodeBackend('cpu');
    try {
      expect(tf.getBackend()).toBe('cpu');
      for (const { ex, output, reference } of cases) {
        const model = await loadStock(ex);
        expect(relativeError(layerOutput(model, output, x), reference)).toBeLessThan(1e-5);
        model.dispose();
      }
    } finally {
      await useNodeBackend('wasm');
    }
  });
});
