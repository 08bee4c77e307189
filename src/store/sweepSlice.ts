import { CancelledError, describeError, isCancellation } from '../model/errors';
import { planSize } from '../model/plan';
import { factorPlan, scoreFactoredPlan } from '../model/methods/factorPlan';
import { methodContext } from './runtime';
import { selectGroups, selectPlanKey } from './selectors';
import { appendHistory, historyPoint } from './evalSlice';
import { sweepRanks } from './sweepRanks';
import { createGroupSpectraActions } from './groupSpectra';
import type { Runtime } from './runtime';
import type { FactorizableLayer } from '../model/labModel';
import type { HistoryPoint, LabState, SweepSlice, SweepState } from './types';

/**
 * Rank sweeps: accuracy of the model as one layer's rank runs over its range
 * while the other layers stay at their current ranks. Results are shared
 * with the slider's cache, progress is published at most every 100 ms, and
 * Cancel (or opening another model, or a new sweep) stops it between
 * evaluations. Finished sweeps of other layers and methods are kept (up to
 * SWEEPS_KEPT) so the rank chart can overlay them.
 */

type Set = (partial: Partial<LabState>) => void;
type Get = () => LabState;

/** Key of the configuration with `layer`'s rank left out (method, other ranks, groups): a sweep is current while this is unchanged. */
export function sweepBaseKey(state: Pick<LabState, 'layers' | 'plan' | 'method' | 'groups'>, layer: string): string {
  return selectPlanKey({ ...state, layers: state.layers.filter((l) => l.name !== layer) });
}

/** How many sweeps the rank chart keeps overlaid: past this the oldest goes. */
export const SWEEPS_KEPT = 8;

/**
 * `sweeps` with `sweep` in it as the newest entry: an earlier state of the
 * same sweep (same id), and a sweep of the same layer, method and other
 * ranks (same baseKey), are replaced; a finished sweep without points is
 * dropped; past `cap` the oldest go. Pure: returns a new array.
 */
export function keepSweep(sweeps: readonly SweepState[], sweep: SweepState, cap: number = SWEEPS_KEPT): SweepState[] {
  const same = (s: SweepState) => s.id === sweep.id || (s.layer === sweep.layer && s.method === sweep.method && s.baseKey === sweep.baseKey);
  const kept = sweeps.filter((s) => !same(s));
  if (sweep.status === 'running' || sweep.points.length > 0) kept.push(sweep);
  return kept.slice(Math.max(0, kept.length - cap));
}

/** The sweep slice: one sweep running at a time, with progress and cancel; finished ones kept for the chart. */
export const createSweepSlice = (rt: Runtime) => (set: Set, get: Get): SweepSlice => ({
  sweep: null,
  sweeps: [],
  ...createGroupSpectraActions(rt, set, get),

  async startSweep(layerName) {
    const state = get();
    const layer = state.layers.find((l): l is FactorizableLayer => l.name === (layerName ?? state.selectedLayer) && l.factorizable);
    const session = rt.session;
    if (!layer || !session) return;
    rt.sweep?.abort();
    await rt.sweepRun?.catch(() => undefined);
    const controller = new AbortController();
    rt.sweep = controller;
    const ranks = sweepRanks(layer.kernelShape[0], layer.kernelShape[1], layer.rankLimit);
    const basePlan = get().plan;
    const { method, groups } = get();
    let sweep: SweepState = {
      id: ++sweepCount, layer: layer.name, baseKey: sweepBaseKey(get(), layer.name), method,
      status: 'running', done: 0, total: ranks.length, points: [],
    };
    set({ sweep, sweeps: keepSweep(get().sweeps, sweep) });
    const pendingHistory: HistoryPoint[] = [];
    let lastFlush = 0;
    const flush = (final: boolean) => {
      const now = Date.now();
      if (!final && now - lastFlush < 100) return;
      lastFlush = now;
      if (rt.sweep === controller || final) {
        set({ sweep, sweeps: keepSweep(get().sweeps, sweep) });
        appendHistory(set, get, pendingHistory.splice(0));
      }
    };
    const run = async () => {
      try {
        for (const rank of ranks) {
          if (controller.signal.aborted || rt.session !== session) throw new CancelledError();
          const plan = { ...basePlan, [layer.name]: rank };
          const key = selectPlanKey({ layers: get().layers, plan, method, groups });
          // Another factor method is scored through its factors (cached per layer and rank), as the slider is.
          const point = method === 'svd' ? null : await factorPlan(await methodContext(rt), method, plan, selectGroups({ method, groups }), controller.signal);
          let result = rt.results.get(key);
          if (!result) {
            result = point ? await scoreFactoredPlan(session, point, controller.signal) : await session.evaluate(plan, controller.signal);
            rt.results.set(key, result);
          }
          const bytes = point ? point.bytes : planSize(get().layers, plan).bytes;
          pendingHistory.push(historyPoint(key, result.accuracy, bytes));
          sweep = { ...sweep, done: sweep.done + 1, points: [...sweep.points, { rank, accuracy: result.accuracy, bytes }] };
          flush(false);
        }
        sweep = { ...sweep, status: 'done' };
      } catch (err) {
        sweep = { ...sweep, status: isCancellation(err) ? 'cancelled' : 'failed' };
        if (!isCancellation(err)) set({ error: `Sweep failed: ${describeError(err)}` });
      }
      if (rt.session === session) flush(true);
    };
    rt.sweepRun = run().finally(() => {
      if (rt.sweep === controller) {
        rt.sweep = null;
        rt.sweepRun = null;
      }
    });
    await rt.sweepRun;
  },

  cancelSweep() {
    rt.sweep?.abort();
  },

  clearSweeps() {
    const running = get().sweeps.filter((s) => s.status === 'running');
    set({ sweeps: running, sweep: running.length > 0 ? get().sweep : null });
  },
});

/** Ids of sweeps, counted over the page's life (two stores never share a slice's count: ids are only compared within one store). */
let sweepCount = 0;
