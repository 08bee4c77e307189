import * as tf from '@tensorflow/tfjs';
import type { LabModel } from './labModel';
import type { FactorCache } from './factors';
import { effectiveRank, type RankPlan } from './plan';

/**
 * Writes the compressed model as a standard TF.js LayersModel: every
 * factorized Dense(n) becomes Dense(k, linear, no bias) named `<name>_u`
 * followed by Dense(n, original activation, original bias) named `<name>_v`;
 * every other layer is rebuilt from its own config and weights. Stock
 * `tf.loadLayersModel` reads the result; no custom classes are involved.
 */

/**
 * Factors of a method other than plain SVD for one layer (A m x k, B k x n,
 * row-major, k the plan's rank), with the bias it replaces, if any.
 */
export interface ExportFactors {
  a: Float32Array;
  b: Float32Array;
  bias?: Float32Array;
}

/** The two files of a download: model.json text and the single weight shard it names. */
export interface ExportedModel {
  modelJson: string;
  weights: ArrayBuffer;
  /** File name model.json refers to for the shard, e.g. "mlp-64-lowrank.weights.bin". */
  weightsFileName: string;
  /** Bytes of both files together: the real size of the download. */
  totalBytes: number;
}

function layerConfig(layer: tf.layers.Layer): tf.serialization.ConfigDict {
  return { ...layer.getConfig() };
}

/** A fresh layer of the same class from `config`, through TF.js's own registry of layer classes. */
function layerFromConfig(className: string, config: tf.serialization.ConfigDict): tf.layers.Layer {
  const entry = tf.serialization.SerializationMap.getMap().classNameMap[className];
  if (!entry) throw new Error(`TF.js has no layer class "${className}" registered`);
  const [cls, fromConfig] = entry;
  return fromConfig(cls, config) as unknown as tf.layers.Layer;
}

/**
 * Builds the compressed Sequential model, serializes it, and disposes it.
 * `baseName` names the shard file; `factorOverrides` supplies another
 * method's factors (and bias) for some layers instead of the SVD slices. Reads weights from `lab` and `factors`
 * without changing them.
 */
export async function exportCompressedModel(
  lab: LabModel,
  factors: FactorCache,
  plan: RankPlan,
  baseName: string,
  factorOverrides?: ReadonlyMap<string, ExportFactors>,
): Promise<ExportedModel> {
  const seq = tf.sequential({ name: `${lab.model.name}_lowrank` });
  const pending: Array<[tf.layers.Layer, tf.Tensor[]]> = [];
  const owned: tf.Tensor[] = [];
  try {
    for (const [i, layer] of lab.chain.entries()) {
      const info = lab.layers[i];
      const inputSpec: { batchInputShape?: Array<number | null> } = i === 0 ? { batchInputShape: [null, ...lab.inputShape] } : {};
      const k = info.className === 'Dense' ? effectiveRank(info, plan) : null;
      if (k === null) {
        const config = { ...layerConfig(layer), ...inputSpec } as tf.serialization.ConfigDict;
        const copy = layerFromConfig(layer.getClassName(), config);
        seq.add(copy);
        pending.push([copy, layer.getWeights()]);
        continue;
      }
      const config = layerConfig(layer);
      const given = factorOverrides?.get(info.name);
      const [m, n] = info.kernelShape!;
      const [a, b] = given ? [tf.tensor2d(given.a, [m, k]), tf.tensor2d(given.b, [k, n])] : factors.slice(info.name, k);
      owned.push(a, b);
      const bias = given?.bias ? tf.tensor1d(given.bias) : layer.getWeights()[1];
      if (given?.bias) owned.push(bias);
      const first = tf.layers.dense({ units: k, activation: 'linear', useBias: false, name: `${info.name}_u`, ...inputSpec });
      const second = tf.layers.dense({
        units: info.kernelShape![1],
        activation: config.activation as never,
        useBias: info.hasBias,
        name: `${info.name}_v`,
      });
      seq.add(first);
      seq.add(second);
      pending.push([first, [a]]);
      pending.push([second, info.hasBias ? [b, bias] : [b]]);
    }
    for (const [layer, weights] of pending) layer.setWeights(weights);

    let artifacts: tf.io.ModelArtifacts | null = null;
    await seq.save(tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const saved = artifacts as tf.io.ModelArtifacts | null;
    if (!saved || !saved.weightSpecs || !saved.weightData) throw new Error('TF.js produced no model artifacts');
    const weightsFileName = `${baseName}.weights.bin`;
    const modelJson = JSON.stringify({
      format: 'layers-model',
      generatedBy: saved.generatedBy,
      convertedBy: 'Low-Rank Lab',
      modelTopology: saved.modelTopology,
      weightsManifest: [{ paths: [`./${weightsFileName}`], weights: saved.weightSpecs }],
    });
    const weights = tf.io.CompositeArrayBuffer.join(saved.weightData);
    return {
      modelJson,
      weights,
      weightsFileName,
      totalBytes: new TextEncoder().encode(modelJson).byteLength + weights.byteLength,
    };
  } finally {
    owned.forEach((t) => t.dispose());
    seq.dispose();
  }
}
