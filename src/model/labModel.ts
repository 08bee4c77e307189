import * as tf from '@tensorflow/tfjs';
import { largestShrinkingRank } from '../core/compression';
import { LabInputError } from './errors';

/**
 * A loaded, validated LayersModel plus the plain description of its layers
 * that the rest of the lab works from. Validation happens here, once, before
 * anything else sees the model: a model that fails it is disposed and the lab
 * keeps whatever it had before.
 */

/** Plain description of one layer, safe to hand to the store and the UI. */
export interface LayerInfo {
  /** Position among the model's computing layers (InputLayer excluded). */
  index: number;
  name: string;
  className: string;
  /** Dense kernel shape [m inputs, n outputs]; null for layers without a 2-D kernel. */
  kernelShape: [number, number] | null;
  /** Weights stored by the layer (kernel, bias and any others), in scalars. */
  params: number;
  hasBias: boolean;
  /** Activation name for Dense layers, null otherwise. */
  activation: string | null;
  factorizable: boolean;
  /** Why the layer is left as it is; null for factorizable layers. */
  reason: string | null;
  /**
   * Largest rank the lab can set: min(m, n) when the full SVD is computed,
   * or the k of a top-k SVD for kernels too large for a full one (see
   * DecompositionPolicy). 0 for layers that are not factorizable.
   */
  rankLimit: number;
}

/**
 * When the lab computes a top-k SVD instead of a full one: kernels whose
 * smaller side exceeds `fullSvdMaxSide` get their top `topK` directions
 * (capped at the largest rank that still shrinks the layer).
 */
export interface DecompositionPolicy {
  fullSvdMaxSide: number;
  topK: number;
}

/** The default policy: a full SVD up to 1024 on the smaller side, else the top 256. */
export const DEFAULT_DECOMPOSITION: DecompositionPolicy = { fullSvdMaxSide: 1024, topK: 256 };

/** Input shapes (without the batch axis) that the bundled MNIST sample can be fed as. */
const MNIST_INPUTS = ['784', '28,28', '28,28,1'];

/** A validated model: tf objects stay inside model/, `layers` goes outward. */
export interface LabModel {
  model: tf.LayersModel;
  /** The model's computing layers in execution order (InputLayer excluded). */
  chain: tf.layers.Layer[];
  layers: LayerInfo[];
  /** Input shape without the batch axis, e.g. [784] or [28, 28, 1]. */
  inputShape: number[];
  name: string;
  /**
   * Every Dense layer's kernel (row-major m x n) and bias as plain arrays,
   * read once at load while the weights are still on the CPU: on WebGPU a
   * later synchronous read goes through the GPU, which is slow and, in
   * headless Chromium's software adapter, left the device unusable for
   * buffer mapping afterwards.
   */
  denseWeights: Map<string, { kernel: Float32Array; bias: Float32Array | null }>;
}

/**
 * Loads artifacts into a LayersModel and validates it for the lab: a single
 * chain of layers, an input the MNIST sample fits, 10 outputs, finite
 * weights. Throws LabInputError (after disposing the model) when it does not.
 */
export async function loadLabModel(artifacts: tf.io.ModelArtifacts, name: string, policy: DecompositionPolicy = DEFAULT_DECOMPOSITION): Promise<LabModel> {
  let model: tf.LayersModel;
  try {
    model = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (err) {
    const msg = (err as Error).message ?? String(err);
    const unknown = /Unknown layer: (\w+)/.exec(msg);
    if (unknown) {
      throw new LabInputError('unsupported-model', `The model uses layer "${unknown[1]}", which stock TF.js cannot build; the lab needs models made of standard Keras layers.`);
    }
    throw new LabInputError('model-json', `TF.js could not build the model from ${name}: ${msg}`);
  }
  try {
    return describeModel(model, name, policy);
  } catch (err) {
    model.dispose();
    throw err;
  }
}

function describeModel(model: tf.LayersModel, name: string, policy: DecompositionPolicy): LabModel {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new LabInputError('unsupported-model', `The model has ${model.inputs.length} inputs and ${model.outputs.length} outputs; the lab needs one image in and one 10-way prediction out.`);
  }
  const inputShape = model.inputs[0].shape.slice(1) as number[];
  if (!MNIST_INPUTS.includes(inputShape.join(','))) {
    throw new LabInputError('input-shape', `The model's input shape is [${inputShape.join(', ')}] but MNIST images are 28x28: the lab accepts inputs of [784], [28, 28] or [28, 28, 1].`);
  }
  const outputShape = model.outputs[0].shape;
  if (outputShape.length !== 2 || outputShape[1] !== 10) {
    throw new LabInputError('input-shape', `The model's output shape is [${outputShape.slice(1).join(', ')}] but MNIST has 10 classes: the last layer must output 10 values.`);
  }
  const chain = model.layers.filter((l) => l.getClassName() !== 'InputLayer');
  assertLinearChain(chain);
  // Every weight is read once, here: for the finiteness check and, for Dense layers, to keep as arrays.
  const values = chain.map((layer) => layer.getWeights().map((w) => w.dataSync() as Float32Array));
  const layers = chain.map((layer, index) => describeLayer(layer, index, policy, values[index]));
  const denseWeights = new Map<string, { kernel: Float32Array; bias: Float32Array | null }>();
  for (const info of layers) {
    if (info.className !== 'Dense' || !info.kernelShape) continue;
    const [kernel, bias] = values[info.index];
    denseWeights.set(info.name, { kernel: Float32Array.from(kernel), bias: info.hasBias && bias ? Float32Array.from(bias) : null });
  }
  return { model, chain, layers, inputShape, name, denseWeights };
}

/** The evaluator walks layers in order, so every layer must feed exactly the next. */
function assertLinearChain(chain: tf.layers.Layer[]): void {
  chain.forEach((layer, i) => {
    const nodes = layer.inboundNodes;
    const inbound = nodes.length === 1 ? nodes[0].inboundLayers : null;
    const ok = i === 0
      ? inbound !== null && inbound.every((l) => l.getClassName() === 'InputLayer')
      : inbound !== null && inbound.length === 1 && inbound[0] === chain[i - 1];
    if (!ok) {
      const prev = i === 0 ? 'the input' : `"${chain[i - 1].name}"`;
      throw new LabInputError('unsupported-model', `Layer "${layer.name}" does not simply follow ${prev}: the lab handles models that are a single chain of layers (no branches, skip connections or shared layers).`);
    }
  });
}

/** The layer's LayerInfo; `values` are its weights' data, in getWeights() order. */
function describeLayer(layer: tf.layers.Layer, index: number, policy: DecompositionPolicy, values: readonly Float32Array[]): LayerInfo {
  const className = layer.getClassName();
  const weights = layer.getWeights();
  let params = 0;
  for (const [wi, data] of values.entries()) {
    params += data.length;
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i])) {
        throw new LabInputError('non-finite', `Layer "${layer.name}" has a ${Number.isNaN(data[i]) ? 'NaN' : 'infinite'} value in weight ${wi} (${layer.weights[wi]?.name ?? ''}) at position ${i}; the model is broken. Retrain or re-export it.`);
      }
    }
  }
  const base = { index, name: layer.name, className, params };
  if (className !== 'Dense') {
    const reason = weights.length === 0
      ? 'has no weights'
      : className === 'Conv2D'
        ? 'Conv2D kernels are kept as they are; this lab factorizes Dense kernels'
        : `${className} has no 2-D kernel to factorize`;
    return { ...base, kernelShape: null, hasBias: false, activation: null, factorizable: false, reason, rankLimit: 0 };
  }
  const config = layer.getConfig();
  const kernel = weights[0];
  const kernelShape: [number, number] = [kernel.shape[0] ?? 0, kernel.shape[1] ?? 0];
  const activation = typeof config.activation === 'string' ? config.activation : 'linear';
  const hasBias = config.useBias !== false && weights.length > 1;
  const side = Math.min(kernelShape[0], kernelShape[1]);
  const rankOne = side < 2;
  const shrinking = largestShrinkingRank(kernelShape[0], kernelShape[1]) ?? 1;
  return {
    ...base,
    kernelShape,
    hasBias,
    activation,
    factorizable: !rankOne,
    reason: rankOne ? 'kernel has rank 1 already; nothing to truncate' : null,
    rankLimit: rankOne ? 0 : side > policy.fullSvdMaxSide ? Math.min(policy.topK, shrinking) : side,
  };
}
