import { asCompressionRatio, asParamCount, asRank, type Bytes, type CompressionRatio, type ParamCount, type Rank } from '../core/units';
import { compressionRatio, denseParams, float32Bytes, isKeptDense, summarizeModelSize, type LayerPlan } from '../core/compression';
import type { FactorizableLayer, LayerInfo } from './labModel';
import { LAYER_KINDS } from './layers/registry';

/**
 * A rank plan says, per factorizable Dense layer, how many singular
 * directions to keep. A layer missing from the plan, or whose rank would not
 * shrink it (k(m+n) >= mn), stays dense with its original weights - that is
 * what the evaluator runs and what the export writes, so they always agree.
 */
export type RankPlan = Readonly<Record<string, Rank>>;

/**
 * Channel groups per layer (ALDS): the layer's m inputs split into that many
 * contiguous chunks, each factorized at the plan's rank. A layer missing
 * here has one group (plain low rank).
 */
export type GroupPlan = Readonly<Record<string, number>>;

/** The channel groups a layer uses under `groups`: 1 unless a divisor of its input width is given. */
export function layerGroups(info: LayerInfo, groups: GroupPlan = {}): number {
  const g = groups[info.name];
  return g !== undefined && info.factorizable && Number.isSafeInteger(g) && g >= 1 && info.channels % g === 0 ? g : 1;
}

/**
 * The rank a layer actually runs at under `plan` (with its channel groups),
 * or null when it stays dense. A rank above what a group can hold,
 * min(m / g, n), is capped there.
 */
export function effectiveRank(info: LayerInfo, plan: RankPlan, groups: GroupPlan = {}): Rank | null {
  if (!info.factorizable) return null;
  const k = plan[info.name];
  if (k === undefined) return null;
  const [m, n] = info.kernelShape;
  const g = layerGroups(info, groups);
  const capped = asRank(Math.min(k, m / g, n));
  return isKeptDense(m, n, capped, g) ? null : capped;
}

/** Size of one layer under a plan, in stored scalars and float32 bytes. */
export interface LayerSize {
  name: string;
  /** Rank the layer runs at, or null when it stays dense. */
  rank: Rank | null;
  /** Channel groups the rank applies to (1: plain low rank). */
  groups: number;
  originalParams: ParamCount;
  params: ParamCount;
  bytes: Bytes;
  /** mn / (k(m+n)) of the kernel when factorized; 1 when dense. */
  ratio: CompressionRatio;
  /** A rank was asked for but k(m+n) >= mn, so the layer is stored dense. */
  keptDense: boolean;
}

/** Sizes of every layer plus the model total; pure, cheap enough for every slider move. */
export interface PlanSize {
  layers: LayerSize[];
  originalParams: ParamCount;
  params: ParamCount;
  originalBytes: Bytes;
  bytes: Bytes;
  /** originalParams / params for the whole model (all weights, not just kernels). */
  ratio: CompressionRatio;
}

/**
 * Computes what `plan` (with channel `groups`, if any) stores for `layers`.
 * Kernel layers go through the core size arithmetic (summarizeModelSize);
 * weights of layers without a kernel are stored unchanged.
 */
export function planSize(layers: readonly LayerInfo[], plan: RankPlan, groups: GroupPlan = {}): PlanSize {
  const kernels = layers.filter((info): info is FactorizableLayer => info.factorizable);
  const summary = summarizeModelSize(kernels.map((info): LayerPlan => {
    const [m, n] = info.kernelShape;
    return { m, n, hasBias: info.hasBias, rank: effectiveRank(info, plan, groups), groups: layerGroups(info, groups), otherParams: info.params - denseParams(m, n, info.hasBias) };
  }));
  const sizes = layers.map((info): LayerSize => {
    const k = effectiveRank(info, plan, groups);
    const g = layerGroups(info, groups);
    const entry = info.factorizable ? summary.layers[kernels.indexOf(info)] : null;
    const params = entry ? entry.compressedParams : asParamCount(info.params);
    return {
      name: info.name,
      rank: k,
      groups: g,
      originalParams: entry ? entry.originalParams : params,
      params,
      bytes: float32Bytes(params),
      ratio: k === null || !info.factorizable ? asCompressionRatio(1) : compressionRatio(info.kernelShape[0], info.kernelShape[1], k, g),
      keptDense: k === null && info.factorizable && plan[info.name] !== undefined,
    };
  });
  const unchanged = layers.reduce((sum, info) => sum + (info.factorizable ? 0 : info.params), 0);
  const originalParams = asParamCount(summary.originalParams + unchanged);
  const params = asParamCount(summary.compressedParams + unchanged);
  return {
    layers: sizes,
    originalParams,
    params,
    originalBytes: float32Bytes(originalParams),
    bytes: float32Bytes(params),
    ratio: asCompressionRatio(params === 0 ? 1 : originalParams / params),
  };
}

/**
 * Stable text key of the ranks (and channel groups) that actually take
 * effect; equal keys mean equal models. A grouped layer reads "name=gxk".
 */
export function planKey(layers: readonly LayerInfo[], plan: RankPlan, groups: GroupPlan = {}): string {
  return layers
    .filter((l) => l.factorizable)
    .map((l) => {
      const k = effectiveRank(l, plan, groups);
      const g = layerGroups(l, groups);
      return `${l.name}=${k === null ? 'dense' : g > 1 ? `${g}x${k}` : k}`;
    })
    .join(',');
}

/**
 * Bytes the download's weights take beyond planSize's for `plan` with
 * channel `groups`: 0 unless a layer's groups cannot be written exactly in
 * stock layers (ALDS groups of a Conv2D, see its adapter).
 */
export function downloadExtraBytes(layers: readonly LayerInfo[], plan: RankPlan, groups: GroupPlan): number {
  let extra = 0;
  for (const info of layers) {
    const k = effectiveRank(info, plan, groups);
    const g = layerGroups(info, groups);
    if (!info.factorizable || k === null || g === 1) continue;
    const [m, n] = info.kernelShape;
    extra += 4 * (LAYER_KINDS[info.kind].groupedFileParams(m, n, info.channels, g, k) - k * (m + g * n));
  }
  return extra;
}
