import { asRank } from '../core/units';
import { describeError, isCancellation } from '../model/errors';
import { NonFiniteError } from '../model/evaluate';
import { planSize } from '../model/plan';
import { factorPlan, scoreFactoredPlan } from '../model/methods/factorPlan';
import { knobRuleOutcome, targetOutcome } from '../model/rules/target';
import { methodContext, type Runtime } from './runtime';
import { recoverBackend } from './backendRecovery';
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

/** What the lab says about a configuration that gave NaN or Infinity: the method, the ranks and the layer at fault. */
export function nonFiniteMessage(method: string, key: string, err: NonFiniteError): string {
  return `The ${method} configuration ${key} cannot be scored: ${err.message}. Its numbers are not shown or plotted; pick other ranks or another method.`;
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
  const generation = rt.evalGeneration;
  await Promise.resolve(); // lets scheduleEvaluation store this promise before the loop can finish
  try {
    await evaluateUntilCurrent(rt, set, get, generation);
  } catch (err) {
    if (generation === rt.evalGeneration) rt.evalLoop = null;
    throw err;
  }
}

async function evaluateUntilCurrent(rt: Runtime, set: Set, get: Get, generation: number): Promise<void> {
  for (;;) {
    // Abandoned by a backend restart (see backendRecovery.ts): a newer loop owns evalLoop now.
    if (generation !== rt.evalGeneration) return;
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
    const failed = rt.failures.get(key);
    if (failed !== undefined) {
      rt.evalLoop = null;
      set({ evaluating: false, nonFinite: { key, message: failed }, error: failed });
      return;
    }
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
        // Cancelled, or its session was closed under it (a lost GPU's tensors freed): nothing to report.
        if (isCancellation(err) || rt.session !== session) continue;
        if (err instanceof NonFiniteError) {
          // Remembered for this session, so returning to the configuration reports it again without rescoring.
          rt.failures.set(key, nonFiniteMessage(method, key, err));
          continue;
        }
        rt.evalLoop = null;
        set({ evaluating: false, error: `Evaluation failed: ${describeError(err)}` });
        return;
      } finally {
        if (rt.evaluation === controller) rt.evaluation = null;
      }
      if (rt.session !== session || generation !== rt.evalGeneration) continue;
      rt.results.set(key, result);
      appendHistory(set, get, [historyPoint(key, result.accuracy, bytes)]);
    }
    if (rt.session === session && selectPlanKey(get()) === key) {
      rt.evalLoop = null;
      // A configuration that scores again takes the not-a-number message of an earlier one off the banner.
      const stale = get().nonFinite;
      set({ current: { key, result, bytes }, evaluating: false, ...(stale ? { nonFinite: null, error: get().error === stale.message ? null : get().error } : {}) });
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
  nonFinite: null,
  backendNotice: null,

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

  recoverBackend(reason, restart) {
    return recoverBackend(rt, set, get, reason, restart);
  },

  selectLayer(layer) {
    if (get().layers.some((l) => l.name === layer && l.factorizable)) set({ selectedLayer: layer });
  },

  cachedTensors() {
    return rt.session?.cachedTensors ?? 0;
  },

  async whenIdle() {
    while (rt.evalLoop || rt.sweepRun || rt.load || rt.recovery) {
      await Promise.allSettled([rt.evalLoop, rt.sweepRun, rt.recovery]);
      if (rt.load) await new Promise((r) => setTimeout(r, 10));
    }
  },
});
