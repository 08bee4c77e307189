/**
 * The NN-SVD paper's Lipschitz bound on what truncating some layers does to
 * a network's output, to show next to the error the lab measures.
 *
 * A chain of layers h_l = sigma_l(h_{l-1} W_l + b_l), each sigma_l
 * Lipschitz with constant a_l, has W_l replaced by W'_l in some layers.
 * Telescope through the hybrid networks that use the replaced weights up
 * to layer l and the original ones after it: consecutive hybrids differ
 * only in layer l, by ||sigma_l(h' W'_l + b) - sigma_l(h' W_l + b)|| <=
 * a_l ||W_l - W'_l||_2 ||h'||, where h' = h'_{l-1}(x) is the compressed
 * network's input to layer l, and the original layers after l stretch that
 * by at most prod_{i>l} a_i ||W_i||_2. So, per input x,
 *   ||f'(x) - f(x)|| <= sum_l c_l ||h'_{l-1}(x)||,
 *   c_l = a_l ||W_l - W'_l||_2 prod_{i>l} a_i ||W_i||_2,
 * and over a batch (rows stacked, Frobenius norms) Minkowski's inequality
 * gives ||F' - F||_F <= sum_l c_l ||H'_{l-1}||_F. For truncated SVD at rank
 * k, ||W - W_k||_2 = s_{k+1} exactly. The bound is loose by design (every
 * layer is assumed to stretch by its full spectral norm); its value is in
 * showing how the error grows with the dropped singular values.
 */

/** Lipschitz constants of Keras activations as elementwise maps (so also in the l2 norm on vectors); undefined when the lab does not know one. */
export function activationLipschitz(activation: string): number | undefined {
  switch (activation) {
    case 'linear':
    case 'relu':
    case 'relu6':
    case 'tanh':
    case 'elu': // default alpha = 1
    case 'softplus':
    case 'softsign':
      return 1;
    case 'sigmoid':
      return 0.25;
    case 'hard_sigmoid':
      return 0.2;
    case 'selu':
      return 1.0507009873554805 * 1.6732632423543772;
    default:
      return undefined;
  }
}

/** One layer of the chain, as the bound needs it. */
export interface LipschitzLayer {
  /** ||W_l||_2 of the original kernel; 1 for a layer without one (Dropout at inference, Flatten). */
  readonly kernelNorm: number;
  /** ||W_l - W'_l||_2 of what replaced the kernel; 0 where it is unchanged. */
  readonly deltaNorm: number;
  /** a_l, the Lipschitz constant of the layer's activation (1 for identity layers and for a final layer read before softmax). */
  readonly activationLipschitz: number;
  /** ||H'_{l-1}||_F: the Frobenius norm of the compressed network's inputs to this layer over the batch; only read where deltaNorm > 0. */
  readonly inputNorm: number;
}

/**
 * sum_l c_l ||H'_{l-1}||_F (see the file comment), the bound on
 * ||F' - F||_F for the chain `layers` in order, with each layer's term.
 * Pure. Throws RangeError on a negative or non-finite entry.
 */
export function lipschitzErrorBound(layers: readonly LipschitzLayer[]): { bound: number; terms: number[] } {
  for (const l of layers) {
    for (const v of [l.kernelNorm, l.deltaNorm, l.activationLipschitz, l.inputNorm]) {
      if (!Number.isFinite(v) || v < 0) throw new RangeError(`Lipschitz bound inputs must be finite and non-negative, got ${v}.`);
    }
  }
  const terms = new Array<number>(layers.length).fill(0);
  let after = 1; // prod_{i>l} a_i ||W_i||_2, built from the end
  for (let l = layers.length - 1; l >= 0; l--) {
    const { kernelNorm, deltaNorm, activationLipschitz: a, inputNorm } = layers[l];
    if (deltaNorm > 0) terms[l] = a * deltaNorm * inputNorm * after;
    after *= a * kernelNorm;
  }
  return { bound: terms.reduce((s, t) => s + t, 0), terms };
}
