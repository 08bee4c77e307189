import * as tf from '@tensorflow/tfjs';
import type { MnistSample } from '../core/mnist';
import type { LabModel } from './labModel';
import { pixelFactor, type InputScale } from './pixels';
import { macsPerExample, PIECE_MACS } from './evaluate';
import { serveSlice } from './slices';
import { throwIfCancelled } from './errors';

/**
 * Which pixel range (pixels.ts) the lab feeds a model. Fed the wrong way a
 * model loses accuracy without any error (a Keras MNIST CNN trained on raw
 * pixels lost 0.3 points at 0..1; an MLP can fall to chance), so the lab
 * detects it where it can and shows which it uses.
 */

/** The scale the lab feeds a model, and how it was decided (for the page and the CLI). */
export interface ScaleChoice {
  scale: InputScale;
  how: string;
}

/** Images detection looks at (the first of the sample): at most 500, at least 100, else 16 tasks' worth. */
const DETECT_IMAGES = 500;
const DETECT_MIN_IMAGES = 100;
/** Points of accuracy one scale must win by to be called the model's. */
const DETECT_MARGIN = 0.05;

/** Images first..first+count-1 of `sample` as the model's input batch at `scale`. Call inside tf.tidy. */
function imagesAt(sample: MnistSample, first: number, count: number, lab: LabModel, scale: InputScale): tf.Tensor {
  const size = sample.rows * sample.cols;
  const x = tf.tensor2d(sample.pixels.subarray(first * size, (first + count) * size), [count, size], 'float32');
  return tf.reshape(tf.mul(x, pixelFactor(scale)), [count, ...lab.inputShape]);
}

/**
 * The scale `lab`'s model expects: raw when its first layer is a Rescaling
 * layer; else the one at which the original model classifies the first
 * 100-500 images of `sample` better by 5 points or more; else 0..1, saying
 * that the images did not tell. It compares only the original model's two
 * input conventions, never a compressed one.
 */
export async function detectInputScale(lab: LabModel, sample: MnistSample, signal?: AbortSignal): Promise<ScaleChoice> {
  if (lab.chain[0]?.getClassName() === 'Rescaling') return { scale: 255, how: 'detected: the model rescales its own input' };
  if (lab.data !== 'mnist') return { scale: 1, how: 'assumed; without MNIST labels for this model the images cannot tell' };
  // In batches that each fit a task, the page served between them (a conv model's image costs ~1,000x an MLP's).
  const perImage = lab.chain.reduce((sum, layer) => sum + macsPerExample(layer), 0);
  const batch = Math.max(1, Math.floor(PIECE_MACS / Math.max(1, perImage)));
  const count = Math.min(sample.count, Math.min(DETECT_IMAGES, Math.max(DETECT_MIN_IMAGES, 16 * batch)));
  const correct = async (scale: InputScale): Promise<number> => {
    let hits = 0;
    for (let first = 0; first < count; first += batch) {
      await serveSlice();
      throwIfCancelled(signal);
      const n = Math.min(batch, count - first);
      const t = tf.tidy(() => {
        const x = imagesAt(sample, first, n, lab, scale);
        const pred = tf.argMax(lab.model.predict(x) as tf.Tensor, -1);
        return tf.sum(tf.cast(tf.equal(pred, tf.tensor1d(sample.labels.subarray(first, first + n), 'int32')), 'float32'));
      });
      try {
        hits += (await t.data())[0];
      } finally {
        t.dispose();
      }
    }
    return hits / count;
  };
  const [unit, raw] = [await correct(1), await correct(255)];
  const pct = (a: number) => `${(100 * a).toFixed(1)}%`;
  const measured = `${pct(unit)} of ${count} images at 0..1, ${pct(raw)} at 0..255`;
  if (raw - unit >= DETECT_MARGIN) return { scale: 255, how: `detected: ${measured}` };
  if (unit - raw >= DETECT_MARGIN) return { scale: 1, how: `detected: ${measured}` };
  return { scale: 1, how: `assumed; the images did not tell: ${measured}` };
}
