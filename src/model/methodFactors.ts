import type { Svd } from '../core/svd';
import { reconstruct, truncatedFactors } from '../core/factors';
import { columnMeans, dataAwareFromSubspace } from '../core/dataAware';
import { rightSubspaceOf } from '../core/subspaceFactors';
import { quantizeFactors } from '../core/quantizeFactors';
import type { Rank } from '../core/units';
import { calibrationOutputs } from './calibration';
import type { ExportFactors } from './exportModel';
import type { ReplacementWeights } from './session';
import type { LayerInfo } from './labModel';
import type { CompareContext, FactorMethodName } from './compareMethods';

/**
 * One layer's factors under a factor method, computed through the lab's
 * own engines: the SVDs come from the session's SvdFn (the GPU, or the CPU
 * worker), as plain SVD's do, and only the light float64 finishing steps
 * run here. What does not depend on the rank is computed once per layer
 * (the SVD of the calibration outputs, the SVDs of each channel group), so
 * a slider move under these methods costs a slice and a product, not an
 * SVD. l_p, whose every rank is its own IRLS run, goes to ctx.run.
 */

/** What a layer stores under a method at one rank: the download's factors, the weights the evaluator runs (no bias), and their kernel bytes. */
export interface LayerFactors {
  export: ExportFactors;
  scoring: Omit<ReplacementWeights, 'bias'>;
  bytes: number;
}

/** Robust l_p factors: p = 1 (rows of W as points, sum of distances), IRLS steps per layer, warm-started subspace steps. */
const LP = { p: 1, iterations: 10 } as const;

/** The layer's factors for (method, rank, groups), computed once per context (an unpinned entry of ctx.work). */
export function layerFactors(ctx: CompareContext, method: Exclude<FactorMethodName, 'svd'>, l: LayerInfo, rank: Rank, groups: number, signal?: AbortSignal): Promise<LayerFactors> {
  return ctx.work.get(`${method}:${l.name}:${groups}:${rank}`, (own) => computeLayerFactors(ctx, method, l, rank, groups, own), { signal });
}

async function computeLayerFactors(ctx: CompareContext, method: Exclude<FactorMethodName, 'svd'>, l: LayerInfo, rank: Rank, groups: number, signal?: AbortSignal): Promise<LayerFactors> {
  const [m, n] = l.kernelShape!;
  const floatBytes = 4 * rank * (m + groups * n);
  const { kernel, bias } = ctx.session.denseWeights(l.name);
  if (method === 'lp') {
    const svd = ctx.svds.get(l.name)!;
    const f = await ctx.run('lp', { kernel, shape: [m, n], rank, start: rightSubspaceOf(svd, rank).basis, ...LP }, signal);
    return { export: { kind: 'float', a: f.a, b: f.b }, scoring: { factors: { a: f.a, b: f.b, rank } }, bytes: floatBytes };
  }
  if (method === 'data-aware') {
    const { svd, meanInput } = await outputsSvd(ctx, l, signal);
    const f = dataAwareFromSubspace(kernel, [m, n], bias, meanInput, rightSubspaceOf(svd, rank), rank);
    return { export: { kind: 'float', a: f.a, b: f.b, bias: f.bias }, scoring: { factors: { a: f.a, b: f.b, rank } }, bytes: floatBytes };
  }
  if (method === 'alds') {
    const svds = groups === 1 ? [ctx.svds.get(l.name)!] : await groupSvds(ctx, l, groups, signal);
    const parts = svds.map((svd) => truncatedFactors(svd, rank));
    if (groups === 1) return { export: { kind: 'float', a: parts[0].a, b: parts[0].b }, scoring: { factors: { a: parts[0].a, b: parts[0].b, rank } }, bytes: floatBytes };
    return { export: { kind: 'grouped', groups, rank, a: parts.map((f) => f.a), b: parts.map((f) => f.b) }, scoring: groupedScoring(parts, m, n, rank), bytes: floatBytes };
  }
  const q = quantizeFactors(truncatedFactors(ctx.svds.get(l.name)!, rank), method === 'svd+int8' ? 8 : 4);
  return { export: { kind: 'quantized', u: q.u, singularValues: q.singularValues, vt: q.vt }, scoring: { factors: { a: q.a, b: q.b, rank } }, bytes: q.bytes };
}

/**
 * How the evaluator runs channel groups: as one factor pair, a
 * block-diagonal A (m x g j, group g's (m/g) x j factor in its own columns)
 * and the row-stacked B (g j x n), while that is cheaper than the dense
 * kernel (g j (m + n) < m n); otherwise as the dense row-stacked kernel.
 */
function groupedScoring(parts: ReadonlyArray<{ a: Float32Array; b: Float32Array }>, m: number, n: number, rank: number): Omit<ReplacementWeights, 'bias'> {
  const groups = parts.length;
  const rows = m / groups;
  const width = groups * rank;
  if (width * (m + n) >= m * n) {
    const kernel = new Float32Array(m * n);
    parts.forEach((f, g) => kernel.set(product(f.a, f.b, rows, rank, n), g * rows * n));
    return { kernel };
  }
  const a = new Float32Array(m * width);
  const b = new Float32Array(width * n);
  parts.forEach((f, g) => {
    for (let i = 0; i < rows; i++) a.set(f.a.subarray(i * rank, (i + 1) * rank), (g * rows + i) * width + g * rank);
    b.set(f.b, g * rank * n);
  });
  return { factors: { a, b, rank: width } };
}

/** The SVD of the layer's calibration outputs Y = X W (rank-independent) and the inputs' column means, once per layer. */
function outputsSvd(ctx: CompareContext, l: LayerInfo, signal?: AbortSignal): Promise<{ svd: Svd; meanInput: Float64Array }> {
  return ctx.work.get(`outputs:${l.name}`, async (own) => {
    const [m, n] = l.kernelShape!;
    const inputs = ctx.calibration.get(l.name)!;
    const y = await calibrationOutputs(inputs, ctx.session.denseWeights(l.name).kernel, n);
    // The same policy as the kernel's own SVD: a top-k where the lab only computes the top k.
    const topK = l.rankLimit < Math.min(inputs.rows, n) ? l.rankLimit : undefined;
    const svd = await ctx.svd(y, [inputs.rows, n], own, topK);
    return { svd, meanInput: columnMeans(inputs.x, inputs.rows, m) };
  }, { pinned: true, signal });
}

/** The SVDs of the layer's channel groups (contiguous chunks of m / groups input rows), once per (layer, groups). */
function groupSvds(ctx: CompareContext, l: LayerInfo, groups: number, signal?: AbortSignal): Promise<Svd[]> {
  return ctx.work.get(`groups:${l.name}:${groups}`, async (own) => {
    const [m, n] = l.kernelShape!;
    const kernel = ctx.session.denseWeights(l.name).kernel;
    const rows = m / groups;
    const svds: Svd[] = [];
    for (let g = 0; g < groups; g++) svds.push(await ctx.svd(Float32Array.from(kernel.subarray(g * rows * n, (g + 1) * rows * n)), [rows, n], own));
    return svds;
  }, { pinned: true, signal });
}

/** The dense m x n kernel that rank-k factors stand for, in float32 as the evaluator takes it. */
function product(a: Float32Array, b: Float32Array, m: number, k: number, n: number): Float32Array {
  return Float32Array.from(reconstruct(a, b, m, k, n));
}
