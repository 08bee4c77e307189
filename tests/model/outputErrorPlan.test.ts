import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { LabSession } from '../../src/model/session';
import { createMethodContext, type MethodContext } from '../../src/model/methods/context';
import { knobRuleOutcome } from '../../src/model/rules/target';
import { inlineFactorJob, type FactorJobFn, type FactorJobKind } from '../../src/model/factorJobs';

import { REPO_ROOT, nodeSvd, readModelFromDisk, readSample, useNodeBackend } from '../../src/cli/nodeEnv';

/**
 * The lab's output-error rule on layers whose SVD holds only the top
 * directions: every fc layer of mlp-64 is decomposed to its top 24 here, so
 * the curve must charge each rank for the directions the SVD never saw.
 * The oracle forms X W_k and X W directly in float64 from the same factors.
 */

let session: LabSession;
let ctx: MethodContext;

beforeAll(async () => {
  await useNodeBackend('wasm');
  const { artifacts, name } = await readModelFromDisk(join(REPO_ROOT, 'public', 'models', 'mlp-64', 'model.json'));
  session = await LabSession.open(artifacts, name, await readSample('test'), nodeSvd, undefined, undefined, { fullSvdMaxSide: 32, topK: 24 });
  ctx = await createMethodContext(session, await readSample('calib'));
}, 120_000);

afterAll(() => session?.dispose());

/** ||X W_k - X W||_F / ||X W||_F with W_k = U_k S_k V_k^T, every product formed directly. */
function directError(name: string, k: number): number {
  const { x, rows } = ctx.calibration.get(name)!;
  const w = session.kernelWeights(name).kernel;
  const { m, n, r, u, s, v } = ctx.svds.get(name)!;
  let errSq = 0;
  let exactSq = 0;
  const row = new Float64Array(m);
  for (let t = 0; t < rows; t++) {
    for (let i = 0; i < m; i++) row[i] = x[t * m + i];
    for (let j = 0; j < n; j++) {
      let exact = 0;
      let approx = 0;
      for (let i = 0; i < m; i++) {
        if (row[i] === 0) continue;
        exact += row[i] * w[i * n + j];
        let wk = 0;
        for (let c = 0; c < k; c++) wk += u[i * r + c] * s[c] * v[j * r + c];
        approx += row[i] * wk;
      }
      exactSq += exact * exact;
      errSq += (exact - approx) * (exact - approx);
    }
  }
  return Math.sqrt(errSq / exactSq);
}

describe('output-error rule on top-k layers', () => {
  it('picks for each layer the smallest offered rank whose true output error is within eps', async () => {
    const eps = 0.3;
    const { plan } = await knobRuleOutcome(ctx, 'output-error', eps);
    for (const layer of ctx.layers) {
      const [m, n] = layer.kernelShape!;
      // Ranks that shrink the layer, k (m + n) < m n, and that its SVD holds.
      let top = 0;
      while ((top + 1) * (m + n) < m * n && top + 1 <= ctx.svds.get(layer.name)!.r) top++;
      let expected: number | undefined;
      for (let k = 1; k <= top && expected === undefined; k++) if (directError(layer.name, k) <= eps) expected = k;
      expect({ layer: layer.name, rank: plan[layer.name] }).toEqual({ layer: layer.name, rank: expected });
      if (expected !== undefined) expect(directError(layer.name, expected)).toBeLessThanOrEqual(eps);
    }
    // The top-k layers are what this test is about: at least one of them is factorized.
    expect(ctx.svds.get(ctx.layers[0].name)!.r).toBe(24);
  }, 120_000);

  it('computes each layer\'s table once, through the context\'s job runner (a worker in the browser, off the page\'s thread)', async () => {
    const kinds: FactorJobKind[] = [];
    const counting: FactorJobFn = (kind, input, signal) => {
      kinds.push(kind);
      return inlineFactorJob(kind, input, signal);
    };
    const own = await createMethodContext(session, ctx.sample, { run: counting });
    const first = await knobRuleOutcome(own, 'output-error', 0.3);
    await knobRuleOutcome(own, 'output-error', 0.1);
    expect(kinds).toEqual(own.layers.map(() => 'output-error'));
    expect(first.plan).toEqual((await knobRuleOutcome(ctx, 'output-error', 0.3)).plan);
  }, 120_000);
});
