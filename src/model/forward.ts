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

function denseForward(layer: tf.layers.Layer, x: tf.Tensor, planFactors: [tf.Tensor2D, tf.Tensor2D] | null, activate: boolean, override?: KernelOverride): tf.Tensor {
  const [ownKernel, ownBias] = layer.getWeights();
  const kernel = override?.kernel ?? ownKernel;
  const bias = override?.bias ?? ownBias;
  const factors = override?.factors ?? planFactors;
  const lastDim = x.shape[x.shape.length - 1];
  const x2 = x.rank === 2 ? (x as tf.Tensor2D) : tf.reshape(x, [-1, lastDim]) as tf.Tensor2D;
  let z: tf.Tensor = factors ? tf.matMul(tf.matMul(x2, factors[0]), factors[1]) : tf.matMul(x2, kernel as tf.Tensor2D);
  if (bias && layer.getConfig().useBias !== false) z = tf.add(z, bias);
  if (x.rank !== 2) z = tf.reshape(z, [...x.shape.slice(0, -1), z.shape[1] as number]);
  return activate ? (layer as unknown as DenseInternals).activation.apply(z) : z;
}

/**
 * A Dense layer's weights replaced outright, for factor methods other than
 * plain SVD: factors A (m x r) and B (r x n) applied as two matmuls (the
 * cheap path, as for SVD), or a dense kernel (m x n) where the method has
 * no low-rank form; optional bias n. Takes precedence over the plan.
 */
export type KernelOverride = ({ kernel: tf.Tensor2D; factors?: undefined } | { factors: [tf.Tensor2D, tf.Tensor2D]; kernel?: undefined }) & { bias?: tf.Tensor1D };

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
  const last = lab.chain.length - 1;
  for (const [i, layer] of lab.chain.entries()) {
    const info = lab.layers[i];
    // The squared Frobenius norm of each Dense layer's input batch, for the Lipschitz bound.
    if (inputNormsSq?.record.has(info.name)) inputNormsSq.into.set(info.name, tf.sum(tf.square(h)));
    const stopBeforeSoftmax = i === last && isSoftmaxHead(layer);
    const override = overrides?.get(info.name);
    if (override) {
      h = denseForward(layer, h, null, !stopBeforeSoftmax, override);
    } else if (info.className === 'Dense') {
      const k = effectiveRank(info, plan);
      h = denseForward(layer, h, k === null ? null : factors.slice(info.name, k), !stopBeforeSoftmax);
    } else if (!stopBeforeSoftmax) {
      h = layer.apply(h, { training: false }) as tf.Tensor;
    }
  }
  return h as tf.Tensor2D;
}
