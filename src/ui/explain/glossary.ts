/**
 * What every number on the page means, in one registry: a short explanation
 * per term (what it is, its formula, how to read it), shown by
 * `<Explain term="...">` next to the number. A term is added here once and
 * cannot be misspelt where it is used (TermName); tests/ui/glossary.test.ts
 * checks that every term is used somewhere on the page and every use names a
 * term. Plain text with Unicode maths, so a screen reader reads it as text.
 */

/** One explanation: a label for the button's name, then three short paragraphs. */
export interface Term {
  /** The number's name as the page shows it, e.g. "Relative logit error". */
  label: string;
  /** What the number is, in a sentence or two. */
  what: string;
  /** How it is computed, in plain-text maths. */
  formula: string;
  /** How to read it: which way is better, what is large, what it hides. */
  read: string;
}

/** Every explained term, by the name `<Explain term>` takes. */
export const GLOSSARY = {
  accuracy: {
    label: 'Accuracy',
    what: 'The share of the 10,000 MNIST test images the compressed model classifies correctly (its top class is the true digit).',
    formula: 'accuracy = (number of images with argmax z′ = label) / 10,000',
    read: 'Compare it with the original model\'s. With 10,000 images a difference under about 0.2 points is within chance (the standard error near 96% is √(0.96 · 0.04 / 10,000) ≈ 0.2%).',
  },
  'original-accuracy': {
    label: 'Original accuracy',
    what: 'The accuracy of the uncompressed model on the same 10,000 test images: the ceiling compression is measured against.',
    formula: 'the same count as accuracy, with the original weights W in every layer',
    read: 'A compressed model rarely beats it; when it does by a few tenths of a point, that is chance, not a better model.',
  },
  agreement: {
    label: 'Agreement with original',
    what: 'The share of inputs on which the compressed model picks the same top class as the original, right or wrong. It needs no labels.',
    formula: 'agreement = (1/N) Σᵢ [argmax z′ᵢ = argmax zᵢ]',
    read: '100% means the compressed model decides exactly as the original. It can fall while accuracy holds: some changed answers were wrong before.',
  },
  'output-cosine': {
    label: 'Output cosine similarity',
    what: 'How closely the direction of each output vector (the logits, before any softmax) follows the original\'s, averaged over the inputs.',
    formula: 'cosine = (1/N) Σᵢ ⟨z′ᵢ, zᵢ⟩ / (‖z′ᵢ‖ ‖zᵢ‖)',
    read: '1 is identical direction; values above 0.99 mean the outputs barely moved. It ignores scale, which the relative logit error measures.',
  },
  'logit-error': {
    label: 'Relative logit error',
    what: 'How far the compressed model\'s logits are from the original\'s, over all inputs at once, relative to their size.',
    formula: 'error = ‖Z′ − Z‖_F / ‖Z‖_F, with Z the N × 10 matrix of original logits and Z′ the compressed one',
    read: '0 is no change; 0.1 means the logits moved by a tenth of their size. Accuracy can hold while it is sizeable: the answer only depends on which logit is largest.',
  },
  'lipschitz-bound': {
    label: 'Lipschitz bound (NN-SVD)',
    what: 'An upper bound on the relative logit error that holds for every input, from the NN-SVD paper: what truncation could do in the worst case.',
    formula: 'bound = Σ over truncated layers ℓ of s_(k+1)(W_ℓ) · ‖input of ℓ‖ · Π over later layers j of (‖W_j‖₂ · Lip(σ_j)), divided by ‖Z‖',
    read: 'It is loose on purpose: it multiplies per-layer worst-case spectral norms and the activations\' Lipschitz constants, as if every layer\'s error pointed along the next layer\'s top singular direction. So it holds for every input, while the measured error is an average over real inputs, which rarely align with the top singular directions: about 15 against a measured 0.13 for mlp-64 at rank 16.',
  },
  params: {
    label: 'Parameters',
    what: 'How many numbers a layer (or the whole model) stores: kernel entries plus biases.',
    formula: 'dense m × n kernel: m·n (+ n bias); at rank k: k·(m + n) (+ n bias)',
    read: 'Fewer is smaller. A factorized layer only pays off below the break-even rank, where k·(m + n) < m·n.',
  },
  bytes: {
    label: 'Stored size (KiB)',
    what: 'The bytes the weights take when stored: 4 bytes per float32 parameter, less for int8 or int4 factors. 1 KiB = 1,024 bytes.',
    formula: 'bytes = 4 · parameters for float32 weights; int8 factors take 1 byte per value, int4 half a byte, plus their float scales',
    read: 'Compare it with the original\'s size in the total row. TF.js files have no 4-bit type, so an int4 download spends a whole byte per value: the page then shows the file\'s size as well.',
  },
  ratio: {
    label: 'Compression ratio',
    what: 'How many times fewer parameters the factorized layer (or the whole model) has than the original.',
    formula: 'ratio = m·n / (k·(m + n)) for one layer; original parameters / parameters for the whole model',
    read: '2.00x means half as many parameters. A layer whose factors would not be smaller than its kernel is kept dense, at 1.00x.',
  },
  'kept-dense': {
    label: 'Kept dense',
    what: 'The layer is stored with its original weights: at this rank the two factors would not be smaller than the kernel.',
    formula: 'kept dense when k·(m + n) ≥ m·n, i.e. k ≥ break-even rank m·n / (m + n)',
    read: 'Moving the slider above the break-even rank changes nothing; move it below to compress the layer.',
  },
  rank: {
    label: 'Rank k',
    what: 'How many singular directions of the layer\'s weight matrix W are kept: W is replaced by the best rank-k approximation W_k.',
    formula: 'W = U S Vᵀ (SVD), W_k = U_k S_k V_kᵀ, stored as two factors of m × k and k × n',
    read: 'Lower rank: smaller and less accurate. The rank at which accuracy starts to fall is what the layer really needs.',
  },
  'break-even-rank': {
    label: 'Break-even rank',
    what: 'The rank at which the two factors take exactly as many parameters as the original kernel.',
    formula: 'k_even = m·n / (m + n), where k·(m + n) = m·n',
    read: 'Only ranks below it save space. For a 784 × 64 layer it is about 59: rank 60 would already be larger than the kernel.',
  },
  'spectral-error': {
    label: 'Spectral error s_(k+1)/s_1',
    what: 'The largest amount the rank-k approximation can change any input\'s output, relative to the largest the layer can produce.',
    formula: '‖W − W_k‖₂ / ‖W‖₂ = s_(k+1) / s_1 (Eckart-Young)',
    read: '0 is exact. It is the worst case over inputs, so it is larger than what typical inputs see; NN-SVD\'s bound is built from it.',
  },
  'frobenius-error': {
    label: 'Relative Frobenius error',
    what: 'The share of the weight matrix\'s "energy" (sum of squared entries) the rank-k approximation leaves out, as a norm.',
    formula: '‖W − W_k‖_F / ‖W‖_F = √(Σ_(i>k) sᵢ²) / √(Σ sᵢ²)',
    read: 'An average over directions rather than the worst one; a small value means the dropped singular values are small overall.',
  },
  'energy-tau': {
    label: 'Energy kept τ',
    what: 'A rank rule: each layer gets the smallest rank that keeps at least the share τ of its spectrum\'s energy.',
    formula: 'k = min { k : Σ_(i≤k) sᵢ² / Σ sᵢ² ≥ τ }',
    read: 'τ = 0.9 keeps 90% of the energy; higher τ, higher ranks. The same τ gives different ranks to layers with flat or steep spectra.',
  },
  'output-eps': {
    label: 'Relative output error ε',
    what: 'A rank rule: each layer gets the smallest rank whose output on the calibration images stays within ε of the original layer\'s output.',
    formula: 'k = min { k : ‖X W_k − X W‖_F / ‖X W‖_F ≤ ε }, X the layer\'s calibration inputs',
    read: 'Smaller ε, higher ranks. Unlike τ, it measures what the layer does to real inputs, not the weights alone.',
  },
  'alds-budget': {
    label: 'ALDS budget',
    what: 'A rank rule: the share of the model\'s parameters ALDS may keep, split over layers and channel groups to minimise the largest relative error.',
    formula: 'choose groups kᵢ and ranks jᵢ with Σ params(kᵢ, jᵢ) ≤ budget · original params, minimising maxᵢ error_i',
    read: '0.25 keeps a quarter of the parameters. ALDS\'s paper fine-tunes afterwards; the lab does not, so small budgets lose more accuracy here.',
  },
  'target-accuracy': {
    label: 'Target accuracy',
    what: 'A rank rule: the smallest model whose accuracy on the 1,000 calibration images reaches the target, found by bisection over another rule\'s knob.',
    formula: 'bisect the knob (τ, ε or budget) until calibration accuracy ≥ target',
    read: 'The result is checked on the calibration images, not the test images, so the test accuracy can land a little either side of the target.',
  },
} satisfies Record<string, Term>;

/** The name of an explained term: a key of GLOSSARY. */
export type TermName = keyof typeof GLOSSARY;

/** The explanation of `name`. */
export function termOf(name: TermName): Term {
  return GLOSSARY[name];
}
