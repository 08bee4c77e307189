import { planSize } from '../model/plan';
import { scheduleEvaluation } from './evalSlice';
import { selectGroups } from './selectors';
import type { Runtime } from './runtime';
import type { ConfigSnapshot, HistorySlice, LabState } from './types';
import type { StoreApi } from 'zustand/vanilla';

/**
 * Undo and Redo of rank and method changes, and Reset. The slice watches
 * the store: every change of ranks, method or channel groups that did not
 * come from Undo/Redo pushes the configuration before it onto a bounded
 * undo stack and clears Redo. A slider drag is one step: changes of the
 * same single layer within COALESCE_MS of the previous change extend the
 * step instead of adding one (the clock is the env's, so tests pass their
 * own). Opening another model empties both stacks (their plans name its
 * layers).
 */

/** Most undo steps kept; the oldest is dropped first. */
export const UNDO_LIMIT = 100;
/** Changes of the same layer closer together than this are one undo step (a slider drag, held arrow keys). */
export const COALESCE_MS = 500;

type Set = (partial: Partial<LabState>) => void;
type Get = () => LabState;

function snapshot(s: Pick<LabState, 'plan' | 'method' | 'groups'>): ConfigSnapshot {
  return { plan: s.plan, method: s.method, groups: s.groups };
}

/** The one layer whose rank differs between two plans, or null when none or several do. */
function singleChangedLayer(a: LabState['plan'], b: LabState['plan']): string | null {
  const names = new Set([...Object.keys(a), ...Object.keys(b)]);
  const changed = [...names].filter((n) => a[n] !== b[n]);
  return changed.length === 1 ? changed[0] : null;
}

/** The history slice; `api` lets it watch every change of the store it belongs to. */
export const createHistorySlice = (rt: Runtime) => (set: Set, get: Get, api: StoreApi<LabState>): HistorySlice => {
  const now = () => (rt.env.now ? rt.env.now() : Date.now());
  let restoring = false;
  // The step being extended: which layer, and when it last changed.
  let open: { layer: string; at: number } | null = null;

  api.subscribe((s, prev) => {
    if (s.modelId !== prev.modelId || s.layers !== prev.layers) {
      open = null;
      if (s.undoStack.length > 0 || s.redoStack.length > 0) set({ undoStack: [], redoStack: [] });
      return;
    }
    if (restoring || (s.plan === prev.plan && s.method === prev.method && s.groups === prev.groups)) return;
    const layer = s.method === prev.method && s.groups === prev.groups ? singleChangedLayer(s.plan, prev.plan) : null;
    const t = now();
    const extends_ = layer !== null && open !== null && open.layer === layer && t - open.at < COALESCE_MS;
    open = layer === null ? null : { layer, at: t };
    if (extends_) return;
    set({ undoStack: [...s.undoStack, snapshot(prev)].slice(-UNDO_LIMIT), redoStack: [] });
  });

  /** Puts `target` on screen without recording it, and schedules its evaluation. */
  function restore(target: ConfigSnapshot, stacks: Pick<LabState, 'undoStack' | 'redoStack'>): void {
    restoring = true;
    try {
      open = null;
      const size = planSize(get().layers, target.plan, selectGroups(target));
      set({ ...stacks, plan: target.plan, method: target.method, groups: target.groups, size });
    } finally {
      restoring = false;
    }
    scheduleEvaluation(rt, set, get);
  }

  return {
    undoStack: [],
    redoStack: [],

    undo() {
      const { undoStack, redoStack } = get();
      const target = undoStack.at(-1);
      if (!target || get().phase !== 'ready') return;
      restore(target, { undoStack: undoStack.slice(0, -1), redoStack: [...redoStack, snapshot(get())] });
    },

    redo() {
      const { undoStack, redoStack } = get();
      const target = redoStack.at(-1);
      if (!target || get().phase !== 'ready') return;
      restore(target, { undoStack: [...undoStack, snapshot(get())].slice(-UNDO_LIMIT), redoStack: redoStack.slice(0, -1) });
    },

    resetConfiguration() {
      const s = get();
      if (s.phase !== 'ready' || (Object.keys(s.plan).length === 0 && s.method === 'svd')) return;
      open = null;
      // Recorded like any other change (one undo step), through the store watcher above.
      set({ plan: {}, method: 'svd', groups: {}, ruleDetail: null, size: planSize(s.layers, {}, {}) });
      scheduleEvaluation(rt, set, get);
    },
  };
};
