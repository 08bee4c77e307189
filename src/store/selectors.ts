import { downloadExtraBytes, planKey, type GroupPlan } from '../model/plan';
import { relativeTruncationError, spectralTruncationError } from '../core/factors';
import { asRank } from '../core/units';
import type { LabState } from './types';

/**
 * Derived values components select, so the UI never computes them itself.
 */

/** Key of the configuration on screen (method, ranks, and ALDS's groups); results are shown only when their key equals it. */
export function selectPlanKey(state: Pick<LabState, 'layers' | 'plan' | 'method' | 'groups'>): string {
  const key = planKey(state.layers, state.plan, selectGroups(state));
  return state.method === 'svd' ? key : `${state.method}|${key}`;
}

/** The channel groups in effect: ALDS's when its grouped-SVD method is selected, none otherwise. */
export function selectGroups(state: Pick<LabState, 'method' | 'groups'>): GroupPlan {
  return state.method === 'alds' ? state.groups : NO_GROUPS;
}

const NO_GROUPS: GroupPlan = {};

/** Bytes the download's weights take beyond the size shown (ALDS groups of a Conv2D, which stock TF.js layers store with repeats); 0 for other configurations. */
export function selectDownloadExtraBytes(state: Pick<LabState, 'layers' | 'plan' | 'method' | 'groups'>): number {
  return downloadExtraBytes(state.layers, state.plan, selectGroups(state));
}

/** The selected layer's singular values and what its current rank drops, for the spectrum view. */
export interface SpectrumView {
  layer: string;
  /** Singular values, descending. */
  values: Float64Array;
  rank: number;
  /** ||W - W_k||_F / ||W||_F of the best rank-k approximation. */
  relativeError: number;
  /** s_{k+1} / s_1: the relative spectral-norm error. */
  spectralError: number;
}

/** SpectrumView of the selected layer, or null when it has no cached SVD. */
export function selectSpectrum(state: Pick<LabState, 'selectedLayer' | 'spectra' | 'plan'>): SpectrumView | null {
  const layer = state.selectedLayer;
  const values = layer ? state.spectra[layer] : undefined;
  if (!layer || !values || values.length === 0) return null;
  const rank = state.plan[layer] ?? values.length;
  const svd = { s: values, r: values.length };
  return {
    layer,
    values,
    rank,
    relativeError: relativeTruncationError(svd, asRank(rank)),
    spectralError: values[0] > 0 ? spectralTruncationError(svd, asRank(rank)) / values[0] : 0,
  };
}

/** What the charts' score axis measures: accuracy, or for a model without MNIST labels, top-1 agreement with the original. */
export function selectScoreName(state: Pick<LabState, 'noAccuracy'>): 'accuracy' | 'agreement' {
  return state.noAccuracy ? 'agreement' : 'accuracy';
}
