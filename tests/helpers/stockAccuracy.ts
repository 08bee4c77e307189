import * as tf from '@tensorflow/tfjs';
import { readSample } from '../../src/cli/nodeEnv';

/**
 * Accuracy of a model loaded with stock TF.js on the bundled 10,000 test
 * images, computed the plain way (predict, argmax), independent of the lab's
 * evaluator. Disposes the model and every tensor it makes.
 */
export async function stockAccuracy(model: tf.LayersModel): Promise<number> {
  const sample = await readSample('test');
  try {
    return tf.tidy(() => {
      // Shaped as the model takes images: [784], [28, 28] or [28, 28, 1].
      const x = tf.reshape(tf.div(tf.tensor2d(sample.pixels, [sample.count, 784], 'float32'), 255), [sample.count, ...(model.inputs[0].shape.slice(1) as number[])]);
      const pred = tf.argMax(model.predict(x) as tf.Tensor, -1);
      return tf.sum(tf.cast(tf.equal(pred, tf.tensor1d(sample.labels, 'int32')), 'int32')).dataSync()[0] / sample.count;
    });
  } finally {
    model.dispose();
  }
}
