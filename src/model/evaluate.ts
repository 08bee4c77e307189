import * as tf from '@tensorflow/tfjs';
import type { MnistSample } from '../core/mnist';
import { throwIfCancelled } from './errors';
import type { LabModel } from './labModel';
import type { FactorCache } from './factors';
import { forwardLogits, type KernelOverride } from './forward';
import type { RankPlan } from './plan';

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
  relativeLogitError: number;
  count: number;
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

  /** Computes and keeps the original (uncompressed) model's logits; call once per model. */
  async computeReference(lab: LabModel, factors: FactorCache): Promise<void> {
    let normSq = 0;
    for (const chunk of this.chunks) {
      await yieldToEventLoop();
      chunk.refLogits = tf.tidy(() => forwardLogits(lab, factors, {}, chunk.x));
      chunk.refPred = tf.tidy(() => tf.cast(tf.argMax(chunk.refLogits!, -1), 'int32') as tf.Tensor1D);
      const sq = tf.tidy(() => tf.sum(tf.square(chunk.refLogits!)));
      normSq += (await sq.data())[0];
      sq.dispose();
    }
    this.refNormSq = normSq;
  }

  /**
   * Evaluates `plan` over all images, chunk by chunk. Throws CancelledError
   * when `signal` aborts between chunks; nothing stays allocated either way.
   */
  async evaluate(lab: LabModel, factors: FactorCache, plan: RankPlan, signal?: AbortSignal, overrides?: ReadonlyMap<string, KernelOverride>): Promise<EvalResult> {
    let correct = 0;
    let agree = 0;
    let errSq = 0;
    for (const chunk of this.chunks) {
      await yieldToEventLoop();
      throwIfCancelled(signal);
      const { refLogits, refPred } = chunk;
      if (!refLogits || !refPred) throw new Error('computeReference() must run before evaluate()');
      const stats = tf.tidy(() => {
        const z = forwardLogits(lab, factors, plan, chunk.x, overrides);
        const pred = tf.cast(tf.argMax(z, -1), 'int32');
        const hits = tf.sum(tf.cast(tf.equal(pred, chunk.labels), 'float32'));
        const same = tf.sum(tf.cast(tf.equal(pred, refPred), 'float32'));
        const err = tf.sum(tf.square(tf.sub(z, refLogits)));
        return tf.stack([hits, same, err]);
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
    }
    return {
      accuracy: correct / this.count,
      agreement: agree / this.count,
      relativeLogitError: this.refNormSq > 0 ? Math.sqrt(errSq / this.refNormSq) : 0,
      count: this.count,
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
