import type { Svd } from '../../core/svd';
import { centerColumns, columnMeans } from '../../core/dataAware';
import { rightSubspaceOf } from '../../core/subspaceFactors';
import { calibrationOutputs } from '../calibration';
import type { FactorizableLayer } from '../labModel';
import { UNIFORM_RANKS, type FactorMethod, type MethodContext } from './context';

/**
 * Data-aware low rank: the rank-k W' minimising ||X W - X W'||_F on the
 * layer's calibration inputs X, from the top right singular vectors of the
 * calibration outputs Y = X W; with a bias, of the centered outputs
 * Y - 1 mean(Y), which minimises the affine layer's error once the bias is
 * corrected (core/dataAware.ts, DataAwareOptions.centered). That SVD does
 * not depend on k, so it is computed once per layer (by the lab's SVD
 * engine) and a rank change costs a projection (an SVD of the m x k matrix
 * W V_k, run by ctx.run: a worker in the browser), not an SVD of Y.
 */
export const dataAwareMethod: FactorMethod = {
  hint: 'best rank-k fit of the layer outputs on 1,000 calibration images',
  storage: '',
  grouped: false,
  compare: UNIFORM_RANKS,
  async factors(ctx, l, rank, _groups, signal) {
    const [m, n] = l.kernelShape;
    const { kernel, bias } = ctx.session.kernelWeights(l.name);
    const { svd, meanInput } = await outputsSvd(ctx, l, signal);
    const { basis, spectrum } = rightSubspaceOf(svd, rank);
    const f = await ctx.run('data-aware', { kernel, shape: [m, n], bias, meanInput, basis, spectrum, rank }, signal);
    return { export: { kind: 'float', a: f.a, b: f.b, bias: f.bias }, scoring: { factors: { a: f.a, b: f.b, rank } }, bytes: 4 * rank * (m + n) };
  },
};

/**
 * The SVD of the layer's calibration outputs Y = X W, centered when the
 * layer has a bias (rank-independent), and the inputs' column means, once
 * per layer (pinned).
 */
function outputsSvd(ctx: MethodContext, l: FactorizableLayer, signal: AbortSignal): Promise<{ svd: Svd; meanInput: Float64Array }> {
  return ctx.work.get(`outputs:${l.name}`, async (own) => {
    const [m, n] = l.kernelShape;
    const inputs = ctx.calibration.get(l.name)!;
    const { kernel, bias } = ctx.session.kernelWeights(l.name);
    const y = await calibrationOutputs(inputs, kernel, n);
    if (bias !== null) centerColumns(y, inputs.rows, n);
    // The same policy as the kernel's own SVD: a top-k where the lab only computes the top k.
    const topK = l.rankLimit < Math.min(inputs.rows, n) ? l.rankLimit : undefined;
    const svd = await ctx.svd(y, [inputs.rows, n], own, topK);
    return { svd, meanInput: columnMeans(inputs.x, inputs.rows, m) };
  }, { pinned: true, finish: true, signal });
}
