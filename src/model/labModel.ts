import * as tf from '@tensorflow/tfjs';
import { largestShrinkingRank } from '../core/compression';
import { LabInputError } from './errors';
import { checkLayerClasses, explainBuildError } from './buildErrors';
import { kindForClass, LAYER_KINDS, type LayerKindName } from './layers/registry';
import type { InputScale } from './pixels';

/**
 * A loaded, validated LayersModel plus the plain description of its layers
 * that the rest of the lab works from. Validation happens here, once, before
 * anything else sees the model: a model that fails it is disposed and the lab
 * keeps whatever it had before.
 */

/** What every layer description carries. */
interface LayerBase {
  /** Position among the model's computing layers (InputLayer excluded). */
  index: number;
  name: string;
  className: string;
  /** Weights stored by the layer (kernel, bias and any others), in scalars. */
  params: number;
  hasBias: boolean;
  /** Activation name for layers with a kernel kind, null otherwise. */
  activation: string | null;
}

/** A layer whose kernel the lab factorizes, through the adapter of its `kind`. */
export interface FactorizableLayer extends LayerBase {
  factorizable: true;
  kind: LayerKindName;
  /** The kernel as a matrix, [m inputs, n outputs]. */
  kernelShape: [number, number];
  /** The kernel as the layer stores it ([m, n] for Dense, [kh, kw, c_in, c_out] for a convolution). */
  weightShape: number[];
  /** Input channels: ALDS's channel groups are contiguous blocks of them (m for Dense, c_in for a convolution, whose rows are c_in blocks of kh kw). */
  channels: number;
  reason: null;
  /**
   * Largest rank the lab can set: min(m, n) when the full SVD is computed,
   * or the k of a top-k SVD for kernels too large for a full one (see
   * DecompositionPolicy).
   */
  rankLimit: number;
}

/** A layer the lab keeps as it is; `kind` is set where it has a kernel kind the lab knows (a rank-1 Dense kernel). */
export interface KeptLayer extends LayerBase {
  factorizable: false;
  kind: LayerKindName | null;
  kernelShape: null;
  channels: 0;
  /** Why the layer is left as it is. */
  reason: string;
  rankLimit: 0;
}

/** Plain description of one layer, safe to hand to the store and the UI. */
export type LayerInfo = FactorizableLayer | KeptLayer;

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

/** Values in one input the lab accepts (a 512 x 512 x 3 image); the synthetic inputs are sized from it. */
const MAX_INPUT_VALUES = 512 * 512 * 3;

/** A validated model: tf objects stay inside model/, `layers` goes outward. */
export interface LabModel {
  model: tf.LayersModel;
  /** The model's computing layers in an order that runs every layer after its inputs (InputLayer excluded). */
  chain: tf.layers.Layer[];
  /**
   * Where each chain layer's inputs come from: the indices of earlier chain
   * layers, -1 for the model's input; one entry for a single-input layer,
   * several for Add or Concatenate. A Sequential model's layer i reads i - 1.
   */
  inputsOf: number[][];
  /** Chain index of the layer whose output is the model's output. */
  outputIndex: number;
  /**
   * Whether chain layer i's input is the only tensor computed before i that
   * layers from i on read: a pass can then start at i from that input alone
   * (every layer of a plain chain; inside a residual block, not the layers
   * with the skip connection's tensor still pending).
   */
  cut: boolean[];
  layers: LayerInfo[];
  /** Input shape without the batch axis, e.g. [784], [28, 28, 1] or [224, 224, 3]. */
  inputShape: number[];
  /**
   * How the lab measures the model: 'mnist' (an MNIST-shaped input and 10
   * classes: accuracy on the labelled test images), 'mnist-unlabelled' (an
   * MNIST-shaped input but another number of outputs: the test images, no
   * accuracy), or 'synthetic' (another input: seeded synthetic inputs, no
   * accuracy). Without labels the lab compares the compressed model with
   * the original: top-1 agreement and cosine similarity of the outputs.
   */
  data: 'mnist' | 'mnist-unlabelled' | 'synthetic';
  /** Why accuracy does not apply (null for 'mnist'), for the page and the CLI. */
  noAccuracy: string | null;
  name: string;
  /**
   * The kernel matrix (row-major m x n) and bias of every layer with a
   * kernel kind, as plain arrays, read once at load while the weights are
   * still on the CPU: on WebGPU a later synchronous read goes through the
   * GPU, which is slow and, in headless Chromium's software adapter, left
   * the device unusable for buffer mapping afterwards.
   */
  kernelWeights: Map<string, { kernel: Float32Array; bias: Float32Array | null }>;
  /** The largest pixel value the model is fed (see inputScale.ts); 1 until the session decides. */
  inputScale: InputScale;
}

/**
 * Loads artifacts into a LayersModel and validates it for the lab: one
 * input of fixed shape, one vector of class scores out, layers each applied
 * once, finite weights. Throws LabInputError (after disposing the model) when it does not.
 */
export async function loadLabModel(artifacts: tf.io.ModelArtifacts, name: string, policy: DecompositionPolicy = DEFAULT_DECOMPOSITION): Promise<LabModel> {
  const file = `the model.json of "${name.slice(0, 80)}"`;
  // The layers are checked before TF.js builds them (parseModelJson checked the JSON as a whole and the manifest).
  checkLayerClasses(artifacts.modelTopology, file);
  let model: tf.LayersModel;
  try {
    model = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (err) {
    throw explainBuildError(err, name, artifacts);
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
  const inputShape = model.inputs[0].shape.slice(1);
  if (inputShape.length === 0 || !inputShape.every((d) => Number.isSafeInteger(d) && (d as number) > 0) || inputShape.reduce<number>((p, d) => p * (d as number), 1) > MAX_INPUT_VALUES) {
    throw new LabInputError('input-shape', `The model's input shape is [${inputShape.map((d) => d ?? 'any').join(', ')}]; the lab needs every input dimension fixed (e.g. [224, 224, 3]) and at most ${MAX_INPUT_VALUES.toLocaleString('en-US')} values an input.`);
  }
  const outputShape = model.outputs[0].shape;
  if (outputShape.length !== 2 || !Number.isSafeInteger(outputShape[1]) || (outputShape[1] as number) < 2) {
    throw new LabInputError('input-shape', `The model's output shape is [${outputShape.slice(1).join(', ')}]; the lab needs one score per class (a vector of 2 or more values) to compare predictions.`);
  }
  const classes = outputShape[1] as number;
  const fitsMnist = MNIST_INPUTS.includes(inputShape.join(','));
  const data: LabModel['data'] = fitsMnist ? (classes === 10 ? 'mnist' : 'mnist-unlabelled') : 'synthetic';
  const noAccuracy = data === 'mnist' ? null : fitsMnist
    ? `the model has ${classes} outputs, not MNIST's 10 classes: scores compare it with the original on the MNIST test images`
    : `the model's input is [${inputShape.join(', ')}], not a 28x28 MNIST image: scores compare it with the original on seeded synthetic inputs`;
  const chain = model.layers.filter((l) => l.getClassName() !== 'InputLayer');
  const graph = describeGraph(model, chain);
  // Every weight is read once, here: for the finiteness check and, for layers with a kernel kind, to keep as arrays.
  const values = chain.map((layer) => layer.getWeights().map((w) => w.dataSync() as Float32Array));
  const kernelWeights = new Map<string, { kernel: Float32Array; bias: Float32Array | null }>();
  const layers = chain.map((layer, index) => describeLayer(layer, index, policy, values[index], kernelWeights));
  return { model, chain, ...graph, layers, inputShape: inputShape as number[], data, noAccuracy, name, kernelWeights, inputScale: 1 };
}

/** Whether the model is a plain chain, each layer reading the one before it (a Sequential's shape): no branch, no merge. */
export function isPlainChain(lab: Pick<LabModel, 'inputsOf' | 'outputIndex'>): boolean {
  return lab.outputIndex === lab.inputsOf.length - 1 && lab.inputsOf.every((from, i) => from.length === 1 && from[0] === i - 1);
}

/**
 * The model's layers as a graph the evaluator walks in `chain` order: each
 * layer used once (no shared layers), with one output; the inputs of every
 * layer come before it. Throws LabInputError for what the lab cannot walk.
 */
function describeGraph(model: tf.LayersModel, chain: tf.layers.Layer[]): Pick<LabModel, 'inputsOf' | 'outputIndex' | 'cut'> {
  const index = new Map(chain.map((l, i) => [l, i]));
  const inputsOf = chain.map((layer, i) => {
    if (layer.inboundNodes.length !== 1) {
      throw new LabInputError('unsupported-model', `Layer "${layer.name}" is used ${layer.inboundNodes.length} times in the model; the lab handles models where each layer is applied once (no shared layers).`);
    }
    if (layer.inboundNodes[0].outputTensors.length !== 1) {
      throw new LabInputError('unsupported-model', `Layer "${layer.name}" has several outputs; the lab handles layers with one output.`);
    }
    return layer.inboundNodes[0].inboundLayers.map((l) => {
      if (l.getClassName() === 'InputLayer') return -1;
      const j = index.get(l);
      if (j === undefined || j >= i) throw new LabInputError('unsupported-model', `Layer "${layer.name}" reads "${l.name}", which does not run before it.`);
      return j;
    });
  });
  const outputIndex = index.get(model.outputs[0].sourceLayer as tf.layers.Layer) ?? -1;
  if (outputIndex < 0) throw new LabInputError('unsupported-model', 'The model\'s output is not computed by one of its layers.');
  // The last chain index reading each producer (-1: the model's input); a cut at i has every producer read at or after i be i's own input.
  const lastRead = new Map<number, number>();
  inputsOf.forEach((from, i) => from.forEach((j) => lastRead.set(j, Math.max(lastRead.get(j) ?? i, i))));
  const cut = inputsOf.map((from, i) => {
    if (from.length !== 1) return false;
    for (const [producer, last] of lastRead) if (producer < i && last >= i && producer !== from[0]) return false;
    return true;
  });
  return { inputsOf, outputIndex, cut };
}

/** Why layers with weights but no kernel kind are kept, where there is more to say than "no 2-D kernel". */
const KEPT_REASONS: Readonly<Record<string, string>> = {
  DepthwiseConv2D: 'a depthwise kernel has one filter per channel (kh x kw each), no matrix across channels to factorize',
  SeparableConv2D: 'already factorized: a depthwise filter per channel, then a 1x1 mix of the channels',
};

/**
 * The layer's LayerInfo; `values` are its weights' data, in getWeights()
 * order. A layer whose class has a kernel kind has its kernel matrix and
 * bias put in `kernels`.
 */
function describeLayer(
  layer: tf.layers.Layer,
  index: number,
  policy: DecompositionPolicy,
  values: readonly Float32Array[],
  kernels: Map<string, { kernel: Float32Array; bias: Float32Array | null }>,
): LayerInfo {
  const className = layer.getClassName();
  let params = 0;
  for (const [wi, data] of values.entries()) {
    params += data.length;
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i])) {
        const weight = layer.weights[wi] as (tf.LayerVariable & { originalName?: string }) | undefined;
        throw new LabInputError('non-finite', `Layer "${layer.name}" has ${Number.isNaN(data[i]) ? 'a NaN' : 'an infinite'} value in weight ${wi} (${weight?.originalName ?? weight?.name ?? ''}) at position ${i}; the model is broken. Retrain or re-export it.`);
      }
    }
  }
  const base = { index, name: layer.name, className, params };
  const kind = kindForClass(className);
  const unsupported = kind === null ? null : LAYER_KINDS[kind].unsupported(layer);
  if (kind === null || values.length === 0 || unsupported !== null) {
    const reason = values.length === 0 ? 'has no weights' : unsupported ?? KEPT_REASONS[className] ?? `${className} has no 2-D kernel to factorize`;
    return { ...base, kind: null, kernelShape: null, channels: 0, hasBias: false, activation: null, factorizable: false, reason, rankLimit: 0 };
  }
  const d = LAYER_KINDS[kind].describe(layer, values);
  kernels.set(layer.name, { kernel: d.kernel, bias: d.bias });
  const [m, n] = d.kernelShape;
  const side = Math.min(m, n);
  const described = { ...base, hasBias: d.hasBias, activation: d.activation };
  if (side < 2) return { ...described, kind, kernelShape: null, channels: 0, factorizable: false, reason: 'kernel has rank 1 already; nothing to truncate', rankLimit: 0 };
  const shrinking = largestShrinkingRank(m, n) ?? 1;
  return { ...described, kind, kernelShape: d.kernelShape, weightShape: d.weightShape, channels: d.channels, factorizable: true, reason: null, rankLimit: side > policy.fullSvdMaxSide ? Math.min(policy.topK, shrinking) : side };
}
