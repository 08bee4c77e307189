import type { Svd } from '../../core/svd';
import { reconstruct, truncatedFactors } from '../../core/factors';
import type { ReplacementWeights } from '../session';
import type { FactorizableLayer } from '../labModel';
import type { FactorMethod, MethodContext } from './context';

/**
 * ALDS's factors: the kernel's input rows split into `groups` contiguous
 * channel groups, each with its own rank-j SVD (one group: plain SVD). The
 * groups and ranks come from the ALDS rule; the group SVDs do not depend on
 * j, so they are computed once per (layer, groups).
 */
export const groupedSvdMethod: FactorMethod = {
  hint: 'SVD of each channel group the ALDS rule chose (one group: plain SVD); sliders set each group\'s rank j',
  storage: '; the download writes a layer\'s channel groups as a depthwise convolution plus a Dense layer (a Conv2D\'s: plus a 1x1 convolution).',
  grouped: true,
  async factors(ctx, l, rank, groups, signal) {
    const [m, n] = l.kernelShape;
    const svds = groups === 1 ? [ctx.svds.get(l.name)!] : await groupSvds(ctx, l, groups, signal);
    const parts = svds.map((svd) => truncatedFactors(svd, rank));
    const bytes = 4 * rank * (m + groups * n);
    if (groups === 1) return { export: { kind: 'float', a: parts[0].a, b: parts[0].b }, scoring: { factors: { a: parts[0].a, b: parts[0].b, rank } }, bytes };
    return { export: { kind: 'grouped', groups, rank, a: parts.map((f) => f.a), b: parts.map((f) => f.b) }, scoring: groupedScoring(parts, m, n, rank), bytes };
  },
};

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
    parts.forEach((f, g) => kernel.set(Float32Array.from(reconstruct(f.a, f.b, rows, rank, n)), g * rows * n));
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

/** The SVDs of the layer's channel groups (contiguous chunks of m / groups input rows), once per (layer, groups), pinned; the spectrum view reads their singular values too. */
export function groupSvds(ctx: MethodContext, l: FactorizableLayer, groups: number, signal: AbortSignal): Promise<Svd[]> {
  return ctx.work.get(`groups:${l.name}:${groups}`, async (own) => {
    const [m, n] = l.kernelShape;
    const kernel = ctx.session.kernelWeights(l.name).kernel;
    const rows = m / groups;
    const svds: Svd[] = [];
    for (let g = 0; g < groups; g++) svds.push(await ctx.svd(Float32Array.from(kernel.subarray(g * rows * n, (g + 1) * rows * n)), [rows, n], own));
    return svds;
  }, { pinned: true, finish: true, signal });
}
