import * as tf from '@tensorflow/tfjs';
import { readSample } from '../../src/cli/nodeEnv';
import { stockAccuracyOn } from './stockPredict';

/**
 * Accuracy of a model loaded with stock TF.js on the bundled 10,000 test
 * images, computed the plain way (predict, argmax), independent of the lab's
 * evaluator. Disposes the model and every tensor it makes.
 */
export async function stockAccuracy(model: tf.LayersModel): Promise<number> {
  const sample = await readSample('test');
  try {
    // Shaped as the model takes images: [784], [28, 28] or [28, 28, 1].
    return stockAccuracyOn(model, sample.pixels, sample.labels, sample.count);
  } finally {
    model.dispose();
  }
}
