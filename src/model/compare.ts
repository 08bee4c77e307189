import type { Svd } from '../core/svd';
import type { MnistSample } from '../core/mnist';
import { throwIfCancelled } from './errors';
import { yieldToEventLoop } from './evaluate';
import { inlineSvd, type SvdFn } from './factors';
import { inlineFactorJob, type FactorJobFn } from './factorJobs';
import { collectLayerInputs } from './calibration';
import { SharedWork } from './sharedWork';
import { COMPARE_METHODS, type CompareContext, type CompareMethod, type MethodPoint } from './compareMethods';
import type { EvalResult } from './evaluate';
import type { LabSession } from './session';

/**
 * Runs the method comparison on one open model: every method over its knob
 * values, each configuration scored on the full test set, with the bytes it
 * stores. Calibration inputs come from the calibration sample (training
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

/**
 * What every method needs from a model, gathered once: the SVDs of its
 * factorizable kernels (those the session took at open) and their inputs on
 * the calibration images.
 */
export async function createCompareContext(session: LabSession, calibration: MnistSample, options: Pick<CompareOptions, 'svd' | 'run' | 'signal'> = {}): Promise<CompareContext> {
  const { svd = inlineSvd, run = inlineFactorJob, signal } = options;
  const layers = session.layers.filter((l) => l.factorizable && l.kernelShape);
  const svds = new Map<string, Svd>();
  for (const l of layers) {
    throwIfCancelled(signal);
    // The SVD taken when the model was opened, by the same engine and top-k policy; a kernel is decomposed once per model.
    const known = session.kernelSvd(l.name);
    if (!known) throw new Error(`layer ${l.name} has no SVD from when the model was opened`);
    svds.set(l.name, known);
  }
  return { session, layers, svds, calibration: await collectLayerInputs(session.lab, calibration), sample: calibration, svd, run, work: new SharedWork() };
}


/** Scores every method's configurations; throws CancelledError when `signal` aborts. */
export async function compareMethods(session: LabSession, calibration: MnistSample, options: CompareOptions = {}): Promise<CompareRow[]> {
  const ctx = await createCompareContext(session, calibration, options);
  const methods: readonly CompareMethod[] = options.methods ? COMPARE_METHODS.filter((m) => options.methods!.includes(m.name)) : COMPARE_METHODS;
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
      const result = await scorePoint(session, point, options.signal);
      rows.push({ method: method.name, knob: method.knob, value, bytes: point.bytes, share: point.bytes / original, accuracy: result.accuracy, detail: point.detail });
    }
  }
  options.onProgress?.(total, total, 'done');
  return rows;
}

/** Scores one configuration: through the factor path for a plan, as replacement kernels otherwise. */
export function scorePoint(session: LabSession, point: MethodPoint, signal?: AbortSignal): Promise<EvalResult> {
  return point.kernels ? session.evaluateKernels(point.kernels, signal) : session.evaluate(point.plan ?? {}, signal);
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
  return ['method,knob,value,bytes,share,accuracy,detail',
    ...rows.map((r) => [r.method, quote(r.knob), r.value, r.bytes, r.share.toFixed(4), r.accuracy.toFixed(4), quote(r.detail)].join(','))].join('\n');
}
