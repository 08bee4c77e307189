import * as tf from '@tensorflow/tfjs';
import { svdJacobi, type Svd } from '../core/svd';
import { randomizedSvd } from '../core/randomizedSvd';
import { truncatedFactors } from '../core/factors';
import { asRank } from '../core/units';
import { throwIfCancelled } from './errors';
import type { LabModel } from './labModel';

/**
 * The SVD of every factorizable Dense kernel, computed once per model and kept
 * on the backend as full-rank factors A = U sqrt(S) (m x r) and
 * B = sqrt(S) V^T (r x n). A rank change only slices the first k columns of A
 * and rows of B, so moving a slider never recomputes or re-uploads anything.
 */

/**
 * Computes an SVD of a row-major m x n kernel: the full thin SVD, or only
 * the top `topK` directions (randomized) when topK < min(m, n). The browser
 * runs it in a worker or on the GPU, Node inline.
 */
export type SvdFn = (data: Float32Array, shape: [number, number], signal?: AbortSignal, topK?: number) => Promise<Svd>;

/** The float64 SVD inline (full Jacobi, or the randomized top-k): Node's engine, and the default where no worker is given. */
export const inlineSvd: SvdFn = async (data, shape, _signal, topK) => (topK === undefined ? svdJacobi(data, shape) : randomizedSvd(data, shape, topK));

/** Cached factors of one Dense kernel; the tensors are owned by the FactorCache. */
export interface LayerFactors {
  m: number;
  n: number;
  r: number;
  /** Singular values, descending, float64 from the CPU SVD. */
  singularValues: Float64Array;
  /**
   * The whole SVD the factors came from (U, S, V on the CPU), kept so the
   * factor methods start from it instead of decomposing every kernel again.
   */
  svd: Svd;
  a: tf.Tensor2D;
  b: tf.Tensor2D;
}

/** Per-layer factors keyed by layer name; dispose() frees every tensor it holds. */
export class FactorCache {
  readonly byLayer = new Map<string, LayerFactors>();

  /** Rank-k factor slices (new tensors, caller disposes; safe inside tf.tidy). */
  slice(layer: string, k: number): [tf.Tensor2D, tf.Tensor2D] {
    const f = this.byLayer.get(layer);
    if (!f) throw new Error(`no factors cached for layer ${layer}`);
    const kk = Math.min(k, f.r);
    return [tf.slice(f.a, [0, 0], [f.m, kk]), tf.slice(f.b, [0, 0], [kk, f.n])];
  }

  /** The layer's full factors A_r (m x r) and B_r (r x n): the cache's own tensors, not to be disposed by the caller. */
  full(layer: string): [tf.Tensor2D, tf.Tensor2D] {
    const f = this.byLayer.get(layer);
    if (!f) throw new Error(`no factors cached for layer ${layer}`);
    return [f.a, f.b];
  }

  dispose(): void {
    for (const f of this.byLayer.values()) {
      f.a.dispose();
      f.b.dispose();
    }
    this.byLayer.clear();
  }
}

/**
 * Decomposes every factorizable layer of `lab` with `svd`, reporting progress
 * per layer. On cancel or failure the partial cache is disposed before the
 * error propagates, so no tensor outlives the attempt.
 */
export async function decomposeModel(
  lab: LabModel,
  svd: SvdFn,
  onProgress?: (done: number, total: number, layer: string) => void,
  signal?: AbortSignal,
): Promise<FactorCache> {
  const cache = new FactorCache();
  const targets = lab.layers.filter((l) => l.factorizable && l.kernelShape);
  try {
    for (const [i, info] of targets.entries()) {
      throwIfCancelled(signal);
      onProgress?.(i, targets.length, info.name);
      const [m, n] = info.kernelShape!;
      const data = lab.denseWeights.get(info.name)!.kernel;
      const topK = info.rankLimit < Math.min(m, n) ? info.rankLimit : undefined;
      const result = await svd(new Float32Array(data), [m, n], signal, topK);
      const { a, b } = truncatedFactors(result, asRank(result.r));
      cache.byLayer.set(info.name, {
        m, n, r: result.r,
        singularValues: result.s,
        svd: result,
        a: tf.tensor2d(a, [m, result.r]),
        b: tf.tensor2d(b, [result.r, n]),
      });
    }
    throwIfCancelled(signal);
    onProgress?.(targets.length, targets.length, '');
    return cache;
  } catch (err) {
    cache.dispose();
    throw err;
  }
}
