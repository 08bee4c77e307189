import * as tf from '@tensorflow/tfjs';
import type { MnistSample } from '../core/mnist';
import { throwIfCancelled } from './errors';
import type { LabModel } from './labModel';
import type { FactorCache } from './factors';
import { forwardLogits, type KernelOverride } from './forward';
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
  /** ||H'||_F of each Dense layer's inputs in the evaluated network, over all images. */
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
  /** ||input||_F^2 of each Dense layer in the original network. */
  private refInputSq: Record<string, number> = {};

  constructor(sample: MnistSample, inputShape: readonly number[], chunkSize = 5000) {
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
  }

  /** Computes and keeps the original (uncompressed) model's logits and its Dense layers' input norms; call once per model. */
  async computeReference(lab: LabModel, factors: FactorCache): Promise<void> {
    let normSq = 0;
    const record = new Set(lab.layers.filter((l) => l.className === 'Dense').map((l) => l.name));
    const inputSq: Record<string, number> = {};
    for (const chunk of this.chunks) {
      await yieldToEventLoop();
      const norms = new Map<string, tf.Scalar>();
      let stats: tf.Tensor1D | null = null;
      chunk.refLogits = tf.tidy(() => {
        const z = forwardLogits(lab, factors, {}, chunk.x, undefined, { record, into: norms });
        // One read-back per chunk, as in evaluate(): ||Z||_F^2 and every Dense layer's input norm.
        stats = tf.keep(tf.stack([tf.sum(tf.square(z)), ...norms.values()]) as tf.Tensor1D);
        return z;
      });
      chunk.refPred = tf.tidy(() => tf.cast(tf.argMax(chunk.refLogits!, -1), 'int32') as tf.Tensor1D);
      const kept = stats! as tf.Tensor1D;
      let v: Float32Array | Int32Array | Uint8Array;
      try {
        v = await kept.data();
      } finally {
        kept.dispose();
      }
      normSq += v[0];
      [...norms.keys()].forEach((name, i) => { inputSq[name] = (inputSq[name] ?? 0) + v[1 + i]; });
    }
    this.refNormSq = normSq;
    this.refInputSq = inputSq;
  }

  /**
   * Evaluates `plan` over all images, chunk by chunk. Throws CancelledError
   * when `signal` aborts between chunks; nothing stays allocated either way.
   */
  async evaluate(lab: LabModel, factors: FactorCache, plan: RankPlan, signal?: AbortSignal, overrides?: ReadonlyMap<string, KernelOverride>): Promise<EvalResult> {
    let correct = 0;
    let agree = 0;
    let errSq = 0;
    // Input norms for the Lipschitz bound: a layer's input differs from the original network's only
    // after the first changed layer, so only those are measured; the rest come from the reference pass.
    const changed = lab.layers.filter((l) => l.className === 'Dense' && (overrides?.has(l.name) || effectiveRank(l, plan) !== null));
    const record = new Set(changed.slice(1).map((l) => l.name));
    const inputSq: Record<string, number> = { ...this.refInputSq };
    for (const name of record) inputSq[name] = 0;
    for (const chunk of this.chunks) {
      await yieldToEventLoop();
      throwIfCancelled(signal);
      const { refLogits, refPred } = chunk;
      if (!refLogits || !refPred) throw new Error('computeReference() must run before evaluate()');
      const norms = new Map<string, tf.Scalar>();
      const stats = tf.tidy(() => {
        const z = forwardLogits(lab, factors, plan, chunk.x, overrides, { record, into: norms });
        const pred = tf.cast(tf.argMax(z, -1), 'int32');
        const hits = tf.sum(tf.cast(tf.equal(pred, chunk.labels), 'float32'));
        const same = tf.sum(tf.cast(tf.equal(pred, refPred), 'float32'));
        const err = tf.sum(tf.square(tf.sub(z, refLogits)));
        // One read-back per chunk: the scores and every Dense layer's input norm together.
        return tf.stack([hits, same, err, ...norms.values()]);
      });
      let v: Float32Array | Int32Array | Uint8Array;
      try {
        v = await stats.data();
      } finally {
        stats.dispose();
      }
      correct += v[0];
      agree += v[1];
      errSq += v[2];
      [...norms.keys()].forEach((name, i) => { inputSq[name] = (inputSq[name] ?? 0) + v[3 + i]; });
    }
    return {
      accuracy: correct / this.count,
      agreement: agree / this.count,
      relativeLogitError: this.refNormSq > 0 ? Math.sqrt(errSq / this.refNormSq) : 0,
      count: this.count,
      inputNorms: Object.fromEntries(Object.entries(inputSq).map(([name, sq]) => [name, Math.sqrt(sq)])),
      referenceNorm: Math.sqrt(this.refNormSq),
    };
  }

  dispose(): void {
    for (const c of this.chunks) {
      c.x.dispose();
      c.labels.dispose();
      c.refLogits?.dispose();
      c.refPred?.dispose();
    }
  }
}
