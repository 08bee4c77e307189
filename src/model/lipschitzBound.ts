import { activationLipschitz, lipschitzErrorBound, type LipschitzLayer } from '../core/lipschitz';
import type { LabModel } from './labModel';
import { LAYER_KINDS } from './layers/registry';
import type { EvalResult } from './evaluate';
import { effectiveRank, type RankPlan } from './plan';

/**
 * The NN-SVD Lipschitz bound for a plain-SVD plan, from what an evaluation
 * measured (each Dense layer's input norm in the compressed network, the
 * original logits' norm) and the singular values the lab already holds:
 * ||W||_2 = s_1 and ||W - W_k||_2 = s_{k+1}. Relative, like
 * relativeLogitError: bound / ||Z||_F.
 */

/** Layers whose Lipschitz constant is 1 and that hold no kernel at inference (Dropout is the identity there). */
const IDENTITY_LAYERS = new Set(['Dropout', 'Flatten', 'Reshape', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout', 'SpatialDropout1D', 'SpatialDropout2D']);

/**
 * The bound for `plan` on `lab`, or null when some layer has no known
 * Lipschitz constant (a Conv2D, BatchNormalization, or an activation such as
 * gelu) or a Dense kernel's spectral norm is unknown. `spectrum(name)` gives
 * a Dense layer's singular values (descending), null when the lab has none
 * (a rank-1 kernel: then ||W||_2 = ||W||_F, passed as `frobenius`).
 */
export function nnSvdBound(
  lab: LabModel,
  plan: RankPlan,
  result: Pick<EvalResult, 'inputNorms' | 'referenceNorm'>,
  spectrum: (layer: string) => Float64Array | null,
  frobenius: (layer: string) => number,
): number | null {
  const layers: LipschitzLayer[] = [];
  const last = lab.layers.length - 1;
  for (const [i, info] of lab.layers.entries()) {
    if (info.kind === null) {
      const activation = info.className === 'Activation' ? String(lab.chain[i].getConfig().activation) : info.className === 'Softmax' ? 'softmax' : null;
      // A final softmax is not part of the logits; an Activation layer stretches by its activation's constant.
      const a = IDENTITY_LAYERS.has(info.className) || (i === last && activation === 'softmax') ? 1 : activation !== null ? activationLipschitz(activation) : undefined;
      if (a === undefined) return null;
      layers.push({ kernelNorm: 1, deltaNorm: 0, activationLipschitz: a, inputNorm: 0 });
      continue;
    }
    // A kernel whose matrix norm is not the layer's Lipschitz constant (a convolution's flattened kernel) has no bound here.
    if (!LAYER_KINDS[info.kind].kernelIsOperator) return null;
    // The logits are read before a final softmax, so the head's activation does not count there.
    const a = i === last && info.activation === 'softmax' ? 1 : activationLipschitz(info.activation ?? 'linear');
    if (a === undefined) return null;
    const s = spectrum(info.name);
    const k = effectiveRank(info, plan);
    const kernelNorm = s && s.length > 0 ? s[0] : frobenius(info.name);
    const deltaNorm = k === null ? 0 : s && k < s.length ? s[k] : NaN;
    if (!Number.isFinite(deltaNorm)) return null;
    layers.push({ kernelNorm, deltaNorm, activationLipschitz: a, inputNorm: result.inputNorms[info.name] ?? 0 });
  }
  return result.referenceNorm > 0 ? lipschitzErrorBound(layers).bound / result.referenceNorm : 0;
}
