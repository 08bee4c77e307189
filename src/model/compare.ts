import type { MnistSample } from '../core/mnist';
import { dequantize, quantizeSymmetric, quantizedBytes } from '../core/quantize';
import { throwIfCancelled } from './errors';
import { yieldToEventLoop } from './slices';
import type { SvdFn } from './factors';
import type { FactorJobFn } from './factorJobs';
import { createMethodContext, type MethodContext } from './methods/context';
import { factorPlan, scoreFactoredPlan, uniformPlan, type FactoredPlan } from './methods/factorPlan';
import { FACTOR_METHODS, FACTOR_METHOD_NAMES } from './methods/registry';
import { KNOB_RULES, KNOB_RULE_NAMES } from './rules/registry';
import { aldsAllocation, aldsPlan } from './rules/alds';
import type { LabSession } from './session';

/**
 * The method comparison: curves of accuracy on the full test set against
 * stored bytes, drawn from the registries - every factor method at its
 * uniform ranks, every rank rule over its knob values (with plain SVD
 * factors, or the method the rule implies), and int8 dense kernels as the
 * reference. Calibration inputs come from the calibration sample (training
 * images), never the test set. The same rows feed the CLI table and CSV.
 */

/** One configuration's outcome. */
export interface CompareRow {
  method: string;
  knob: string;
  value: number;
  bytes: number;
  /** bytes / original float32 bytes. */
  share: number;
  accuracy: number;
  detail: string;
  /**
   * The factorizable layers this configuration leaves dense: for a uniform
   * rank k, those where k (m + n) >= m n (the factors would not shrink
   * them), so the point is not rank k there and its label says so.
   */
  keptDense: readonly string[];
}

/** A row's knob value with the layers it keeps dense: "32 (fc2, out kept dense)" (the CLI's value column). */
export function knobValue(row: CompareRow): string {
  return `${row.value}${row.keptDense.length > 0 ? ` (${row.keptDense.join(', ')} kept dense)` : ''}`;
}

/** A row's knob setting as the chart's table shows it: "rank k (all layers) = 32 (fc2, out kept dense)". */
export function knobSetting(row: CompareRow): string {
  return `${row.knob} = ${knobValue(row)}`;
}

/** The factorizable layers a factored plan leaves out, i.e. keeps dense. */
export function keptDenseLayers(layers: readonly { name: string }[], point: FactoredPlan): string[] {
  return point.plan ? layers.filter((l) => point.plan![l.name] === undefined).map((l) => l.name) : [];
}

/** Progress and cancellation of a comparison run. */
export interface CompareOptions {
  methods?: readonly string[];
  onProgress?: (done: number, total: number, label: string) => void;
  signal?: AbortSignal;
  /** Where the full SVDs run (the browser's worker keeps the page responsive); inline by default. */
  svd?: SvdFn;
  /** Where the factor methods' slow work runs (the browser's worker); inline by default. */
  run?: FactorJobFn;
}

/** A curve of the comparison: its name, knob label and values, and how a knob value becomes a factored plan. */
export interface CompareCurve {
  name: string;
  knob: string;
  values: readonly number[];
  point(ctx: MethodContext, value: number, signal?: AbortSignal): Promise<FactoredPlan>;
}

/** Every dense kernel of the factorizable layers stored as int8 per output channel: the reference a low-rank method must beat. */
const INT8_DENSE: CompareCurve = {
  name: 'int8 dense',
  knob: '(reference)',
  values: [8],
  async point(ctx) {
    const kernels = new Map<string, { kernel: Float32Array }>();
    const touched = new Set(ctx.layers.map((l) => l.name));
    let bytes = 4 * ctx.session.layers.filter((l) => !touched.has(l.name)).reduce((s, l) => s + l.params, 0);
    for (const l of ctx.layers) {
      const [m, n] = l.kernelShape;
      const q = quantizeSymmetric(ctx.session.kernelWeights(l.name).kernel, m, n, 8, 'column');
      kernels.set(l.name, { kernel: dequantize(q) });
      bytes += quantizedBytes(m, n, 8, n) + (l.params - m * n) * 4;
    }
    return { kernels, bytes, detail: 'every Dense kernel int8 per output channel' };
  },
};

/** The comparison's curves, read from the method and rule registries. */
export const COMPARE_CURVES: readonly CompareCurve[] = [
  ...FACTOR_METHOD_NAMES.flatMap((name): CompareCurve[] => {
    const curve = FACTOR_METHODS[name].compare;
    if (!curve) return [];
    return [{ name, knob: curve.knob, values: curve.ranks, point: (ctx, k, signal) => factorPlan(ctx, name, uniformPlan(ctx.layers, k), {}, signal) }];
  }),
  ...KNOB_RULE_NAMES.map((name): CompareCurve => {
    const rule = KNOB_RULES[name];
    if (name === 'alds') {
      // ALDS's budgets share one job (the group SVDs); a budget below the smallest model is left out of the curve.
      return {
        name, knob: 'budget (share of params)', values: rule.compareValues,
        async point(ctx, share, signal) {
          const allocation = await aldsAllocation(ctx, share, signal, rule.compareValues);
          if (!allocation) return { kernels: new Map(), bytes: NaN, detail: 'budget too small' };
          const { plan, groups } = aldsPlan(allocation);
          const point = await factorPlan(ctx, 'alds', plan, groups, signal);
          return { ...point, detail: allocation.layers.map((c) => `${c.name}: k=${c.groups} j=${c.rank ?? 'dense'}`).join(', ') };
        },
      };
    }
    return {
      name, knob: rule.knob.label, values: rule.compareValues,
      async point(ctx, value, signal) {
        const outcome = await rule.outcome(ctx, value, signal);
        return factorPlan(ctx, outcome.method ?? 'svd', outcome.plan, outcome.groups, signal);
      },
    };
  }),
  INT8_DENSE,
];

/** Scores every method's configurations; throws CancelledError when `signal` aborts. */
export async function compareMethods(session: LabSession, calibration: MnistSample, options: CompareOptions = {}): Promise<CompareRow[]> {
  const ctx = await createMethodContext(session, calibration, options);
  const methods = options.methods ? COMPARE_CURVES.filter((m) => options.methods!.includes(m.name)) : COMPARE_CURVES;
  const total = methods.reduce((s, m) => s + m.values.length, 0);
  const original = session.layers.reduce((s, l) => s + 4 * l.params, 0);
  const rows: CompareRow[] = [];
  for (const method of methods) {
    for (const value of method.values) {
      // Let the page paint progress and take a Cancel click between configurations.
      await yieldToEventLoop();
      throwIfCancelled(options.signal);
      options.onProgress?.(rows.length, total, `${method.name} ${value}`);
      const point = await method.point(ctx, value, options.signal);
      if (!Number.isFinite(point.bytes)) continue;
      const result = await scoreFactoredPlan(session, point, options.signal);
      const keptDense = keptDenseLayers(ctx.layers, point);
      rows.push({ method: method.name, knob: method.knob, value, bytes: point.bytes, share: point.bytes / original, accuracy: result.accuracy, detail: point.detail, keptDense });
    }
  }
  options.onProgress?.(total, total, 'done');
  return rows;
}

/**
 * The best accuracy a method reaches within a share of the original bytes:
 * the best of its configurations at or below the share, and the linear
 * interpolation between the two configurations around it where there are
 * two; null when the method has no configuration that small.
 */
export function accuracyWithinShare(rows: readonly CompareRow[], method: string, share: number): number | null {
  const points = rows.filter((r) => r.method === method).sort((a, b) => a.share - b.share);
  let best: number | null = null;
  for (const [i, p] of points.entries()) {
    if (p.share <= share) best = Math.max(best ?? 0, p.accuracy);
    const lo = points[i - 1];
    if (lo && lo.share <= share && share <= p.share && p.share > lo.share) {
      const t = (share - lo.share) / (p.share - lo.share);
      best = Math.max(best ?? 0, lo.accuracy + t * (p.accuracy - lo.accuracy));
    }
  }
  return best;
}

/** The rows as CSV (header line first). */
export function compareCsv(rows: readonly CompareRow[]): string {
  const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;
  return ['method,knob,value,bytes,share,accuracy,detail,kept_dense',
    ...rows.map((r) => [r.method, quote(r.knob), r.value, r.bytes, r.share.toFixed(4), r.accuracy.toFixed(4), quote(r.detail), quote(r.keptDense.join(' '))].join(','))].join('\n');
}
