import * as tf from '@tensorflow/tfjs';

/**
 * Models built in code for the bench and the tests: issue 8's CNN shape, and
 * any model serialized to artifacts exactly as TF.js writes them.
 */

/** Filters and units of a CNN fixture (issue 8's shape by default). */
export interface CnnShape {
  conv1: number;
  conv2: number;
  units: number;
}

/**
 * A CNN of issue 8's shape (3x3 conv -> 3x3 conv -> pool -> Dense -> Dense 10; by default
 * 32, 64 filters and 128 units, a 9216-wide Dense input), seeded random weights: its Dense
 * layers sit behind a conv prefix. Tests use smaller ones.
 */
export function cnnFixture({ conv1, conv2, units }: CnnShape = { conv1: 32, conv2: 64, units: 128 }): tf.Sequential {
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  const model = tf.sequential({ name: 'cnn_fixture' });
  model.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: conv1, kernelSize: 3, activation: 'relu', kernelInitializer: init(1), name: 'conv1' }));
  model.add(tf.layers.conv2d({ filters: conv2, kernelSize: 3, activation: 'relu', kernelInitializer: init(2), name: 'conv2' }));
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units, activation: 'relu', kernelInitializer: init(3), name: 'fc1' }));
  model.add(tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: init(4), name: 'out' }));
  return model;
}

/**
 * A small residual CNN for MNIST, functional (not a Sequential): conv_a,
 * then a residual block conv_b -> conv_c added back to conv_a's output,
 * ReLU and pooling, two parallel paths (1x1 conv_d and 3x3 conv_e)
 * concatenated, then Dense fc and out. Seeded random weights: the tests
 * compare the lab with stock TF.js on it, not with the labels.
 */
export function residualCnnFixture(): tf.LayersModel {
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  const conv = (name: string, filters: number, kernelSize: number, activation: 'relu' | 'linear', seed: number) =>
    tf.layers.conv2d({ name, filters, kernelSize, padding: 'same', activation, kernelInitializer: init(seed), biasInitializer: tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: seed + 100 }) });
  const input = tf.input({ shape: [28, 28, 1], name: 'image' });
  const a = conv('conv_a', 8, 3, 'relu', 1).apply(input) as tf.SymbolicTensor;
  const b = conv('conv_b', 8, 3, 'relu', 2).apply(a) as tf.SymbolicTensor;
  const c = conv('conv_c', 8, 3, 'linear', 3).apply(b) as tf.SymbolicTensor;
  const sum = tf.layers.add({ name: 'add' }).apply([a, c]) as tf.SymbolicTensor;
  const relu = tf.layers.activation({ name: 'relu', activation: 'relu' }).apply(sum) as tf.SymbolicTensor;
  const pool = tf.layers.maxPooling2d({ name: 'pool', poolSize: 2 }).apply(relu) as tf.SymbolicTensor;
  const d = conv('conv_d', 4, 1, 'relu', 4).apply(pool) as tf.SymbolicTensor;
  const e = conv('conv_e', 4, 3, 'relu', 5).apply(pool) as tf.SymbolicTensor;
  const joined = tf.layers.concatenate({ name: 'concat' }).apply([d, e]) as tf.SymbolicTensor;
  const flat = tf.layers.flatten({ name: 'flat' }).apply(joined) as tf.SymbolicTensor;
  const fc = tf.layers.dense({ name: 'fc', units: 32, activation: 'relu', kernelInitializer: init(6) }).apply(flat) as tf.SymbolicTensor;
  const out = tf.layers.dense({ name: 'out', units: 10, activation: 'softmax', kernelInitializer: init(7) }).apply(fc) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: 'residual_cnn' });
}

/** Serializes `model` to artifacts with its weights in one buffer (and disposes nothing; the caller owns the model). */
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
