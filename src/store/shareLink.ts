import { formatGroupSpec, formatRankSpec } from '../model/rankSpec';
import { writeUrlState, type UrlState } from './urlState';
import type { LabState } from './types';

/**
 * The share link of what is on screen: the store's shared state written
 * through URL_PROPS. The page entry puts it into the address bar after
 * every change (history.replaceState, no reload) and the share bar copies
 * it. The link's lesson step counts from 1; the store's lessonStep from 0.
 */

/** Keys a link forces for the whole page (backend, SVD engine); they travel unchanged. */
export type ForcedKeys = Pick<UrlState, 'backend' | 'svd'>;

/** The store fields a link is written from; linkChanged watches exactly these. */
const LINK_FIELDS = ['modelId', 'plan', 'method', 'groups', 'inputScale', 'lessonStep', 'presenting'] as const;

/** The parts of the store a link is written from. */
export type LinkSource = Pick<LabState, (typeof LINK_FIELDS)[number]>;

/** The shared keys of `s`, plus the `forced` ones. A model opened from files has no id, so the link carries no model. */
export function linkState(s: LinkSource, forced: ForcedKeys = {}): UrlState {
  return {
    backend: forced.backend,
    svd: forced.svd,
    model: s.modelId ?? undefined,
    ranks: formatRankSpec(s.plan) || undefined,
    method: s.method === 'svd' ? undefined : s.method,
    groups: s.method === 'alds' ? formatGroupSpec(s.groups) || undefined : undefined,
    // A scale the user chose travels with the link; a detected one is detected again.
    scale: s.inputScale?.how === 'chosen' ? s.inputScale.scale : undefined,
    lesson: s.lessonStep === null ? undefined : s.lessonStep + 1,
    present: s.presenting && s.lessonStep !== null ? true : undefined,
  };
}

/** The query string (`?model=...` or '') of `s`'s link. */
export function shareSearch(s: LinkSource, forced: ForcedKeys = {}): string {
  return writeUrlState('', linkState(s, forced));
}

/** Whether the link's state changed between two store states (what the address bar follows). */
export function linkChanged(s: LinkSource, prev: LinkSource): boolean {
  return LINK_FIELDS.some((field) => s[field] !== prev[field]);
}

/**
 * Why a link of `s` cannot reproduce what is on screen, or null when it can:
 * a model opened from the user's files stays on their machine, so the link
 * carries the ranks but not the model.
 */
export function linkCaveat(s: Pick<LabState, 'modelId' | 'modelName'>): string | null {
  if (s.modelId !== null || s.modelName === null) return null;
  return `${s.modelName} was opened from your own files, and a model itself cannot travel in a link: whoever opens it gets the default bundled model, and the ranks apply only if its layers have the same names.`;
}
