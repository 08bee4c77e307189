import { svdJacobi, type Svd } from '../core/svd';
import { asRank, asParamCount, type Rank } from '../core/units';
import { energyPlan, outputErrorRule } from '../core/rankRules';
import { reconstruct, truncatedFactors } from '../core/factors';
import { dataAwareFactors } from '../core/dataAware';
import { quantizeFactors } from '../core/quantizeFactors';
import { dequantize, quantizeSymmetric, quantizedBytes } from '../core/quantize';
import { aldsOptimize } from '../core/aldsOptimize';
import { robustLowRankFactors } from '../core/robustLowRank';
import { BudgetTooSmallError } from '../core/alds';
import type { LabSession } from './session';
import type { ExportFactors } from './exportModel';
import type { LayerInfo } from './labModel';
import type { LayerInputs } from './calibration';
import { effectiveRank, planSize, type RankPlan } from './plan';

/**
 * The methods of the comparison (issue 4), each a curve drawn by its own
 * knob: a configuration is either a rank plan (scored through the normal
 * factor path) or replacement kernels (scored as the dense matrices the
 * factors stand for), with the bytes it would store.
 */

/** Everything a method may need; SVDs and calibration inputs are computed once. */
export interface CompareContext {
  session: LabSession;
  layers: LayerInfo[];
  svds: Map<string, Svd>;
  calibration: Map<string, LayerInputs>;
}

/** One configuration of a method. */
export interface MethodPoint {
  plan?: RankPlan;
  kernels?: Map<string, { kernel: Float32Array; bias?: Float32Array }>;
  /** Float factors per layer where the method has exportable ones (data-aware, l_p), for the download. */
  factors?: Map<string, ExportFactors>;
  bytes: number;
  detail: string;
}

/** A method: its name, knob label and values, and how a knob value becomes a configuration. */
export interface CompareMethod {
  name: string;
  knob: string;
  values: readonly number[];
  point(ctx: CompareContext, value: number): MethodPoint;
  /** Slow methods run only when asked for by name (each l_p step is a full SVD per layer). */
  optIn?: boolean;
}

/** Float32 bytes of the layers a method leaves untouched. */
function otherBytes(ctx: CompareContext, touched: ReadonlySet<string>): number {
  return 4 * ctx.session.layers.filter((l) => !touched.has(l.name)).reduce((s, l) => s + l.params, 0);
}

function uniformPlan(ctx: CompareContext, k: number): RankPlan {
  return Object.fromEntries(ctx.layers.map((l) => [l.name, asRank(Math.min(k, l.rankLimit))]));
}

function describePlan(ctx: CompareContext, plan: RankPlan): string {
  return ctx.layers.map((l) => `${l.name}=${effectiveRank(l, plan) ?? 'dense'}`).join(' ');
}

const curves = new WeakMap<CompareContext, Map<string, (k: Rank) => number>>();

/** outputErrorCurve, computed once per layer and comparison run. */
function cachedOutputErrorCurve(ctx: CompareContext, info: LayerInfo): (k: Rank) => number {
  let perLayer = curves.get(ctx);
  if (!perLayer) curves.set(ctx, (perLayer = new Map()));
  let curve = perLayer.get(info.name);
  if (!curve) perLayer.set(info.name, (curve = outputErrorCurve(ctx, info)));
  return curve;
}

/** The relative output error of each rank on calibration inputs, from one pass: ||X u_c||^2 s_c^2 per direction. */
function outputErrorCurve(ctx: CompareContext, info: LayerInfo): (k: Rank) => number {
  const svd = ctx.svds.get(info.name)!;
  const { x, rows } = ctx.calibration.get(info.name)!;
  const { m, r, u, s } = svd;
  const weight = new Float64Array(r);
  for (let c = 0; c < r; c++) {
    let sq = 0;
    for (let t = 0; t < rows; t++) {
      let dot = 0;
      for (let i = 0; i < m; i++) dot += x[t * m + i] * u[i * r + c];
      sq += dot * dot;
    }
    weight[c] = sq * s[c] * s[c];
  }
  const total = weight.reduce((a, b) => a + b, 0);
  // V has orthonormal columns, so ||X (W - W_k)||_F^2 = sum_{c > k} s_c^2 ||X u_c||^2.
  return (k) => (total === 0 ? 0 : Math.sqrt(weight.slice(k).reduce((a, b) => a + b, 0) / total));
}

const RANKS = [2, 4, 8, 16, 32, 64, 128] as const;

/** Rank rules that turn one knob into a plan (ALDS, which also groups channels, is a method of its own). */
export const RANK_RULES = ['energy', 'output-error'] as const;
export type RankRuleName = (typeof RANK_RULES)[number];

/** Factor methods that compute a layer's factors at a given rank. */
export const FACTOR_METHODS = ['svd', 'data-aware', 'svd+int8', 'svd+int4', 'lp'] as const;

/** Robust l_p factors: p = 1 (rows of W as points, sum of distances), IRLS steps per layer. */
const LP = { p: 1, iterations: 10 } as const;
export type FactorMethodName = (typeof FACTOR_METHODS)[number];

/** The ranks a rule picks with knob `value` (tau for energy, eps for output-error). */
export function rulePlan(ctx: CompareContext, rule: RankRuleName, value: number): RankPlan {
  if (rule === 'energy') {
    return energyPlan(ctx.layers.map((l) => ({ name: l.name, s: ctx.svds.get(l.name)!.s, m: l.kernelShape![0], n: l.kernelShape![1] })), value);
  }
  const plan: Record<string, Rank> = {};
  for (const l of ctx.layers) {
    const d = outputErrorRule(l.kernelShape![0], l.kernelShape![1], cachedOutputErrorCurve(ctx, l), value);
    if (!d.keptDense) plan[l.name] = d.rank;
  }
  return plan;
}

/**
 * A configuration with the factors of `method` at the ranks of `plan`;
 * layers the plan leaves out, or would not shrink, stay dense.
 */
export function methodPoint(ctx: CompareContext, method: FactorMethodName, plan: RankPlan): MethodPoint {
  const size = planSize(ctx.session.layers, plan);
  if (method === 'svd') return { plan, bytes: size.bytes, detail: describePlan(ctx, plan) };
  const kernels = new Map<string, { kernel: Float32Array; bias?: Float32Array }>();
  const factors = new Map<string, ExportFactors>();
  let bytes: number = size.bytes;
  ctx.session.layers.forEach((l, i) => {
    const rank = size.layers[i].rank;
    if (rank === null || !l.kernelShape) return;
    const [m, n] = l.kernelShape;
    const layer = cachedLayerFactors(ctx, method, l, rank);
    kernels.set(l.name, { kernel: layer.kernel, bias: layer.bias });
    factors.set(l.name, { a: layer.a, b: layer.b, bias: layer.bias });
    bytes += layer.bytes - 4 * rank * (m + n);
  });
  return { kernels, factors: method === 'data-aware' || method === 'lp' ? factors : undefined, bytes, detail: describePlan(ctx, plan) };
}

/** One layer's factors under a method at one rank, with the dense kernel they stand for and their stored bytes. */
interface LayerFactors extends ExportFactors {
  kernel: Float32Array;
  bytes: number;
}

const layerCache = new WeakMap<CompareContext, Map<string, LayerFactors>>();
const MAX_CACHED_LAYERS = 48;

/**
 * A layer's factors for (method, rank), computed once per context: a slider
 * move changes one layer, so only that layer's factors are recomputed (a
 * data-aware or l_p layer costs a full SVD or more).
 */
function cachedLayerFactors(ctx: CompareContext, method: Exclude<FactorMethodName, 'svd'>, l: LayerInfo, rank: Rank): LayerFactors {
  let cache = layerCache.get(ctx);
  if (!cache) layerCache.set(ctx, (cache = new Map()));
  const key = `${method}:${l.name}:${rank}`;
  let entry = cache.get(key);
  if (!entry) {
    entry = layerFactors(ctx, method, l, rank);
    cache.set(key, entry);
    // Each entry holds an m x n kernel (1.6 MB for mlp-512's fc1): keep the most recent few.
    if (cache.size > MAX_CACHED_LAYERS) cache.delete(cache.keys().next().value!);
  }
  return entry;
}

function layerFactors(ctx: CompareContext, method: Exclude<FactorMethodName, 'svd'>, l: LayerInfo, rank: Rank): LayerFactors {
  const [m, n] = l.kernelShape!;
  const floatBytes = 4 * rank * (m + n);
  if (method === 'lp') {
    const f = robustLowRankFactors(ctx.session.denseWeights(l.name).kernel, [m, n], rank, LP);
    return { a: f.a, b: f.b, kernel: product(f.a, f.b, m, rank, n), bytes: floatBytes };
  }
  if (method === 'data-aware') {
    const { kernel, bias } = ctx.session.denseWeights(l.name);
    const f = dataAwareFactors(kernel, [m, n], bias, ctx.calibration.get(l.name)!.x, rank);
    return { a: f.a, b: f.b, bias: f.bias, kernel: product(f.a, f.b, m, rank, n), bytes: floatBytes };
  }
  const q = quantizeFactors(truncatedFactors(ctx.svds.get(l.name)!, rank), method === 'svd+int8' ? 8 : 4);
  return { a: q.a, b: q.b, kernel: product(q.a, q.b, m, rank, n), bytes: q.bytes };
}

export const COMPARE_METHODS: readonly CompareMethod[] = [
  { name: 'svd', knob: 'rank k (all layers)', values: RANKS, point: (ctx, k) => methodPoint(ctx, 'svd', uniformPlan(ctx, k)) },
  { name: 'energy', knob: 'tau', values: [0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99], point: (ctx, tau) => methodPoint(ctx, 'svd', rulePlan(ctx, 'energy', tau)) },
  { name: 'output-error', knob: 'eps', values: [0.8, 0.6, 0.4, 0.3, 0.2, 0.1, 0.05], point: (ctx, eps) => methodPoint(ctx, 'svd', rulePlan(ctx, 'output-error', eps)) },
  { name: 'data-aware', knob: 'rank k (all layers)', values: RANKS, point: (ctx, k) => methodPoint(ctx, 'data-aware', uniformPlan(ctx, k)) },
  { name: 'svd+int8', knob: 'rank k (all layers)', values: RANKS, point: (ctx, k) => methodPoint(ctx, 'svd+int8', uniformPlan(ctx, k)) },
  {
    name: 'int8 dense', knob: '(reference)', values: [8],
    point: (ctx) => {
      const kernels = new Map<string, { kernel: Float32Array }>();
      let bytes = otherBytes(ctx, new Set(ctx.layers.map((l) => l.name)));
      for (const l of ctx.layers) {
        const [m, n] = l.kernelShape!;
        const q = quantizeSymmetric(ctx.session.denseWeights(l.name).kernel, m, n, 8, 'column');
        kernels.set(l.name, { kernel: dequantize(q) });
        bytes += quantizedBytes(m, n, 8, n) + (l.params - m * n) * 4;
      }
      return { kernels, bytes, detail: 'every Dense kernel int8 per output channel' };
    },
  },
  { name: 'lp', knob: 'rank k (all layers), p = 1', values: [4, 8, 16, 32], point: (ctx, k) => methodPoint(ctx, 'lp', uniformPlan(ctx, k)), optIn: true },
  { name: 'alds', knob: 'budget (share of params)', values: [0.05, 0.1, 0.15, 0.25, 0.4], point: (ctx, share) => aldsPoint(ctx, share) },
];

/** The dense m x n kernel that rank-k factors stand for, in float32 as the evaluator takes it. */
function product(a: Float32Array, b: Float32Array, m: number, k: number, n: number): Float32Array {
  return Float32Array.from(reconstruct(a, b, m, k, n));
}

/** ALDS under a parameter budget of `share` of the factorizable layers' parameters, as replacement kernels. */
export function aldsPoint(ctx: CompareContext, share: number): MethodPoint {
  const layers = ctx.layers.map((l) => ({ name: l.name, w: ctx.session.denseWeights(l.name).kernel, m: l.kernelShape![0], n: l.kernelShape![1], hasBias: l.hasBias }));
  const full = layers.reduce((s, l) => s + l.m * l.n + (l.hasBias ? l.n : 0), 0);
  let result;
  try {
    result = aldsOptimize(layers, asParamCount(Math.floor(share * full)), { randomStarts: 1, iterations: 2, maxGroupCounts: 8 });
  } catch (err) {
    if (err instanceof BudgetTooSmallError) return { kernels: new Map(), bytes: NaN, detail: 'budget too small' };
    throw err;
  }
  const kernels = new Map<string, { kernel: Float32Array }>();
  result.layers.forEach((choice, i) => {
    if (choice.rank === null) return;
    const { w, m, n } = layers[i];
    const rows = m / choice.groups;
    const kernel = new Float32Array(m * n);
    for (let g = 0; g < choice.groups; g++) {
      const block = w.subarray(g * rows * n, (g + 1) * rows * n);
      const k = Math.min(choice.rank, Math.min(rows, n));
      const f = truncatedFactors(svdJacobi(block, [rows, n]), asRank(k));
      kernel.set(product(f.a, f.b, rows, k, n), g * rows * n);
    }
    kernels.set(choice.name, { kernel });
  });
  const bytes = 4 * result.totalParams + otherBytes(ctx, new Set(ctx.layers.map((l) => l.name)));
  return { kernels, bytes, detail: result.layers.map((c) => `${c.name}: k=${c.groups} j=${c.rank ?? 'dense'}`).join(', ') };
}
