import { planKey } from '../model/plan';
import type { LabState } from './types';

/**
 * Derived values components select, so the UI never computes them itself.
 */

/** Key of the ranks on screen; results are shown only when their key equals it. */
export function selectPlanKey(state: Pick<LabState, 'layers' | 'plan'>): string {
  return planKey(state.layers, state.plan);
}
