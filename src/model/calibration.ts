import * as tf from '@tensorflow/tfjs';
import type { MnistSample } from '../core/mnist';
import type { LabModel } from './labModel';
import { LAYER_KINDS } from './layers/registry';
import { pixelFactor } from './pixels';

/**
 * The inputs each factorizable layer of the original model sees on the calibration
 * images (1,000 drawn from the training set; never the test set). The
 * data-aware methods and the output-error rank rule fit to these.
 */

/** Calibration inputs of one factorizable layer, as rows of its kernel matrix's m: N x m row-major, float64. */
export interface LayerInputs {
  x: Float64Array;
  rows: number;
  cols: number;
}

/**
 * Runs the original model over `sample` (inference mode) and returns, per
 * factorizable layer name, the batch that layer receives (as its kind's input rows). Reads back with await
 * (a synchronous read of a GPU tensor would hold the page until the GPU is
 * done); every tensor it makes is freed before it returns.
 */
export async function collectLayerInputs(lab: LabModel, sample: MnistSample): Promise<Map<string, LayerInputs>> {
  const inputs = new Map<string, tf.Tensor2D>();
  tf.tidy(() => {
    const pixels = tf.tensor2d(sample.pixels, [sample.count, sample.rows * sample.cols], 'int32');
    let h: tf.Tensor = tf.reshape(tf.mul(tf.cast(pixels, 'float32'), pixelFactor(lab.inputScale)), [sample.count, ...lab.inputShape]);
    for (const [i, layer] of lab.chain.entries()) {
      const info = lab.layers[i];
      if (info.factorizable) inputs.set(info.name, tf.keep(LAYER_KINDS[info.kind].inputRows(h, info.kernelShape[0])));
      h = layer.apply(h, { training: false }) as tf.Tensor;
    }
  });
  const out = new Map<string, LayerInputs>();
  try {
    for (const [name, flat] of inputs) out.set(name, { x: Float64Array.from(await flat.data()), rows: flat.shape[0], cols: flat.shape[1] });
  } finally {
    inputs.forEach((t) => t.dispose());
  }
  return out;
}

/**
 * Y = X W: a layer's outputs (rows x n, row-major float32, before bias) on
 * its calibration inputs, for data-aware factors. Runs on the TF.js
 * backend (a 1,000 x 784 x 512 product in JS would hold the page for about
 * a second); every tensor is freed before it returns.
 */
export async function calibrationOutputs(inputs: LayerInputs, kernel: Float32Array, n: number): Promise<Float32Array> {
  const y = tf.tidy(() => tf.matMul(tf.tensor2d(Float32Array.from(inputs.x), [inputs.rows, inputs.cols]), tf.tensor2d(kernel, [inputs.cols, n])));
  try {
    return (await y.data()) as Float32Array;
  } finally {
    y.dispose();
  }
}
