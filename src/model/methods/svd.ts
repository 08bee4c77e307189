import { UNIFORM_RANKS, type FactorMethod } from './context';

/**
 * Plain truncated SVD (NN-SVD's factors U_k sqrt(S_k) and sqrt(S_k) V_k^T):
 * no factors of its own, the session slices them from the SVD it took when
 * the model was opened.
 */
export const svdMethod: FactorMethod = {
  hint: 'truncated SVD: U sqrt(S) and sqrt(S) V^T',
  storage: '',
  grouped: false,
  compare: UNIFORM_RANKS,
  factors: null,
};
