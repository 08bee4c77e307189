import * as tf from '@tensorflow/tfjs';

/**
 * Small models built in the test, serialized exactly as TF.js writes them,
 * so loader tests can corrupt one thing at a time.
 */

export { artifactsOf, filesOf } from '../../src/cli/fixtureModels';

/** A 784-h-10 MLP with seeded weights; `inputShape` lets tests make one that does not fit MNIST. */
export function tinyMlp(hidden = 12, inputShape: number[] = [784]): tf.Sequential {
  const model = tf.sequential();
  if (inputShape.length > 1) model.add(tf.layers.flatten({ inputShape }));
  model.add(tf.layers.dense({
    units: hidden, activation: 'relu', name: 'h1',
    kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
    ...(inputShape.length > 1 ? {} : { inputShape }),
  }));
  model.add(tf.layers.dropout({ rate: 0.5, name: 'drop' }));
  model.add(tf.layers.dense({ units: 10, activation: 'softmax', name: 'out', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }));
  return model;
}
