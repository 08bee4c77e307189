import type { StoreApi } from 'zustand/vanilla';
import { selectPlanKey } from './selectors';
import type { LabState } from './types';

/**
 * How long a refused file's message stays in the banner: until the user's
 * next step succeeds (a result for another configuration than the one on
 * screen when the message came, or a model opened), or another message or
 * a dismissal replaces it. A result that was already on its way when the
 * file was refused does not count, so the message cannot flash by.
 */

/**
 * Builds a slice whose `create` gets `showRefusal(message)`, which puts
 * `message` in the banner under that rule; the rule is one subscription to
 * the store, made here once per store.
 */
export function withRefusals<T>(
  set: (partial: Partial<LabState>) => void,
  get: () => LabState,
  api: StoreApi<LabState>,
  create: (showRefusal: (message: string) => void) => T,
): T {
  let refusal: { message: string; key: string } | null = null;
  api.subscribe((state, prev) => {
    if (!refusal) return;
    if (state.error !== refusal.message) {
      refusal = null;
    } else if (state.current && state.current !== prev.current && state.current.key !== refusal.key) {
      refusal = null;
      set({ error: null });
    }
  });
  return create((message) => {
    refusal = { message, key: selectPlanKey(get()) };
    set({ error: message });
  });
}
