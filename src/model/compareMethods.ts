import type { Svd } from '../core/svd';
import type { MnistSample } from '../core/mnist';
import { asRank, type Rank } from '../core/units';
import { energyPlan, outputErrorCurve, outputErrorRule } from '../core/rankRules';
import { dequantize, quantizeSymmetric, quantizedBytes } from '../core/quantize';
import type { LabSession, ReplacementWeights } from './session';
import type { ExportFactors } from './exportModel';
import type { LayerInfo } from './labModel';
import type { LayerInputs } from './calibration';
import type { AldsChoiceData, FactorJobFn } from './factorJobs';
import type { SvdFn } from './factors';
import { layerFactors } from './methodFactors';
import type { SharedWork } from './sharedWork';
import { effectiveRank, layerGroups, planSize, type GroupPlan, type RankPlan } from './plan';

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
  /** Each factorizable layer's inputs on the calibration images. */
  calibration: Map<string, LayerInputs>;
  /** The calibration images themselves (training set), for rules that score a plan. */
  sample: MnistSample;
  /** The lab's SVD engine (GPU or worker in the browser): data-aware and grouped factors take their SVDs from it. */
  svd: SvdFn;
  /** Where slow factor work without a big SVD runs (l_p IRLS, the ALDS search): a worker in the browser, inline in Node. */
  run: FactorJobFn;
  /** The context's factor work, shared between its callers (see SharedWork): per-layer SVDs pinned, per-rank factors evicted LRU. */
  work: SharedWork;
}

/** One configuration of a method. */
export interface MethodPoint {
  plan?: RankPlan;
  /** Channel groups of the plan's layers (ALDS); absent means one group each. */
  groups?: GroupPlan;
  /** Replacement weights per layer (factors, or a dense kernel), scored instead of the plan's SVD slices. */
  kernels?: Map<string, ReplacementWeights>;
  /** Factors per layer where they differ from the plain SVD slices (every method but svd), for the download. */
  factors?: Map<string, ExportFactors>;
  bytes: number;
  detail: string;
}

/** A method: its name, knob label and values, and how a knob value becomes a configuration. */
export interface CompareMethod {
  name: string;
  knob: string;
  values: readonly number[];
  point(ctx: CompareContext, value: number, signal?: AbortSignal): Promise<MethodPoint>;
}

/** Float32 bytes of the layers a method leaves untouched. */
function otherBytes(ctx: CompareContext, touched: ReadonlySet<string>): number {
  return 4 * ctx.session.layers.filter((l) => !touched.has(l.name)).reduce((s, l) => s + l.params, 0);
}

function uniformPlan(ctx: CompareContext, k: number): RankPlan {
  return Object.fromEntries(ctx.layers.map((l) => [l.name, asRank(Math.min(k, l.rankLimit))]));
}

function describePlan(ctx: CompareContext, plan: RankPlan, groups: GroupPlan = {}): string {
  return ctx.layers.map((l) => {
    const k = effectiveRank(l, plan, groups);
    const g = layerGroups(l, groups);
    return `${l.name}=${k === null ? 'dense' : g > 1 ? `${g} groups x ${k}` : k}`;
  }).join(' ');
}

const curves = new WeakMap<CompareContext, Map<string, (k: Rank) => number>>();

/** The layer's relative output error at every rank on the calibration inputs (core outputErrorCurve), once per layer and context. */
function cachedOutputErrorCurve(ctx: CompareContext, info: LayerInfo): (k: Rank) => number {
  let perLayer = curves.get(ctx);
  if (!perLayer) curves.set(ctx, (perLayer = new Map()));
  let curve = perLayer.get(info.name);
  if (!curve) {
    curve = outputErrorCurve(ctx.calibration.get(info.name)!.x, ctx.session.denseWeights(info.name).kernel, ctx.svds.get(info.name)!);
    perLayer.set(info.name, curve);
  }
  return curve;
}

const RANKS = [2, 4, 8, 16, 32, 64, 128] as const;

/** Rank rules that turn one knob into a plan (ALDS, which also groups channels, is a method of its own). */
export const RANK_RULES = ['energy', 'output-error'] as const;
export type RankRuleName = (typeof RANK_RULES)[number];

/**
 * Factor methods that compute a layer's factors at a given rank. 'alds' is
 * plain SVD of each channel group at the groups the ALDS rule chose.
 */
export const FACTOR_METHODS = ['svd', 'data-aware', 'svd+int8', 'svd+int4', 'lp', 'alds'] as const;

export type FactorMethodName = (typeof FACTOR_METHODS)[number];

/** The ranks a rule picks with knob `value` (tau for energy, eps for output-error). */
export function rulePlan(ctx: CompareContext, rule: RankRuleName, value: number): RankPlan {
  if (rule === 'energy') {
    return energyPlan(ctx.layers.map((l) => ({ name: l.name, s: ctx.svds.get(l.name)!.s, m: l.kernelShape![0], n: l.kernelShape![1] })), value);
  }
  const plan: Record<string, Rank> = {};
  for (const l of ctx.layers) {
    const d = outputErrorRule(l.kernelShape![0], l.kernelShape![1], cachedOutputErrorCurve(ctx, l), value, { maxRank: ctx.svds.get(l.name)!.r });
    if (!d.keptDense) plan[l.name] = d.rank;
  }
  return plan;
}

/**
 * A configuration with the factors of `method` at the ranks of `plan` (and,
 * for 'alds', the channel `groups`); layers the plan leaves out, or would
 * not shrink, stay dense. Slow factors run through ctx.run; aborting
 * `signal` rejects with CancelledError.
 */
export async function methodPoint(ctx: CompareContext, method: FactorMethodName, plan: RankPlan, groups: GroupPlan = {}, signal?: AbortSignal): Promise<MethodPoint> {
  const grouping = method === 'alds' ? groups : {};
  const size = planSize(ctx.session.layers, plan, grouping);
  const detail = describePlan(ctx, plan, grouping);
  // The ranks that take effect (capped to a group's size, dense layers left out), so export and scoring agree.
  const effective: RankPlan = Object.fromEntries(size.layers.filter((l) => l.rank !== null).map((l) => [l.name, l.rank!]));
  if (method === 'svd') return { plan: effective, bytes: size.bytes, detail };
  const kernels = new Map<string, ReplacementWeights>();
  const factors = new Map<string, ExportFactors>();
  let bytes: number = size.bytes;
  for (const [i, l] of ctx.session.layers.entries()) {
    const rank = size.layers[i].rank;
    if (rank === null || !l.kernelShape) continue;
    const layer = await layerFactors(ctx, method, l, rank, size.layers[i].groups, signal);
    kernels.set(l.name, { ...layer.scoring, bias: layer.export.bias });
    factors.set(l.name, layer.export);
    bytes += layer.bytes - size.layers[i].bytes + 4 * (l.hasBias ? l.kernelShape[1] : 0);
  }
  return { kernels, factors, groups: method === 'alds' ? grouping : undefined, plan: effective, bytes, detail };
}

/** The budgets of the comparison's ALDS curve, as shares of the factorizable layers' parameters. */
const ALDS_SHARES = [0.05, 0.1, 0.15, 0.25, 0.4] as const;

export const COMPARE_METHODS: readonly CompareMethod[] = [
  { name: 'svd', knob: 'rank k (all layers)', values: RANKS, point: (ctx, k, signal) => methodPoint(ctx, 'svd', uniformPlan(ctx, k), {}, signal) },
  { name: 'energy', knob: 'tau', values: [0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99], point: (ctx, tau, signal) => methodPoint(ctx, 'svd', rulePlan(ctx, 'energy', tau), {}, signal) },
  { name: 'output-error', knob: 'eps', values: [0.8, 0.6, 0.4, 0.3, 0.2, 0.1, 0.05], point: (ctx, eps, signal) => methodPoint(ctx, 'svd', rulePlan(ctx, 'output-error', eps), {}, signal) },
  { name: 'data-aware', knob: 'rank k (all layers)', values: RANKS, point: (ctx, k, signal) => methodPoint(ctx, 'data-aware', uniformPlan(ctx, k), {}, signal) },
  { name: 'svd+int8', knob: 'rank k (all layers)', values: RANKS, point: (ctx, k, signal) => methodPoint(ctx, 'svd+int8', uniformPlan(ctx, k), {}, signal) },
  {
    name: 'int8 dense', knob: '(reference)', values: [8],
    point: async (ctx) => {
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
  // l_p stops at 64: each rank is its own IRLS run, O(steps m n k) in a worker.
  { name: 'lp', knob: 'rank k (all layers), p = 1', values: [4, 8, 16, 32, 64], point: (ctx, k, signal) => methodPoint(ctx, 'lp', uniformPlan(ctx, k), {}, signal) },
  { name: 'alds', knob: 'budget (share of params)', values: ALDS_SHARES, point: (ctx, share, signal) => aldsPoint(ctx, share, signal, ALDS_SHARES) },
];

/**
 * ALDS's search in the lab: 4 rounds of global + local step from the
 * uniform starts and 4 seeded random ones, trying every divisor of a
 * layer's input width (up to 64 of them) as its group count. The group
 * SVDs dominate the cost and are shared by all starts and budgets: on
 * mlp-512 the five comparison budgets take 12.9 s this way against 12.5 s
 * with 1 random start, 2 rounds and 8 divisors.
 */
const ALDS_OPTIONS = { randomStarts: 4, iterations: 4, maxGroupCounts: 64 } as const;

const aldsCache = new WeakMap<CompareContext, Map<number, Promise<AldsAllocationData | null>>>();
const contextKeys = new WeakMap<CompareContext, string>();
let contexts = 0;

/** A name for the context's weights, unique in this page or process, for the ALDS job's spectra cache. */
function contextKey(ctx: CompareContext): string {
  let key = contextKeys.get(ctx);
  if (!key) contextKeys.set(ctx, (key = `${ctx.session.lab.name}#${++contexts}`));
  return key;
}

/** An ALDS allocation as plain data (see factorJobs). */
export interface AldsAllocationData {
  budget: number;
  layers: AldsChoiceData[];
  maxError: number;
  totalParams: number;
}

/**
 * ALDS's allocation for a budget of `share` of the factorizable layers'
 * parameters (kernels and biases), or null when even rank 1 everywhere does
 * not fit. `alsoShares` are computed in the same job (they share the group
 * SVDs) and cached for later calls.
 */
export async function aldsAllocation(ctx: CompareContext, share: number, signal?: AbortSignal, alsoShares: readonly number[] = []): Promise<AldsAllocationData | null> {
  let cache = aldsCache.get(ctx);
  if (!cache) aldsCache.set(ctx, (cache = new Map()));
  const known = cache.get(share);
  if (known) return known;
  const shares = [...new Set([share, ...alsoShares])].filter((s) => !cache.has(s));
  // The session's own arrays: a worker receives a copy, the inline job only reads them.
  const layers = ctx.layers.map((l) => ({ name: l.name, w: ctx.session.denseWeights(l.name).kernel, m: l.kernelShape![0], n: l.kernelShape![1], hasBias: l.hasBias }));
  const full = layers.reduce((s, l) => s + l.m * l.n + (l.hasBias ? l.n : 0), 0);
  const job = ctx.run('alds', { layers, budgets: shares.map((s) => Math.floor(s * full)), options: ALDS_OPTIONS, cacheKey: contextKey(ctx) }, signal);
  shares.forEach((s, i) => {
    const one = job.then((r) => r.allocations[i]);
    cache.set(s, one);
    one.catch(() => { if (cache.get(s) === one) cache.delete(s); });
  });
  return cache.get(share)!;
}

/** ALDS's allocation as a plan and channel groups: the ranks j per layer (dense ones left out) and the groups k. */
export function aldsPlan(allocation: AldsAllocationData): { plan: RankPlan; groups: GroupPlan } {
  const plan: Record<string, Rank> = {};
  const groups: Record<string, number> = {};
  for (const c of allocation.layers) {
    if (c.rank === null) continue;
    plan[c.name] = asRank(c.rank);
    if (c.groups > 1) groups[c.name] = c.groups;
  }
  return { plan, groups };
}

/** ALDS under a parameter budget of `share`, scored as grouped SVD factors; bytes NaN when the budget is too small. */
export async function aldsPoint(ctx: CompareContext, share: number, signal?: AbortSignal, alsoShares: readonly number[] = []): Promise<MethodPoint> {
  const allocation = await aldsAllocation(ctx, share, signal, alsoShares);
  if (!allocation) return { kernels: new Map(), bytes: NaN, detail: 'budget too small' };
  const { plan, groups } = aldsPlan(allocation);
  const point = await methodPoint(ctx, 'alds', plan, groups, signal);
  return { ...point, detail: allocation.layers.map((c) => `${c.name}: k=${c.groups} j=${c.rank ?? 'dense'}`).join(', ') };
}
