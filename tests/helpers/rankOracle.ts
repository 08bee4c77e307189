import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { svdJacobi } from '../../src/core/svd';
import type { Svd } from '../../src/core/svd';

/**
 * Independent answers for the tests that check a rank a rule picked: the
 * Dense kernels read straight from a model folder's model.json and shard
 * (no TF.js, no lab loader), their float64 SVD, the energy rule written out
 * as its definition, and the relative output error of a truncation computed
 * by multiplying the matrices out (not through the lab's tail-sum table).
 * A test reads the rank the lab chose and checks it against these, instead
 * of comparing with a number copied from an earlier run.
 */

/** One 2-D kernel of a model file: W (m inputs x n outputs), row-major, float64. */
export interface KernelMatrix {
  readonly data: Float64Array;
  readonly m: number;
  readonly n: number;
}

/**
 * The 2-D kernels (`<layer>/kernel` of shape [m, n]) of the model in
 * `dir` (model.json + its float32 shards, in manifest order), by layer name.
 */
export function denseKernels(dir: string): Map<string, KernelMatrix> {
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as {
    weightsManifest: Array<{ paths: string[]; weights: Array<{ name: string; shape: number[]; dtype: string }> }>;
  };
  const out = new Map<string, KernelMatrix>();
  for (const group of json.weightsManifest) {
    const bytes = Buffer.concat(group.paths.map((p) => readFileSync(join(dir, p))));
    const floats = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    let offset = 0;
    for (const w of group.weights) {
      if (w.dtype !== 'float32') throw new Error(`${w.name} is ${w.dtype}; the oracle reads float32 weights only.`);
      const size = w.shape.reduce((a, b) => a * b, 1);
      if (w.name.endsWith('/kernel') && w.shape.length === 2) {
        out.set(w.name.slice(0, -'/kernel'.length), { data: Float64Array.from(floats.subarray(offset, offset + size)), m: w.shape[0], n: w.shape[1] });
      }
      offset += size;
    }
  }
  return out;
}

/** The float64 one-sided Jacobi SVD of a kernel (the lab's CPU reference). */
export function kernelSvd(k: KernelMatrix): Svd {
  return svdJacobi(k.data, [k.m, k.n]);
}

/** Share of the squared Frobenius norm the top `k` singular values keep: sum_{i<k} s_i^2 / sum s_i^2. */
export function energyKept(s: Float64Array, k: number): number {
  let total = 0;
  let kept = 0;
  for (let i = 0; i < s.length; i++) {
    total += s[i] * s[i];
    if (i < k) kept += s[i] * s[i];
  }
  return kept / total;
}

/** The energy rule by its definition: the smallest k whose top-k singular values keep a share >= tau of the energy. */
export function energyRankByDefinition(s: Float64Array, tau: number): number {
  for (let k = 1; k <= s.length; k++) if (energyKept(s, k) >= tau) return k;
  return s.length;
}

/**
 * ||X W - X W_k||_F / ||X W||_F for inputs X (rows x m, row-major), with
 * W_k = U_k S_k V_k^T from `svd`, by forming X W and X W_k outright.
 */
export function relativeOutputError(x: Float64Array, rows: number, w: KernelMatrix, svd: Svd, k: number): number {
  const { m, n } = w;
  const wk = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let c = 0; c < k; c++) sum += svd.u[i * svd.r + c] * svd.s[c] * svd.v[j * svd.r + c];
      wk[i * n + j] = sum;
    }
  }
  let diffSq = 0;
  let exactSq = 0;
  const y = new Float64Array(n);
  const yk = new Float64Array(n);
  for (let t = 0; t < rows; t++) {
    y.fill(0);
    yk.fill(0);
    for (let i = 0; i < m; i++) {
      const xi = x[t * m + i];
      if (xi === 0) continue;
      for (let j = 0; j < n; j++) {
        y[j] += xi * w.data[i * n + j];
        yk[j] += xi * wk[i * n + j];
      }
    }
    for (let j = 0; j < n; j++) {
      exactSq += y[j] * y[j];
      diffSq += (y[j] - yk[j]) ** 2;
    }
  }
  return Math.sqrt(diffSq / exactSq);
}
