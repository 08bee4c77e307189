import * as tf from '@tensorflow/tfjs';
import { svdJacobi, type Svd } from '../core/svd';
import { randomizedSvd } from '../core/randomizedSvd';
import { truncatedFactors } from '../core/factors';
import { asRank } from '../core/units';
import { throwIfCancelled } from './errors';
import type { FactorizableLayer, LabModel } from './labModel';

/**
 * The SVD of every factorizable kernel matrix, computed once per model and kept
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

/** Cached factors of one kernel matrix; the tensors are owned by the FactorCache. */
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

/**
 * Columns [start, end) of block j of a projection P = X A_r, before
 * clipping to r: widths 16, 16, 32, 64, ... (doubling), so a rank k reads
 * O(log k) blocks and at most about twice its k columns. Equal blocks of 16
 * cost a product per block, which dominated on large ranks in small chunks.
 */
export function projectionBlock(j: number): [number, number] {
  return j === 0 ? [0, 16] : [16 * 2 ** (j - 1), 16 * 2 ** j];
}

/** How many projection blocks rank k reads. */
export function projectionBlockCount(k: number): number {
  let j = 0;
  while (projectionBlock(j)[1] < k) j++;
  return j + 1;
}

/** How many ranks per layer keep their evaluator slices: the slider's, a sweep's and one either side. */
const SLICES_KEPT = 4;

/** Per-layer factors keyed by layer name; dispose() frees every tensor it holds. */
export class FactorCache {
  readonly byLayer = new Map<string, LayerFactors>();

  /** Rank-k factor slices (new tensors, caller disposes; safe inside tf.tidy). */
  slice(layer: string, k: number): [tf.Tensor2D, tf.Tensor2D] {
    const f = this.factorsOf(layer);
    const kk = Math.min(k, f.r);
    return [tf.slice(f.a, [0, 0], [f.m, kk]), tf.slice(f.b, [0, 0], [kk, f.n])];
  }

  /**
   * Rank-k slices for the evaluator, kept between evaluations (the last
   * SLICES_KEPT ranks per layer): the cache's own tensors, not to be
   * disposed by the caller. A slice on the wasm backend copies its whole
   * input out of the heap, so slicing A and B on every pass cost more than
   * the products they feed.
   */
  evalSlices(layer: string, k: number): [tf.Tensor2D, tf.Tensor2D] {
    let perLayer = this.kept.get(layer);
    if (!perLayer) this.kept.set(layer, (perLayer = new Map()));
    let pair = perLayer.get(k);
    if (pair) {
      perLayer.delete(k);
    } else {
      pair = tf.tidy(() => this.slice(layer, k).map((t) => tf.keep(t)) as [tf.Tensor2D, tf.Tensor2D]);
      for (const [old, tensors] of perLayer) {
        if (perLayer.size < SLICES_KEPT) break;
        tensors.forEach((t) => t.dispose());
        perLayer.delete(old);
      }
    }
    perLayer.set(k, pair);
    return pair;
  }

  /**
   * Columns of projection block j (see projectionBlock) of the layer's A_r,
   * kept: the evaluator projects a layer's input onto A block by block.
   */
  columnBlock(layer: string, j: number): tf.Tensor2D {
    const key = `${layer}:${j}`;
    let block = this.blocks.get(key);
    if (!block) {
      const f = this.factorsOf(layer);
      const [start, end] = projectionBlock(j);
      // Kept: it may be made inside an evaluation's tf.tidy, and outlives it.
      block = tf.keep(tf.slice(f.a, [0, start], [f.m, Math.min(end, f.r) - start]));
      this.blocks.set(key, block);
    }
    return block;
  }

  /**
   * The rows of the layer's B_r matching projection block j, with the rows
   * at index k and beyond zeroed: P_j times it is block j's share of
   * P_k B_k, so a rank k never slices P's columns (a column slice on the
   * wasm backend copies the whole input row by row in JavaScript). Kept:
   * whole blocks once, partial ones for the last SLICES_KEPT ranks per layer.
   */
  rowBlock(layer: string, j: number, k: number): tf.Tensor2D {
    const f = this.factorsOf(layer);
    const [start, end] = projectionBlock(j);
    const rows = Math.min(end, f.r) - start;
    const live = Math.max(0, Math.min(rows, k - start));
    const key = `${layer}:${j}:${live === rows ? 'all' : live}`;
    let block = this.rowBlocks.get(key);
    if (block) {
      // Most recently used last, so the partial blocks below evict the oldest.
      this.rowBlocks.delete(key);
    } else {
      block = tf.tidy(() => {
        const kept = tf.slice(f.b, [start, 0], [live, f.n]);
        return tf.keep(live === rows ? kept : tf.concat([kept, tf.zeros([rows - live, f.n])], 0)) as tf.Tensor2D;
      });
      const partial = [...this.rowBlocks.keys()].filter((name) => name.startsWith(`${layer}:`) && !name.endsWith(':all'));
      for (const old of partial.slice(0, Math.max(0, partial.length - SLICES_KEPT + 1))) {
        this.rowBlocks.get(old)!.dispose();
        this.rowBlocks.delete(old);
      }
    }
    this.rowBlocks.set(key, block);
    return block;
  }

  private factorsOf(layer: string): LayerFactors {
    const f = this.byLayer.get(layer);
    if (!f) throw new Error(`no factors cached for layer ${layer}`);
    return f;
  }

  /** The layer's SVD rank r (columns of A). */
  rankOf(layer: string): number {
    return this.factorsOf(layer).r;
  }

  /** Tensors kept for the evaluator (slices, column blocks of A, row blocks of B). */
  get keptTensors(): number {
    let n = this.blocks.size + this.rowBlocks.size;
    for (const m of this.kept.values()) n += 2 * m.size;
    return n;
  }

  private readonly kept = new Map<string, Map<number, [tf.Tensor2D, tf.Tensor2D]>>();
  private readonly blocks = new Map<string, tf.Tensor2D>();
  private readonly rowBlocks = new Map<string, tf.Tensor2D>();

  dispose(): void {
    for (const m of this.kept.values()) for (const pair of m.values()) pair.forEach((t) => t.dispose());
    this.kept.clear();
    for (const b of [...this.blocks.values(), ...this.rowBlocks.values()]) b.dispose();
    this.blocks.clear();
    this.rowBlocks.clear();
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
  const targets = lab.layers.filter((l): l is FactorizableLayer => l.factorizable);
  try {
    for (const [i, info] of targets.entries()) {
      throwIfCancelled(signal);
      onProgress?.(i, targets.length, info.name);
      const [m, n] = info.kernelShape;
      const data = lab.kernelWeights.get(info.name)!.kernel;
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
