import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { LabSession } from '../../src/model/session';
import { firstKernelLayer, layerMatrices, NoLayerMatricesError } from '../../src/model/layerMatrices';
import { firstImages } from '../../src/core/mnist';
import { REPO_ROOT, nodeSvd, readModelFromDisk, readSample, useNodeBackend } from '../../src/cli/nodeEnv';

/**
 * The plain matrices the teaching views draw, against the weights TF.js
 * itself holds: the kernel is the layer's stored kernel (a convolution's
 * laid out as (c_in kh kw) x c_out, rows channel-major, rebuilt here from
 * the 4-D array), and U S V^T reconstructs it within a float64 bound.
 */

const model = (id: string) => join(REPO_ROOT, 'public', 'models', id, 'model.json');
let mlp: LabSession;
let cnn: LabSession;

beforeAll(async () => {
  await useNodeBackend('wasm');
  const sample = firstImages(await readSample('test'), 200);
  const a = await readModelFromDisk(model('mlp-64'));
  mlp = await LabSession.open(a.artifacts, a.name, sample, nodeSvd);
  const b = await readModelFromDisk(model('cnn'));
  cnn = await LabSession.open(b.artifacts, b.name, sample, nodeSvd);
}, 120_000);

afterAll(() => {
  mlp?.dispose();
  cnn?.dispose();
});

/** max |W - U diag(s) V^T| over the entries, and max |W|. */
function reconstructionError(m: ReturnType<typeof layerMatrices>): { error: number; scale: number } {
  let error = 0;
  let scale = 0;
  for (let i = 0; i < m.m; i++) {
    for (let j = 0; j < m.n; j++) {
      let sum = 0;
      for (let c = 0; c < m.r; c++) sum += m.u[i * m.r + c] * m.s[c] * m.v[j * m.r + c];
      error = Math.max(error, Math.abs(sum - m.kernel[i * m.n + j]));
      scale = Math.max(scale, Math.abs(m.kernel[i * m.n + j]));
    }
  }
  return { error, scale };
}

/** The layer's kernel as TF.js stores it, read straight from the model. */
function storedKernel(session: LabSession, layer: string): { values: Float32Array; shape: number[] } {
  const w = session.lab.model.getLayer(layer).getWeights()[0];
  return { values: w.dataSync() as Float32Array, shape: w.shape };
}

describe('layerMatrices', () => {
  it('hands out a Dense kernel exactly as TF.js holds it, and an SVD that reconstructs it', () => {
    for (const layer of ['fc1', 'fc2', 'out']) {
      const m = layerMatrices(mlp, layer);
      const stored = storedKernel(mlp, layer);
      expect([m.m, m.n]).toEqual(stored.shape);
      expect(m.kernel).toEqual(stored.values);
      const { error, scale } = reconstructionError(m);
      expect(error).toBeLessThan(1e-12 * Math.max(1, scale) * m.m);
    }
  });

  it('says the first Dense layer reads 28x28 images and a later one does not', () => {
    expect(firstKernelLayer(mlp)).toBe('fc1');
    expect(layerMatrices(mlp, 'fc1').directions).toEqual({ kind: 'image', rows: 28, cols: 28 });
    expect(layerMatrices(mlp, 'fc2').directions).toMatchObject({ kind: 'none', why: expect.stringMatching(/not the model's first layer/) });
  });

  it('lays a convolution out as (c_in kh kw) x c_out, channel-major, and draws its directions as kh x kw filters', () => {
    const first = firstKernelLayer(cnn)!;
    const names = cnn.layers.filter((l) => l.factorizable && l.kind === 'conv2d').map((l) => l.name);
    expect(names[0]).toBe(first);
    for (const layer of names) {
      const m = layerMatrices(cnn, layer);
      const { values, shape } = storedKernel(cnn, layer);
      const [kh, kw, cin, cout] = shape;
      expect([m.m, m.n]).toEqual([cin * kh * kw, cout]);
      for (let c = 0; c < cin; c++) {
        for (let i = 0; i < kh; i++) {
          for (let j = 0; j < kw; j++) {
            for (let o = 0; o < cout; o += 7) expect(m.kernel[((c * kh + i) * kw + j) * cout + o]).toBe(values[((i * kw + j) * cin + c) * cout + o]);
          }
        }
      }
      const { error, scale } = reconstructionError(m);
      expect(error).toBeLessThan(1e-12 * Math.max(1, scale) * m.m);
    }
    const [kh, kw, cin] = storedKernel(cnn, first).shape;
    expect(layerMatrices(cnn, first).directions).toEqual({ kind: 'filters', rows: kh, cols: kw, channels: cin });
  });

  it('refuses a layer without factors with a message that says what to do', () => {
    const kept = cnn.layers.find((l) => !l.factorizable)!;
    expect(() => layerMatrices(cnn, kept.name)).toThrow(NoLayerMatricesError);
    expect(() => layerMatrices(mlp, 'nope')).toThrow(/pick a factorizable layer/);
  });
});
