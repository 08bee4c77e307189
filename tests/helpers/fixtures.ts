import * as tf from '@tensorflow/tfjs';

/**
 * Small models built in the test, serialized exactly as TF.js writes them,
 * so loader tests can corrupt one thing at a time.
 */

/** Serializes `model` to artifacts (and disposes nothing; the caller owns the model). */
export async function artifactsOf(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let out: tf.io.ModelArtifacts | null = null;
  await model.save(tf.io.withSaveHandler(async (a) => {
    out = { ...a, weightData: tf.io.CompositeArrayBuffer.join(a.weightData!) };
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  return out!;
}

/** The model.json text and shard a converter would write for `artifacts`. */
export function filesOf(artifacts: tf.io.ModelArtifacts, shard = 'weights.bin'): { json: Record<string, unknown>; shard: ArrayBuffer } {
  return {
    json: {
      format: 'layers-model',
      modelTopology: artifacts.modelTopology,
      weightsManifest: [{ paths: [shard], weights: artifacts.weightSpecs }],
    },
    shard: artifacts.weightData as ArrayBuffer,
  };
}

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
