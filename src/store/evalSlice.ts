import { asRank } from '../core/units';
import { describeError, isCancellation } from '../model/errors';
import { planSize } from '../model/plan';
import { factorPlan, scoreFactoredPlan } from '../model/methods/factorPlan';
import { knobRuleOutcome, targetOutcome } from '../model/rules/target';
import { methodContext, type Runtime } from './runtime';
import { selectGroups, selectPlanKey } from './selectors';
import type { EvalSlice, HistoryPoint, LabState } from './types';

/**
 * Ranks and their evaluation. A slider move updates the plan and its sizes at
 * once and schedules an evaluation; one evaluation loop runs at a time, a
 * newer plan aborts the one in flight between chunks, and a result is only
 * published while its plan is still the one on screen.
 */

type Set = (partial: Partial<LabState>) => void;
type Get = () => LabState;

/** A history point for a plan key whose result is known. */
export function historyPoint(key: string, accuracy: number, bytes: number): HistoryPoint {
  return { key, bytes, accuracy };
}

/** Adds points to the size/accuracy history, skipping keys already there. */
export function appendHistory(set: Set, get: Get, points: HistoryPoint[]): void {
  const seen = new Set(get().history.map((h) => h.key));
  const fresh = points.filter((p) => !seen.has(p.key) && seen.add(p.key));
  if (fresh.length > 0) set({ history: [...get().history, ...fresh] });
}

/** Starts (or redirects) the evaluation loop toward the plan now on screen. */
export function scheduleEvaluation(rt: Runtime, set: Set, get: Get): void {
  rt.evaluation?.abort();
  if (!get().evaluating) set({ evaluating: true });
  if (!rt.evalLoop) rt.evalLoop = runEvalLoop(rt, set, get);
}

/**
 * Evaluates until the configuration on screen has its result.
 * evaluateUntilCurrent clears rt.evalLoop in the same synchronous step as
 * its last check of the plan (not in a later finally), so a slider move can
 * never land between "finished" and "cleared" and be left unevaluated.
 */
async function runEvalLoop(rt: Runtime, set: Set, get: Get): Promise<void> {
  await Promise.resolve(); // lets scheduleEvaluation store this promise before the loop can finish
  try {
    await evaluateUntilCurrent(rt, set, get);
  } catch (err) {
    rt.evalLoop = null;
    throw err;
  }
}

async function evaluateUntilCurrent(rt: Runtime, set: Set, get: Get): Promise<void> {
  for (;;) {
    const session = rt.session;
    if (!session) {
      rt.evalLoop = null;
      set({ evaluating: false });
      return;
    }
    const { plan, layers, method } = get();
    const groups = selectGroups(get());
    const key = selectPlanKey(get());
    let result = rt.results.get(key);
    let bytes: number = planSize(layers, plan, groups).bytes;
    // Quantized factors store fewer bytes than the float plan: their size was recorded with the result.
    if (result && method !== 'svd') bytes = get().history.find((h) => h.key === key)?.bytes ?? bytes;
    if (!result) {
      const controller = new AbortController();
      rt.evaluation = controller;
      try {
        if (method === 'svd') {
          result = await session.evaluate(plan, controller.signal);
        } else {
          const point = await factorPlan(await methodContext(rt), method, plan, groups, controller.signal);
          bytes = point.bytes;
          result = await scoreFactoredPlan(session, point, controller.signal);
        }
      } catch (err) {
        if (isCancellation(err)) continue;
        rt.evalLoop = null;
        set({ evaluating: false, error: `Evaluation failed: ${describeError(err)}` });
        return;
      } finally {
        if (rt.evaluation === controller) rt.evaluation = null;
      }
      if (rt.session !== session) continue;
      rt.results.set(key, result);
      appendHistory(set, get, [historyPoint(key, result.accuracy, bytes)]);
    }
    if (rt.session === session && selectPlanKey(get()) === key) {
      rt.evalLoop = null;
      set({ current: { key, result, bytes }, evaluating: false });
      return;
    }
  }
}

/** The ranks slice: plan, sizes, scheduled evaluation and the history of results. */
export const createEvalSlice = (rt: Runtime) => (set: Set, get: Get): EvalSlice => ({
  plan: {},
  selectedLayer: null,
  size: null,
  method: 'svd',
  groups: {},
  ruleRun: null,
  ruleDetail: null,
  current: null,
  original: null,
  evaluating: false,
  history: [],

  setRank(layer, k) {
    const info = get().layers.find((l) => l.name === layer && l.factorizable);
    if (!info || !Number.isFinite(k)) return;
    const rank = asRank(Math.max(1, Math.min(Math.round(k), info.rankLimit)));
    if (get().plan[layer] === rank) return;
    const plan = { ...get().plan, [layer]: rank };
    set({ plan, size: planSize(get().layers, plan, selectGroups(get())), selectedLayer: layer });
    scheduleEvaluation(rt, set, get);
  },

  setMethod(method) {
    if (get().method === method) return;
    set({ method, size: planSize(get().layers, get().plan, selectGroups({ method, groups: get().groups })) });
    scheduleEvaluation(rt, set, get);
  },

  async applyRule(rule, value, base = 'energy') {
    if (!rt.session || get().ruleRun) return;
    const controller = new AbortController();
    rt.rule = controller;
    const label = rule === 'target' ? `target ${(100 * value).toFixed(1)}% on calibration images (${base} knob)` : `${rule} rule`;
    set({ ruleRun: { label, done: 0, total: 1 } });
    try {
      const ctx = await methodContext(rt);
      const outcome = rule === 'target'
        ? (await targetOutcome(ctx, value, base, get().method, {
          signal: controller.signal,
          onStep: (done, total) => set({ ruleRun: { label, done, total } }),
        })).outcome
        : await knobRuleOutcome(ctx, rule, value, get().method, controller.signal);
      if (rt.session !== ctx.session) return;
      const method = outcome.method ?? get().method;
      const groups = outcome.method === 'alds' ? outcome.groups : get().groups;
      set({ plan: outcome.plan, groups, method, ruleDetail: outcome.detail, size: planSize(get().layers, outcome.plan, selectGroups({ method, groups })) });
      scheduleEvaluation(rt, set, get);
    } catch (err) {
      if (!isCancellation(err) && !controller.signal.aborted) set({ error: `The ${rule} rule could not be applied: ${describeError(err)}` });
    } finally {
      if (rt.rule === controller) rt.rule = null;
      set({ ruleRun: null });
    }
  },

  cancelRule() {
    rt.rule?.abort();
  },

  selectLayer(layer) {
    if (get().layers.some((l) => l.name === layer && l.factorizable)) set({ selectedLayer: layer });
  },

  cachedTensors() {
    return rt.session?.cachedTensors ?? 0;
  },

  async whenIdle() {
    while (rt.evalLoop || rt.sweepRun || rt.load) {
      await Promise.allSettled([rt.evalLoop, rt.sweepRun]);
      if (rt.load) await new Promise((r) => setTimeout(r, 10));
    }
  },
});
