import * as tf from '@tensorflow/tfjs';
import type { LabModel } from './labModel';
import type { FactorCache } from './factors';
import { LAYER_KINDS } from './layers/registry';
import type { LayerWeights } from './layers/kind';
import { effectiveRank, type RankPlan } from './plan';

/**
 * The compressed model's forward pass, run layer by layer on the original
 * model's own layers: a factorizable layer runs through its kind's adapter
 * with its rank-k factors (a Dense one computes act((x A_k) B_k + b)), every
 * other layer is applied as it is (inference mode, so Dropout is identity).
 * This is the same arithmetic the exported two-layer form performs, so the
 * lab's numbers and the downloaded file agree.
 */

/** Whether a layer ends in softmax (its own activation, or a Softmax layer), so its pre-activation can serve as logits. */
function isSoftmaxHead(layer: tf.layers.Layer): boolean {
  return layer.getClassName() === 'Softmax' || layer.getConfig().activation === 'softmax';
}

/**
 * A factorizable layer's weights replaced outright, for factor methods
 * other than plain SVD: factors A (m x r) and B (r x n) applied as two
 * products (the cheap path, as for SVD), or a kernel (m x n) where the
 * method has no low-rank form; optional bias n. Takes precedence over the plan.
 */
export type KernelOverride = ({ kernel: tf.Tensor2D; factors?: undefined } | { factors: [tf.Tensor2D, tf.Tensor2D]; kernel?: undefined }) & { bias?: tf.Tensor1D };

/**
 * What chain layer `i` computes under `plan` and `overrides`, as a short
 * string: two evaluations whose layers 0..i-1 have equal signatures feed
 * layer i the same input, which is what the activation cache keys on.
 * `overrideId` names an uploaded override (stable while it stays uploaded).
 */
export function layerSignature(lab: LabModel, i: number, plan: RankPlan, overrides: ReadonlyMap<string, KernelOverride> | undefined, overrideId: (o: KernelOverride) => number): string {
  const info = lab.layers[i];
  const override = overrides?.get(info.name);
  if (override) return `o${overrideId(override)}`;
  if (!info.factorizable) return '-';
  const k = effectiveRank(info, plan);
  return k === null ? 'd' : `k${k}`;
}

/**
 * Chain layer `i` applied to its `input` under `plan` (factor slices of a
 * plain-SVD rank, an override, or the layer as it is); the last layer stops
 * before a softmax. `product`, when given for a plain-SVD-ranked layer,
 * is P_k B_k (N x n) formed from cached column blocks of P = rows(h) A_r:
 * rank k then costs O(N k n) instead of (h A_k) B_k's O(N m k). Allocates
 * intermediates freely: call inside tf.tidy.
 */
export function applyChainLayer(
  lab: LabModel,
  factors: FactorCache,
  i: number,
  input: tf.Tensor | tf.Tensor[],
  plan: RankPlan,
  overrides?: ReadonlyMap<string, KernelOverride>,
  product?: tf.Tensor2D,
): tf.Tensor {
  // Only layers without a kernel kind (Add, Concatenate) read several inputs.
  const h = input as tf.Tensor;
  const layer = lab.chain[i];
  const info = lab.layers[i];
  const activate = !(i === lab.outputIndex && isSoftmaxHead(layer));
  const ownBias = info.kind !== null && info.hasBias ? layer.getWeights()[1] as tf.Tensor1D : null;
  // A kept layer with a kernel kind still goes through its adapter, so a softmax head yields its logits.
  if (!info.factorizable) return info.kind !== null ? LAYER_KINDS[info.kind].forward(layer, h, { kind: 'own' }, ownBias, activate) : activate ? layer.apply(input, { training: false }) as tf.Tensor : h;
  const override = overrides?.get(info.name);
  let weights: LayerWeights;
  if (override) {
    weights = override.factors ? { kind: 'factors', a: override.factors[0], b: override.factors[1] } : { kind: 'kernel', kernel: override.kernel };
  } else {
    const k = effectiveRank(info, plan);
    if (k === null) weights = { kind: 'own' };
    else if (product) weights = { kind: 'projected', product };
    else {
      const [a, b] = factors.evalSlices(info.name, k);
      weights = { kind: 'factors', a, b };
    }
  }
  return LAYER_KINDS[info.kind].forward(layer, h, weights, override?.bias ?? ownBias, activate);
}

/**
 * What chain layer `i` reads, from `outputs` (chain index -> that layer's
 * output; -1 -> the model's input): one tensor, or several for a layer
 * such as Add or Concatenate.
 */
export function inputOf(lab: LabModel, i: number, outputs: ReadonlyMap<number, tf.Tensor>): tf.Tensor | tf.Tensor[] {
  const from = lab.inputsOf[i].map((j) => {
    const t = outputs.get(j);
    if (!t) throw new Error(`layer ${lab.layers[i].name} reads an output that was not computed (${j})`);
    return t;
  });
  return from.length === 1 ? from[0] : from;
}

/** Block j (see projectionBlock) of P = rows(h) A_r for a plain-SVD layer's input h. Call inside tf.tidy or keep it. */
export function projectInputBlock(lab: LabModel, factors: FactorCache, i: number, h: tf.Tensor, j: number): tf.Tensor2D {
  const info = lab.layers[i];
  if (!info.factorizable) throw new Error(`layer ${info.name} has no kernel to project onto`);
  return tf.matMul(LAYER_KINDS[info.kind].inputRows(lab.chain[i], h, info.kernelShape[0]), factors.columnBlock(info.name, j));
}

/**
 * Logits of the model under `plan` for a batch `x` shaped like the model's
 * input. When the model ends in softmax the pre-softmax values are returned
 * (argmax is unchanged; relative errors are more telling before squashing).
 * Allocates intermediates freely: call inside tf.tidy.
 */
export function forwardLogits(
  lab: LabModel,
  factors: FactorCache,
  plan: RankPlan,
  x: tf.Tensor,
  overrides?: ReadonlyMap<string, KernelOverride>,
): tf.Tensor2D {
  const outputs = new Map<number, tf.Tensor>([[-1, x]]);
  for (let i = 0; i < lab.layers.length; i++) outputs.set(i, applyChainLayer(lab, factors, i, inputOf(lab, i, outputs), plan, overrides));
  return outputs.get(lab.outputIndex) as tf.Tensor2D;
}
