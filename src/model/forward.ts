import * as tf from '@tensorflow/tfjs';
import type { LabModel } from './labModel';
import type { FactorCache } from './factors';
import { effectiveRank, type RankPlan } from './plan';

/**
 * The compressed model's forward pass, run layer by layer on the original
 * model's own layers: a factorized Dense computes act((x A_k) B_k + b), every
 * other layer is applied as it is (inference mode, so Dropout is identity).
 * This is the same arithmetic the exported two-layer form performs, so the
 * lab's numbers and the downloaded file agree.
 */

/** The activation object TF.js keeps on a Dense layer; reused so any Keras activation works. */
interface DenseInternals {
  activation: { apply(x: tf.Tensor): tf.Tensor };
}

/** Whether a layer ends in softmax, so its pre-activation can serve as logits. */
function isSoftmaxHead(layer: tf.layers.Layer): boolean {
  const cls = layer.getClassName();
  if (cls === 'Softmax') return true;
  if (cls === 'Dense' || cls === 'Activation') return layer.getConfig().activation === 'softmax';
  return false;
}

function denseForward(layer: tf.layers.Layer, x: tf.Tensor, planFactors: [tf.Tensor2D, tf.Tensor2D] | null, activate: boolean, override?: KernelOverride | ProjectedFactors): tf.Tensor {
  const [ownKernel, ownBias] = layer.getWeights();
  const kernel = override?.kernel ?? ownKernel;
  const bias = override?.bias ?? ownBias;
  const factors = override?.factors ?? planFactors;
  const lastDim = x.shape[x.shape.length - 1];
  const x2 = x.rank === 2 ? (x as tf.Tensor2D) : tf.reshape(x, [-1, lastDim]) as tf.Tensor2D;
  const projected = override && 'projected' in override ? override.projected : undefined;
  let z: tf.Tensor = projected
    ? tf.matMul(projected[0], projected[1])
    : factors ? tf.matMul(tf.matMul(x2, factors[0]), factors[1]) : tf.matMul(x2, kernel as tf.Tensor2D);
  if (bias && layer.getConfig().useBias !== false) z = tf.add(z, bias);
  if (x.rank !== 2) z = tf.reshape(z, [...x.shape.slice(0, -1), z.shape[1] as number]);
  return activate ? (layer as unknown as DenseInternals).activation.apply(z) : z;
}

/** A plain-SVD rank-k Dense layer computed from its input's projection: P[:, :k] and B_k (see applyChainLayer). */
interface ProjectedFactors {
  kernel?: undefined;
  factors?: undefined;
  bias?: undefined;
  projected: [tf.Tensor2D, tf.Tensor2D];
}

/**
 * A Dense layer's weights replaced outright, for factor methods other than
 * plain SVD: factors A (m x r) and B (r x n) applied as two matmuls (the
 * cheap path, as for SVD), or a dense kernel (m x n) where the method has
 * no low-rank form; optional bias n. Takes precedence over the plan.
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
  if (info.className !== 'Dense') return '-';
  const k = effectiveRank(info, plan);
  return k === null ? 'd' : `k${k}`;
}

/**
 * Chain layer `i` applied to its input `h` under `plan` (factor slices of a
 * plain-SVD rank, an override, or the layer as it is); the last layer stops
 * before a softmax. `projected`, when given for a plain-SVD-ranked Dense
 * layer, is P_k = h A_k (N x k), taken from cached column blocks of
 * P = h A_r: rank k then costs P_k B_k, O(N k n), instead of (h A_k) B_k,
 * O(N m k). Allocates intermediates freely: call inside tf.tidy.
 */
export function applyChainLayer(
  lab: LabModel,
  factors: FactorCache,
  i: number,
  h: tf.Tensor,
  plan: RankPlan,
  overrides?: ReadonlyMap<string, KernelOverride>,
  projected?: tf.Tensor2D,
): tf.Tensor {
  const layer = lab.chain[i];
  const info = lab.layers[i];
  const activate = !(i === lab.chain.length - 1 && isSoftmaxHead(layer));
  const override = overrides?.get(info.name);
  if (override) return denseForward(layer, h, null, activate, override);
  if (info.className === 'Dense') {
    const k = effectiveRank(info, plan);
    if (k !== null && projected) return denseForward(layer, h, null, activate, { projected: [projected, factors.evalSlices(info.name, k)[1]] });
    return denseForward(layer, h, k === null ? null : factors.evalSlices(info.name, k), activate);
  }
  return activate ? layer.apply(h, { training: false }) as tf.Tensor : h;
}

/** Width of the column blocks of P = h A_r the evaluator caches: a rank k reads ceil(k / 16) of them. */
export const PROJECTION_BLOCK = 16;

/** Block j of P = h A_r for a plain-SVD Dense layer's input h (2-D): h times columns [16 j, 16 j + 16) of A_r. Call inside tf.tidy or keep it. */
export function projectInputBlock(factors: FactorCache, layer: string, h: tf.Tensor2D, j: number): tf.Tensor2D {
  return tf.matMul(h, factors.columnBlock(layer, j, PROJECTION_BLOCK));
}

/**
 * Logits of the model under `plan` for a batch `x` shaped like the model's
 * input. When the model ends in softmax the pre-softmax values are returned
 * (argmax is unchanged; relative errors are more telling before squashing).
 * With `inputNormsSq`, records ||input||_F^2 of the layers named in
 * `record` as scalar tensors. Allocates intermediates freely: call inside tf.tidy.
 */
export function forwardLogits(
  lab: LabModel,
  factors: FactorCache,
  plan: RankPlan,
  x: tf.Tensor,
  overrides?: ReadonlyMap<string, KernelOverride>,
  inputNormsSq?: { record: ReadonlySet<string>; into: Map<string, tf.Scalar> },
): tf.Tensor2D {
  let h = x;
  for (const [i, info] of lab.layers.entries()) {
    // The squared Frobenius norm of each Dense layer's input batch, for the Lipschitz bound.
    if (inputNormsSq?.record.has(info.name)) inputNormsSq.into.set(info.name, tf.sum(tf.square(h)));
    h = applyChainLayer(lab, factors, i, h, plan, overrides);
  }
  return h as tf.Tensor2D;
}
