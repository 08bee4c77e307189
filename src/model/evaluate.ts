import * as tf from '@tensorflow/tfjs';
import type { MnistSample } from '../core/mnist';
import { throwIfCancelled } from './errors';
import type { LabModel } from './labModel';
import type { FactorCache } from './factors';
import { forwardLogits } from './forward';
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

/** The test images shaped for one model, its labels, and the original model's logits. */
export class EvalData {
  readonly x: tf.Tensor;
  readonly labels: tf.Tensor1D;
  readonly count: number;
  private refLogits: tf.Tensor2D | null = null;
  private refPred: tf.Tensor1D | null = null;
  private refNormSq = 0;

  constructor(sample: MnistSample, inputShape: readonly number[]) {
    this.count = sample.count;
    this.x = tf.tidy(() => {
      const pixels = tf.tensor2d(sample.pixels, [sample.count, sample.rows * sample.cols], 'int32');
      return tf.reshape(tf.div(tf.cast(pixels, 'float32'), 255), [sample.count, ...inputShape]);
    });
    this.labels = tf.tensor1d(sample.labels, 'int32');
  }

  /** Computes and keeps the original (uncompressed) model's logits; call once per model. */
  async computeReference(lab: LabModel, factors: FactorCache, chunk = 2500): Promise<void> {
    const parts: tf.Tensor2D[] = [];
    for (let start = 0; start < this.count; start += chunk) {
      const size = Math.min(chunk, this.count - start);
      parts.push(tf.tidy(() => forwardLogits(lab, factors, {}, tf.slice(this.x, start, size))));
      await parts[parts.length - 1].data(); // yields so the page stays responsive
    }
    this.refLogits = tf.concat(parts) as tf.Tensor2D;
    parts.forEach((p) => p.dispose());
    this.refPred = tf.tidy(() => tf.cast(tf.argMax(this.refLogits!, -1), 'int32') as tf.Tensor1D);
    const sq = tf.tidy(() => tf.sum(tf.square(this.refLogits!)));
    this.refNormSq = (await sq.data())[0];
    sq.dispose();
  }

  /**
   * Evaluates `plan` over all images in chunks. Throws CancelledError when
   * `signal` aborts between chunks; nothing stays allocated either way.
   */
  async evaluate(lab: LabModel, factors: FactorCache, plan: RankPlan, signal?: AbortSignal, chunk = 5000): Promise<EvalResult> {
    if (!this.refLogits || !this.refPred) throw new Error('computeReference() must run before evaluate()');
    const ref = this.refLogits;
    const refPred = this.refPred;
    let correct = 0;
    let agree = 0;
    let errSq = 0;
    for (let start = 0; start < this.count; start += chunk) {
      await yieldToEventLoop();
      throwIfCancelled(signal);
      const size = Math.min(chunk, this.count - start);
      const stats = tf.tidy(() => {
        const z = forwardLogits(lab, factors, plan, tf.slice(this.x, start, size));
        const pred = tf.cast(tf.argMax(z, -1), 'int32');
        const hits = tf.sum(tf.cast(tf.equal(pred, tf.slice(this.labels, start, size)), 'float32'));
        const same = tf.sum(tf.cast(tf.equal(pred, tf.slice(refPred, start, size)), 'float32'));
        const err = tf.sum(tf.square(tf.sub(z, tf.slice(ref, start, size))));
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
    this.x.dispose();
    this.labels.dispose();
    this.refLogits?.dispose();
    this.refPred?.dispose();
  }
}
