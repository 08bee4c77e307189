import { rightSubspaceOf } from '../../core/subspaceFactors';
import type { FactorMethod } from './context';

/** Robust l_p factors: p = 1 (rows of W as points, sum of distances), IRLS steps per layer, warm-started subspace steps. */
const LP = { p: 1, iterations: 10 } as const;

/**
 * Robust l_p low rank: the rank-k subspace of the kernel's rows that
 * minimises the sum of l_p distances (p = 1), by IRLS started from the SVD's
 * subspace. Every rank is its own IRLS run, so it goes to ctx.run (a worker
 * in the browser); the comparison stops at rank 64.
 */
export const lpMethod: FactorMethod = {
  hint: 'robust l_1 subspace of the kernel rows by IRLS, computed in a worker (a full SVD per step: seconds per layer on large kernels)',
  storage: '',
  grouped: false,
  compare: { knob: 'rank k (all layers), p = 1', ranks: [4, 8, 16, 32, 64] },
  async factors(ctx, l, rank, _groups, signal) {
    const [m, n] = l.kernelShape;
    const { kernel } = ctx.session.kernelWeights(l.name);
    const f = await ctx.run('lp', { kernel, shape: [m, n], rank, start: rightSubspaceOf(ctx.svds.get(l.name)!, rank).basis, ...LP }, signal);
    return { export: { kind: 'float', a: f.a, b: f.b }, scoring: { factors: { a: f.a, b: f.b, rank } }, bytes: 4 * rank * (m + n) };
  },
};
