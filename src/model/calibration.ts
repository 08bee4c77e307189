import * as tf from '@tensorflow/tfjs';
import type { MnistSample } from '../core/mnist';
import type { LabModel } from './labModel';

/**
 * The inputs each Dense layer of the original model sees on the calibration
 * images (1,000 drawn from the training set; never the test set). The
 * data-aware methods and the output-error rank rule fit to these.
 */

/** Calibration inputs of one Dense layer: N x m row-major, float64. */
export interface LayerInputs {
  x: Float64Array;
  rows: number;
  cols: number;
}

/**
 * Runs the original model over `sample` (inference mode) and returns, per
 * Dense layer name, the batch that layer receives. Every tensor it makes is
 * freed before it returns.
 */
export function collectLayerInputs(lab: LabModel, sample: MnistSample): Map<string, LayerInputs> {
  const out = new Map<string, LayerInputs>();
  tf.tidy(() => {
    const pixels = tf.tensor2d(sample.pixels, [sample.count, sample.rows * sample.cols], 'int32');
    let h: tf.Tensor = tf.reshape(tf.div(tf.cast(pixels, 'float32'), 255), [sample.count, ...lab.inputShape]);
    for (const [i, layer] of lab.chain.entries()) {
      const info = lab.layers[i];
      if (info.className === 'Dense' && info.kernelShape) {
        const cols = info.kernelShape[0];
        const flat = tf.reshape(h, [-1, cols]);
        out.set(info.name, { x: Float64Array.from(flat.dataSync()), rows: flat.shape[0] as number, cols });
      }
      h = layer.apply(h, { training: false }) as tf.Tensor;
    }
  });
  return out;
}

/**
 * Y = X W: a layer's outputs (rows x n, row-major float32, before bias) on
 * its calibration inputs, for data-aware factors. Runs on the TF.js
 * backend (a 1,000 x 784 x 512 product in JS would hold the page for about
 * a second); every tensor is freed before it returns.
 */
export function calibrationOutputs(inputs: LayerInputs, kernel: Float32Array, n: number): Float32Array {
  return tf.tidy(() => {
    const x = tf.tensor2d(Float32Array.from(inputs.x), [inputs.rows, inputs.cols]);
    return tf.matMul(x, tf.tensor2d(kernel, [inputs.cols, n])).dataSync() as Float32Array;
  });
}
