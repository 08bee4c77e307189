import { formatRankSpec } from '../model/rankSpec';
import { describeError } from '../model/errors';
import type { SvdFn } from '../model/factors';
import type { BackendInfo } from './env';
import type { Runtime } from './runtime';
import type { HistoryPoint, LabState } from './types';

/**
 * Recovery from a lost GPU (issue 11, part 4). When the WebGPU device dies
 * (a driver reset, `device.destroy()`), every tensor of the open session is
 * gone and any read-back in flight never completes normally. The lab then
 * stops the work on it, frees the session, starts a backend again (a new
 * WebGPU device, or wasm), opens the same model again at the user's ranks
 * and puts back what the user chose and what was measured: method, channel
 * groups, selected layer, the size/accuracy history, kept sweeps and the
 * method comparison (plain data of the same model and test images). A
 * notice says what happened and which backend runs now.
 */

type Set = (partial: Partial<LabState>) => void;
type Get = () => LabState;

/** A restart of compute: the backend that now runs and where SVDs run on it. */
export type BackendRestart = () => Promise<{ backend: BackendInfo; svd: SvdFn }>;

/** Recovers from a lost GPU (see the file comment); one recovery at a time, a second loss during one waits for it and runs after. */
export function recoverBackend(rt: Runtime, set: Set, get: Get, reason: string, restart: BackendRestart): Promise<void> {
  const previous = rt.recovery ?? Promise.resolve();
  const run = previous.then(() => recover(rt, set, get, reason, restart));
  rt.recovery = run;
  void run.finally(() => { if (rt.recovery === run) rt.recovery = null; });
  return run;
}

async function recover(rt: Runtime, set: Set, get: Get, reason: string, restart: BackendRestart): Promise<void> {
  const before = get();
  const kept = {
    source: rt.source,
    plan: before.plan,
    method: before.method,
    groups: before.groups,
    scale: before.inputScale?.scale,
    selectedLayer: before.selectedLayer,
    history: before.history,
    sweeps: before.sweeps,
    compare: before.compare?.status === 'done' ? before.compare : null,
  };
  set({ backendNotice: `The GPU was lost (${reason}). The lab is restarting its backend and will recompute the scores at your settings.` });
  // Nothing on the lost device can finish: stop it all. A loop stuck on a read-back is abandoned (a new generation owns evalLoop).
  rt.load?.abort();
  rt.sweep?.abort();
  rt.evaluation?.abort();
  rt.comparison?.abort();
  rt.rule?.abort();
  rt.evalGeneration++;
  rt.evalLoop = null;
  const session = rt.session;
  rt.session = null;
  rt.methodContext = null;
  rt.results = new Map();
  rt.failures = new Map();
  // Its tensors' data died with the device; freeing them releases TF.js's records of them.
  session?.dispose();
  let backend: BackendInfo;
  try {
    const started = await restart();
    backend = started.backend;
    rt.env.backend = backend;
    rt.env.svd = started.svd;
  } catch (err) {
    set({ backendNotice: null, evaluating: false, error: `The GPU was lost (${reason}) and the lab could not start a backend again: ${describeError(err)}` });
    return;
  }
  set({ backend });
  const where = backend.name === 'webgpu' ? 'restarted WebGPU on a new device' : `switched to ${backend.name}`;
  if (!kept.source) {
    set({ evaluating: false, backendNotice: `The GPU was lost (${reason}); the lab ${where}. Open a model to continue.` });
    return;
  }
  await get().openModel(kept.source, formatRankSpec(kept.plan), kept.scale);
  if (get().phase !== 'ready' || rt.session === null) {
    set({ backendNotice: `The GPU was lost (${reason}); the lab ${where} but could not open the model again.` });
    return;
  }
  // The same model at the same ranks: put back the user's choices and what was already measured.
  set({
    groups: kept.groups,
    history: mergeHistory(get().history, kept.history),
    sweeps: kept.sweeps,
    ...(kept.compare ? { compare: kept.compare } : {}),
    ...(kept.selectedLayer ? { selectedLayer: kept.selectedLayer } : {}),
    backendNotice: `The GPU was lost (${reason}); the lab ${where}, opened the model again and recomputed the scores at your settings (method ${kept.method}, the same ranks).`,
  });
  get().setMethod(kept.method);
}

/** The points of `earlier` first, then those of `fresh` not among them (by key). */
function mergeHistory(fresh: readonly HistoryPoint[], earlier: readonly HistoryPoint[]): HistoryPoint[] {
  const seen = new Set(earlier.map((h) => h.key));
  return [...earlier, ...fresh.filter((h) => !seen.has(h.key))];
}
