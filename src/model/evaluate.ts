import * as tf from '@tensorflow/tfjs';
import type { MnistSample } from '../core/mnist';
import { throwIfCancelled } from './errors';
import type { LabModel } from './labModel';
import { applyChainLayer, layerSignature, projectInputBlock, type KernelOverride } from './forward';
import { projectionBlockCount, type FactorCache } from './factors';
import { ActivationCache } from './activationCache';
import { effectiveRank, type RankPlan } from './plan';

/**
 * Scores a rank plan on the whole test sample, on whichever backend runs:
 * accuracy against the labels, agreement with the original model's
 * predictions, and the relative logit error ||Z' - Z||_F / ||Z||_F. The data
 * and the original model's logits stay resident on the backend; each chunk
 * reads back four numbers, and a cancelled evaluation stops between chunks.
 */

/**
 * Lets timers, input and rendering run. On the cpu and wasm backends data()
 * resolves as a microtask, so without this a sweep would hold the main thread
 * until it ended and a Cancel click could never arrive.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    if (typeof MessageChannel === 'undefined') {
      setTimeout(resolve, 0);
      return;
    }
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

/** Scores of one plan over `count` images; fractions in [0, 1]. */
export interface EvalResult {
  accuracy: number;
  agreement: number;
  /** ||Z' - Z||_F / ||Z||_F over the logits (pre-softmax) of all images. */
  relativeLogitError: number;
  count: number;
  /** ||H'||_F of each kernel layer's inputs in the evaluated network, over all images. */
  inputNorms: Record<string, number>;
  /** ||Z||_F of the original model's logits. */
  referenceNorm: number;
  /**
   * The NN-SVD Lipschitz bound on relativeLogitError (core/lipschitz.ts)
   * for a plain-SVD plan; null where the lab cannot bound a layer (an
   * activation or layer type without a known Lipschitz constant), absent
   * for other factor methods.
   */
  lipschitzBound?: number | null;
}

/** How an EvalData keeps work between evaluations: see the EvalData constructor. */
export interface EvalOptions {
  reuse?: boolean;
  budgetBytes?: number;
}

/** Rows of a chunk a pass scores at once: its labels and the original model's outputs there. */
interface ChunkRows {
  labels: tf.Tensor1D;
  refLogits: tf.Tensor2D | null;
  refPred: tf.Tensor1D | null;
}

/** One resident slice of the test set and, once computed, the original model's outputs on it. */
interface Chunk {
  x: tf.Tensor;
  labels: tf.Tensor1D;
  refLogits: tf.Tensor2D | null;
  refPred: tf.Tensor1D | null;
}

/**
 * Multiply-adds one task of a pass may cost (a chunk, or a piece of one):
 * under ~15 ms on one wasm thread of this 2-core machine, so that no
 * main-thread task of a pass (the reference pass at open included) comes
 * near 50 ms.
 */
export const CHUNK_MACS = 75e6;

/**
 * Multiply-adds per example of a layer, estimated from its weights and
 * output shape: each kernel (a weight of rank 2 or more) applied at every
 * output position (Dense over its leading axes, a convolution over its
 * feature map), plus one per output value. Exact for Dense and Conv2D.
 */
export function macsPerExample(layer: tf.layers.Layer): number {
  const shape = layer.outputShape;
  const out = (Array.isArray(shape[0]) ? shape[0] : shape) as (number | null)[];
  const product = (dims: (number | null)[]) => dims.reduce<number>((p, d) => p * (d ?? 1), 1);
  const kernels = layer.weights.filter((w) => w.shape.length >= 2).reduce((sum, w) => sum + product(w.shape), 0);
  return kernels * product(out.slice(1, -1)) + product(out.slice(1));
}

/** Multiply-adds per image of the layers from chain index `start` on (at least 1). */
function macsFrom(lab: LabModel, start: number): number {
  let sum = 0;
  for (let i = start; i < lab.chain.length; i++) sum += macsPerExample(lab.chain[i]);
  return Math.max(1, sum);
}

/**
 * Images per chunk for `lab`: as many as CHUNK_MACS allows for the layers
 * from the first factorizable one on (what a rank change recomputes at
 * most), between 64 and 5,000. A pass from the images through a costly
 * prefix splits chunks further (see pass).
 */
export function chunkRowsFor(lab: LabModel): number {
  const first = lab.layers.findIndex((l) => l.factorizable);
  return Math.max(64, Math.min(5000, Math.floor(CHUNK_MACS / macsFrom(lab, Math.max(0, first)))));
}

/** Pixels scaled per task while the images are uploaded. */
const SCALE_SLICE = 1 << 20;

/** dst[i] = src[offset + i] / 255 for i in [from, to): a plain function, so the engine optimizes the loop. */
function scalePixels(src: Uint8Array, offset: number, dst: Float32Array, from: number, to: number): void {
  for (let i = from; i < to; i++) dst[i] = src[offset + i] / 255;
}

/** How long a pass runs between yields to the page (ms): well under a frame's worth of input delay. */
const SLICE_MS = 8;

/**
 * The test images shaped for one model, their labels and the original
 * model's logits, held on the backend as fixed chunks. Chunks are cut once,
 * because slicing images out of one tensor on every evaluation cost ~12 ms
 * per chunk on wasm, a third of a slider move; their size follows the
 * model's cost per image (chunkRowsFor).
 */
export class EvalData {
  readonly chunks: readonly Chunk[];
  readonly count: number;
  private refNormSq = 0;
  private refAccuracy = 0;
  /** ||input||_F^2 of each kernel layer in the original network. */
  private refInputSq: Record<string, number> = {};

  /** Layer inputs kept between evaluations (null when reuse is off: the bench's "before" path). */
  private readonly cache: ActivationCache | null;
  /** Ids of the overrides seen, for layer signatures: an uploaded override keeps its id while it lives. */
  private readonly overrideIds = new WeakMap<KernelOverride, number>();
  private nextOverrideId = 0;

  private constructor(count: number, chunks: Chunk[], options: EvalOptions) {
    this.count = count;
    this.chunks = chunks;
    this.cache = options.reuse === false ? null : new ActivationCache(chunks.length, options.budgetBytes);
  }

  /**
   * Uploads `sample` for `lab` in chunks of chunkRowsFor(lab) images (the
   * first one an eighth of that), a few tasks per chunk. `options.reuse`
   * (default true) keeps layer inputs between evaluations in an
   * {@link ActivationCache} of `options.budgetBytes`; false scores every
   * plan from the images (the path before the cache, kept for the
   * benchmark's before/after table).
   */
  static async create(sample: MnistSample, lab: LabModel, options: EvalOptions = {}, signal?: AbortSignal): Promise<EvalData> {
    const rows = chunkRowsFor(lab);
    const pixelsPerImage = sample.rows * sample.cols;
    const chunks: Chunk[] = [];
    try {
      for (let start = 0, size = 0; start < sample.count; start += size) {
        await yieldToEventLoop();
        throwIfCancelled(signal);
        // The first chunk is an eighth: the backend's one-time set-up on first use (kernels, buffers) then
        // lands in a short pass instead of a long one.
        size = Math.min(start === 0 ? Math.max(1, Math.ceil(rows / 8)) : rows, sample.count - start);
        // Scaled to [0, 1] here rather than by tensor ops (cast and divide of a whole chunk took ~100 ms on
        // wasm), a slice of rows per task.
        const scaled = new Float32Array(size * pixelsPerImage);
        const offset = start * pixelsPerImage;
        for (let from = 0; from < scaled.length; from += SCALE_SLICE) {
          if (from > 0) await yieldToEventLoop();
          const to = Math.min(scaled.length, from + SCALE_SLICE);
          scalePixels(sample.pixels, offset, scaled, from, to);
        }
        throwIfCancelled(signal);
        chunks.push({
          x: tf.tensor(scaled, [size, ...lab.inputShape]),
          labels: tf.tensor1d(sample.labels.subarray(start, start + size), 'int32'),
          refLogits: null,
          refPred: null,
        });
      }
    } catch (err) {
      for (const c of chunks) {
        c.x.dispose();
        c.labels.dispose();
      }
      throw err;
    }
    return new EvalData(sample.count, chunks, options);
  }

  /** The original model's accuracy on these images, from the reference pass (0 before computeReference). */
  get referenceAccuracy(): number {
    return this.refAccuracy;
  }

  /** Tensors the activation cache holds (outside them, an evaluation leaves nothing allocated). */
  get cachedTensors(): number {
    return this.cache?.tensors ?? 0;
  }

  /** The chain index the last pass started from (0: from the images or the first layer's cached input), for tests and the bench. */
  get lastStart(): number {
    return this.lastStartIndex;
  }

  private lastStartIndex = 0;

  /** How many pieces of rows the last pass ran (one per chunk unless a chunk's work exceeded CHUNK_MACS), for tests and the bench. */
  get lastPieces(): number {
    return this.lastPieceCount;
  }

  private lastPieceCount = 0;

  /** Bytes the activation cache holds. */
  get cachedBytes(): number {
    return this.cache?.bytes ?? 0;
  }

  /** Computes and keeps the original (uncompressed) model's logits and its kernel layers' input norms; call once per model. */
  async computeReference(lab: LabModel, factors: FactorCache, signal?: AbortSignal): Promise<void> {
    // Every layer with a kernel kind: the Lipschitz bound needs their input norms, kept ones included.
    const record = new Set(lab.layers.filter((l) => l.kind !== null).map((l) => l.name));
    const run = await this.pass(lab, factors, {}, undefined, record, signal, (z, rows) => [
      tf.sum(tf.square(z)),
      tf.sum(tf.cast(tf.equal(tf.cast(tf.argMax(z, -1), 'int32'), rows.labels), 'float32')),
    ], (chunk, logits) => {
      chunk.refLogits = logits;
      chunk.refPred = tf.tidy(() => tf.cast(tf.argMax(logits, -1), 'int32') as tf.Tensor1D);
    });
    this.refNormSq = run.sums[0];
    this.refAccuracy = run.sums[1] / this.count;
    this.refInputSq = run.inputSq;
  }

  /**
   * Evaluates `plan` over all images, chunk by chunk, from the first layer
   * whose weights differ from a plan scored before (see ActivationCache).
   * Throws CancelledError when `signal` aborts between chunks; apart from
   * the cache, nothing stays allocated either way.
   */
  async evaluate(lab: LabModel, factors: FactorCache, plan: RankPlan, signal?: AbortSignal, overrides?: ReadonlyMap<string, KernelOverride>): Promise<EvalResult> {
    // Input norms for the Lipschitz bound: a layer's input differs from the original network's only
    // after the first changed layer, so only those are measured; the rest come from the reference pass.
    const changed = lab.layers.filter((l) => l.factorizable && (overrides?.has(l.name) || effectiveRank(l, plan) !== null));
    const record = new Set(changed.slice(1).map((l) => l.name));
    const run = await this.pass(lab, factors, plan, overrides, record, signal, (z, rows) => {
      const { refLogits, refPred } = rows;
      if (!refLogits || !refPred) throw new Error('computeReference() must run before evaluate()');
      const pred = tf.cast(tf.argMax(z, -1), 'int32');
      return [
        tf.sum(tf.cast(tf.equal(pred, rows.labels), 'float32')),
        tf.sum(tf.cast(tf.equal(pred, refPred), 'float32')),
        tf.sum(tf.square(tf.sub(z, refLogits))),
      ];
    });
    const inputSq: Record<string, number> = { ...this.refInputSq, ...run.inputSq };
    const [correct, agree, errSq] = run.sums;
    return {
      accuracy: correct / this.count,
      agreement: agree / this.count,
      relativeLogitError: this.refNormSq > 0 ? Math.sqrt(errSq / this.refNormSq) : 0,
      count: this.count,
      inputNorms: Object.fromEntries(Object.entries(inputSq).map(([name, sq]) => [name, Math.sqrt(sq)])),
      referenceNorm: Math.sqrt(this.refNormSq),
    };
  }

  /**
   * One pass over the chunks under (plan, overrides): runs each chunk from
   * the deepest cached layer input this plan shares with an earlier one,
   * keeps the new inputs of later factorizable layers, and sums `finish`'s scalars
   * and the squared input norms of the `record` layers over all chunks.
   * A chunk whose work from that layer on exceeds CHUNK_MACS (a pass from
   * the images through a conv prefix) runs as several pieces of rows, one
   * read-back each, with the page served between them; `keepLogits`, when
   * given, receives each chunk's logits (a tensor it owns).
   */
  private async pass(
    lab: LabModel,
    factors: FactorCache,
    plan: RankPlan,
    overrides: ReadonlyMap<string, KernelOverride> | undefined,
    record: ReadonlySet<string>,
    signal: AbortSignal | undefined,
    finish: (z: tf.Tensor, rows: ChunkRows) => tf.Scalar[],
    keepLogits?: (chunk: Chunk, logits: tf.Tensor2D) => void,
  ): Promise<{ sums: number[]; inputSq: Record<string, number> }> {
    const cache = this.cache;
    const idOf = (o: KernelOverride) => {
      let id = this.overrideIds.get(o);
      if (id === undefined) this.overrideIds.set(o, (id = ++this.nextOverrideId));
      return id;
    };
    const keys: string[] = [];
    let prefix = '';
    for (let i = 0; i < lab.layers.length; i++) {
      keys.push(prefix);
      prefix += `${layerSignature(lab, i, plan, overrides, idOf)}|`;
    }
    const changeable = lab.layers.flatMap((l, i) => (l.factorizable ? [i] : []));
    // Start at the deepest factorizable layer whose input every chunk holds for this prefix, provided the
    // recorded layers before it hold theirs too (their norms come from the cache).
    let start = 0;
    if (cache) {
      for (const i of changeable) {
        if (!cache.holdsEverywhere(i, keys[i])) continue;
        const before = changeable.filter((j) => j < i && record.has(lab.layers[j].name));
        if (before.every((j) => cache.holdsEverywhere(j, keys[j]))) start = i;
      }
    }
    this.lastStartIndex = start;
    const startRank = lab.layers[start].factorizable && !overrides?.has(lab.layers[start].name) ? effectiveRank(lab.layers[start], plan) : null;
    const costPerRow = macsFrom(lab, start);
    const sums: number[] = [];
    const inputSq: Record<string, number> = {};
    const add = (name: string, v: number) => { inputSq[name] = (inputSq[name] ?? 0) + v; };
    let lastYield = -Infinity;
    this.lastPieceCount = 0;
    const serve = async () => {
      if (performance.now() - lastYield >= SLICE_MS) {
        await yieldToEventLoop();
        lastYield = performance.now();
      }
      throwIfCancelled(signal);
    };
    for (const [c, chunk] of this.chunks.entries()) {
      await serve();
      const from = cache?.lookup(c, start, keys[start]);
      for (const j of changeable) {
        if (j < start || (j === start && from)) {
          if (record.has(lab.layers[j].name)) add(lab.layers[j].name, cache!.lookup(c, j, keys[j])!.normSq);
        }
      }
      const rows = chunk.labels.shape[0];
      // A projected start layer costs O(k n) a row, not O(m n): chunks are sized for that (chunkRowsFor).
      const pieceRows = from && startRank !== null ? rows : Math.max(1, Math.min(rows, Math.floor(CHUNK_MACS / costPerRow)));
      const pieces = Math.ceil(rows / pieceRows);
      this.lastPieceCount += pieces;
      const keptParts = new Map<number, tf.Tensor[]>();
      const keptNormSq = new Map<number, number>();
      const logitParts: tf.Tensor2D[] = [];
      const release = () => {
        for (const parts of keptParts.values()) parts.forEach((t) => t.dispose());
        logitParts.forEach((t) => t.dispose());
      };
      try {
        for (let q = 0; q < pieces; q++) {
          if (q > 0) await serve();
          const first = q * pieceRows;
          const count = Math.min(pieceRows, rows - first);
          const part = <T extends tf.Tensor>(t: T): T => (pieces === 1 ? t : tf.slice(t, first, count) as T);
          const normNames: string[] = [];
          const keptIndices: number[] = [];
          const keptHere: tf.Tensor[] = [];
          let scalars = 0;
          const stats = tf.tidy(() => {
            let h: tf.Tensor = part(from ? from.x : chunk.x);
            const norms: tf.Scalar[] = [];
            const keptNorms: tf.Scalar[] = [];
            for (let i = start; i < lab.layers.length; i++) {
              const info = lab.layers[i];
              const isNew = !(i === start && from);
              const keep = isNew && cache !== null && info.factorizable;
              if (keep || (isNew && record.has(info.name))) {
                // One reduction serves both: the recorded norm and the kept entry's.
                const normSq = tf.sum(tf.square(h)) as tf.Scalar;
                if (record.has(info.name)) {
                  norms.push(normSq);
                  normNames.push(info.name);
                }
                if (keep) {
                  keptNorms.push(normSq);
                  keptIndices.push(i);
                  keptHere.push(tf.keep(tf.clone(h)));
                }
              }
              let product: tf.Tensor2D | undefined;
              if (from && i === start && startRank !== null) {
                const input = h;
                const k = Math.min(startRank, factors.rankOf(info.name));
                product = cache!.product(from, projectionBlockCount(k), (j) => projectInputBlock(lab, factors, i, input, j), (j) => factors.rowBlock(info.name, j, k));
              }
              h = applyChainLayer(lab, factors, i, h, plan, overrides, product);
            }
            if (keepLogits) logitParts.push(tf.keep(tf.clone(h)) as tf.Tensor2D);
            const extra = finish(h, { labels: part(chunk.labels), refLogits: chunk.refLogits && part(chunk.refLogits), refPred: chunk.refPred && part(chunk.refPred) });
            scalars = extra.length;
            return tf.stack([...extra, ...norms, ...keptNorms]);
          });
          keptIndices.forEach((index, n) => {
            const parts = keptParts.get(index) ?? [];
            parts.push(keptHere[n]);
            keptParts.set(index, parts);
          });
          let v: Float32Array | Int32Array | Uint8Array;
          try {
            v = await stats.data();
          } finally {
            stats.dispose();
          }
          for (let i = 0; i < scalars; i++) sums[i] = (sums[i] ?? 0) + v[i];
          normNames.forEach((name, i) => add(name, v[scalars + i]));
          keptIndices.forEach((index, n) => keptNormSq.set(index, (keptNormSq.get(index) ?? 0) + v[scalars + normNames.length + n]));
        }
      } catch (err) {
        release();
        throw err;
      }
      // Pieces join along the rows (one copy each); the cache and the chunk own the results.
      const joined = <T extends tf.Tensor>(parts: T[]): T => {
        if (parts.length === 1) return parts[0];
        const whole = tf.concat(parts, 0) as T;
        parts.forEach((t) => t.dispose());
        return whole;
      };
      for (const [index, parts] of keptParts) cache!.store(c, index, keys[index], joined(parts), keptNormSq.get(index)!);
      if (keepLogits) keepLogits(chunk, joined(logitParts));
    }
    cache?.enforceBudget();
    return { sums, inputSq };
  }

  dispose(): void {
    this.cache?.dispose();
    for (const c of this.chunks) {
      c.x.dispose();
      c.labels.dispose();
      c.refLogits?.dispose();
      c.refPred?.dispose();
    }
  }
}
