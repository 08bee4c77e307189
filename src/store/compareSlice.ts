import { compareCsv, compareMethods } from '../model/compare';
import { describeError, isCancellation } from '../model/errors';
import type { Runtime } from './runtime';
import type { CompareSlice, LabState } from './types';

/**
 * The method comparison as a store action: runs every method over its knob
 * on the open model with progress (published at most every 200 ms) and
 * Cancel; opening another model cancels it too. Rows can be saved as CSV.
 */

type Set = (partial: Partial<LabState>) => void;
type Get = () => LabState;

/** The comparison slice. */
export const createCompareSlice = (rt: Runtime) => (set: Set, get: Get): CompareSlice => ({
  compare: null,

  async startCompare() {
    const session = rt.session;
    if (!session || get().compare?.status === 'running') return;
    const controller = new AbortController();
    rt.comparison = controller;
    set({ compare: { status: 'running', done: 0, total: 1, label: 'calibration inputs', rows: [] } });
    let last = 0;
    try {
      const calibration = await rt.env.loadCalibrationSample();
      const rows = await compareMethods(session, calibration, {
        signal: controller.signal,
        svd: rt.env.svd,
        run: rt.env.factorJob,
        onProgress: (done, total, label) => {
          const now = Date.now();
          if (now - last < 200 && done < total) return;
          last = now;
          set({ compare: { status: 'running', done, total, label, rows: get().compare?.rows ?? [] } });
        },
      });
      if (rt.session === session) set({ compare: { status: 'done', done: 1, total: 1, label: '', rows } });
    } catch (err) {
      const cancelled = isCancellation(err) || controller.signal.aborted;
      set({ compare: { ...(get().compare ?? { done: 0, total: 1, label: '', rows: [] }), status: cancelled ? 'cancelled' : 'failed' } });
      if (!cancelled) set({ error: `Comparison failed: ${describeError(err)}` });
    } finally {
      if (rt.comparison === controller) rt.comparison = null;
    }
  },

  cancelCompare() {
    rt.comparison?.abort();
  },

  exportCompareCsv() {
    const c = get().compare;
    if (c && c.rows.length > 0) rt.env.saveText(`${get().modelName ?? 'model'}-methods.csv`, compareCsv(c.rows));
  },
});
