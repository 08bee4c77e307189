import * as tf from '@tensorflow/tfjs';
import type { MnistSample } from '../core/mnist';
import { throwIfCancelled } from './errors';
import type { LabModel } from './labModel';
import type { FactorCache } from './factors';
import { applyChainLayer, layerSignature, PROJECTION_BLOCK, projectInputBlock, type KernelOverride } from './forward';
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

/** One resident slice of the test set and, once computed, the original model's outputs on it. */
interface Chunk {
  x: tf.Tensor;
  labels: tf.Tensor1D;
  refLogits: tf.Tensor2D | null;
  refPred: tf.Tensor1D | null;
}

/**
 * The test images shaped for one model, their labels and the original
 * model's logits, held on the backend as fixed chunks. Chunks are cut once
 * here, because slicing 5,000 images out of one tensor on every evaluation
 * cost ~12 ms per chunk on wasm, a third of a slider move.
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

  /**
   * `options.reuse` (default true) keeps layer inputs between evaluations
   * in an {@link ActivationCache} of `options.budgetBytes`; false scores
   * every plan from the images (the path before the cache, kept for the
   * benchmark's before/after table).
   */
  constructor(sample: MnistSample, inputShape: readonly number[], chunkSize = 5000, options: EvalOptions = {}) {
    this.count = sample.count;
    const pixelsPerImage = sample.rows * sample.cols;
    const chunks: Chunk[] = [];
    for (let start = 0; start < sample.count; start += chunkSize) {
      const size = Math.min(chunkSize, sample.count - start);
      const pixels = sample.pixels.subarray(start * pixelsPerImage, (start + size) * pixelsPerImage);
      chunks.push({
        x: tf.tidy(() => tf.reshape(tf.div(tf.cast(tf.tensor2d(pixels, [size, pixelsPerImage], 'int32'), 'float32'), 255), [size, ...inputShape])),
        labels: tf.tensor1d(sample.labels.subarray(start, start + size), 'int32'),
        refLogits: null,
        refPred: null,
      });
    }
    this.chunks = chunks;
    this.cache = options.reuse === false ? null : new ActivationCache(chunks.length, options.budgetBytes);
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

  /** Bytes the activation cache holds. */
  get cachedBytes(): number {
    return this.cache?.bytes ?? 0;
  }

  /** Computes and keeps the original (uncompressed) model's logits and its kernel layers' input norms; call once per model. */
  async computeReference(lab: LabModel, factors: FactorCache): Promise<void> {
    // Every layer with a kernel kind: the Lipschitz bound needs their input norms, kept ones included.
    const record = new Set(lab.layers.filter((l) => l.kind !== null).map((l) => l.name));
    const run = await this.pass(lab, factors, {}, undefined, record, undefined, (z, chunk) => {
      chunk.refLogits = tf.keep(z as tf.Tensor2D);
      chunk.refPred = tf.keep(tf.cast(tf.argMax(z, -1), 'int32') as tf.Tensor1D);
      return [tf.sum(tf.square(z)), tf.sum(tf.cast(tf.equal(chunk.refPred, chunk.labels), 'float32'))];
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
    const run = await this.pass(lab, factors, plan, overrides, record, signal, (z, chunk) => {
      const { refLogits, refPred } = chunk;
      if (!refLogits || !refPred) throw new Error('computeReference() must run before evaluate()');
      const pred = tf.cast(tf.argMax(z, -1), 'int32');
      return [
        tf.sum(tf.cast(tf.equal(pred, chunk.labels), 'float32')),
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
   * One read-back per chunk.
   */
  private async pass(
    lab: LabModel,
    factors: FactorCache,
    plan: RankPlan,
    overrides: ReadonlyMap<string, KernelOverride> | undefined,
    record: ReadonlySet<string>,
    signal: AbortSignal | undefined,
    finish: (z: tf.Tensor, chunk: Chunk) => tf.Scalar[],
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
    const sums: number[] = [];
    const inputSq: Record<string, number> = {};
    const add = (name: string, v: number) => { inputSq[name] = (inputSq[name] ?? 0) + v; };
    for (const [c, chunk] of this.chunks.entries()) {
      await yieldToEventLoop();
      throwIfCancelled(signal);
      const from = cache?.lookup(c, start, keys[start]);
      for (const j of changeable) {
        if (j < start || (j === start && from)) {
          if (record.has(lab.layers[j].name)) add(lab.layers[j].name, cache!.lookup(c, j, keys[j])!.normSq);
        }
      }
      const normNames: string[] = [];
      const kept: Array<{ index: number; x: tf.Tensor }> = [];
      let scalars = 0;
      const stats = tf.tidy(() => {
        let h: tf.Tensor = from ? from.x : chunk.x;
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
              kept.push({ index: i, x: tf.keep(tf.clone(h)) });
            }
          }
          let product: tf.Tensor2D | undefined;
          const rank = info.factorizable && !overrides?.has(info.name) ? effectiveRank(info, plan) : null;
          if (from && i === start && rank !== null) {
            const input = h;
            const k = Math.min(rank, factors.rankOf(info.name));
            product = cache!.product(from, k, PROJECTION_BLOCK, (j) => projectInputBlock(lab, factors, i, input, j), (j) => factors.rowBlock(info.name, j, PROJECTION_BLOCK, k));
          }
          h = applyChainLayer(lab, factors, i, h, plan, overrides, product);
        }
        const extra = finish(h, chunk);
        scalars = extra.length;
        return tf.stack([...extra, ...norms, ...keptNorms]);
      });
      let v: Float32Array | Int32Array | Uint8Array;
      try {
        v = await stats.data();
      } catch (err) {
        kept.forEach((k) => k.x.dispose());
        throw err;
      } finally {
        stats.dispose();
      }
      for (let i = 0; i < scalars; i++) sums[i] = (sums[i] ?? 0) + v[i];
      normNames.forEach((name, i) => add(name, v[scalars + i]));
      kept.forEach((k, i) => cache!.store(c, k.index, keys[k.index], k.x, v[scalars + normNames.length + i]));
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
