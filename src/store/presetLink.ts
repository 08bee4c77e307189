import { findPreset } from './presets';
import type { KnobRule } from '../model/rules/registry';
import type { UrlState } from './urlState';

/**
 * A share link's `?preset=` turned into the keys it stands for. Kept apart
 * from urlState.ts, which imports the browser's backend module (it sets the
 * wasm binaries' URLs on import), so the store's boot can use it in Node.
 */

/** A link with its preset expanded: the preset's keys under the link's own, and the rule the preset applies after opening. */
export type ExpandedLink = UrlState & { rule?: { name: KnobRule; value: number } };

/**
 * Expands `?preset=` into the keys it stands for. Keys the link gives itself
 * win; a preset's rule is dropped when the link gives its own ranks (the
 * ranks say what the user wants on screen).
 */
export function expandPreset(state: UrlState): ExpandedLink {
  const preset = state.preset === undefined ? undefined : findPreset(state.preset);
  if (!preset) return { ...state };
  const { preset: _name, ...own } = state;
  const rule = own.ranks === undefined ? preset.rule : undefined;
  // A rule sets its own method (ALDS: its grouped SVD, with the groups it picks) once the model is open.
  return { model: preset.model, method: rule ? undefined : preset.method, ranks: preset.ranks, ...dropUndefined(own), rule };
}

function dropUndefined(state: UrlState): UrlState {
  return Object.fromEntries(Object.entries(state).filter(([, v]) => v !== undefined)) as UrlState;
}
