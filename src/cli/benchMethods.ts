import { join } from 'node:path';
import { LabSession } from '../model/session';
import { createMethodContext } from '../model/methods/context';
import { factorPlan, scoreFactoredPlan } from '../model/methods/factorPlan';
import type { FactorMethodName } from '../model/methods/registry';
import { aldsAllocation, aldsPlan } from '../model/rules/alds';
import { robustLowRankFactors } from '../core/robustLowRank';
import { svdJacobi } from '../core/svd';
import { rightSubspaceOf } from '../core/subspaceFactors';
import { asRank } from '../core/units';
import { gaussianMatrix } from './randomMatrices';
import { median, table } from './benchTable';
import { REPO_ROOT, nodeSvd, readModelFromDisk, readSample } from './nodeEnv';

/**
 * Benchmarks of the factor methods as the lab runs them (Node, TF.js wasm,
 * one thread): a rank change of fc1 under each method, i.e. its factors at
 * the new rank plus scoring 10,000 test images, cold (the first change
 * pays the method's per-layer work: the SVD of the calibration outputs,
 * the group SVDs) and warm (median of the next ones); and the two l_p IRLS
 * solvers on one 784 x 512 kernel. Prints tables; asserts nothing.
 */

const METHODS: readonly FactorMethodName[] = ['svd', 'data-aware', 'svd+int8', 'lp', 'alds'];

/** Rows of the rank-change table for one bundled model. */
async function methodRows(model: string, changes: number): Promise<string[][]> {
  const { artifacts, name } = await readModelFromDisk(join(REPO_ROOT, 'public', 'models', model, 'model.json'));
  const session = await LabSession.open(artifacts, name, await readSample('test'), nodeSvd);
  try {
    const rows: string[][] = [];
    for (const method of METHODS) {
      // A fresh context per method, so the cold column includes the method's per-layer work.
      const ctx = await createMethodContext(session, await readSample('calib'), { svd: nodeSvd });
      const base = method === 'alds' ? aldsPlan((await aldsAllocation(ctx, 0.1))!) : { plan: { fc2: asRank(16) }, groups: {} };
      const times: number[] = [];
      for (let i = 0; i <= changes; i++) {
        const plan = { ...base.plan, fc1: asRank(8 + i) };
        const t = performance.now();
        await scoreFactoredPlan(session, await factorPlan(ctx, method, plan, base.groups));
        times.push(performance.now() - t);
      }
      const groups = method === 'alds' ? ` (fc1 in ${base.groups.fc1 ?? 1} groups)` : '';
      rows.push([model, method + groups, times[0].toFixed(1), median(times.slice(1)).toFixed(1)]);
      console.error(`  methods ${model} ${method}: cold ${times[0].toFixed(0)} ms, warm ${median(times.slice(1)).toFixed(1)} ms`);
    }
    return rows;
  } finally {
    session.dispose();
  }
}

/** The rank-change table for the bundled models. */
export async function methodsTable(changes: number): Promise<string> {
  const rows = [...(await methodRows('mlp-64', changes)), ...(await methodRows('mlp-512', changes))];
  return table(['model', 'method', 'first rank change ms (cold)', `median of next ${changes} ms`], rows);
}

/** l_p IRLS (p = 1, k = 16, 10 steps) on a random 784 x 512 kernel with both solvers, both started from its SVD. */
export function lpSolverTable(): string {
  const [m, n, k] = [784, 512, 16];
  const w = Float32Array.from(gaussianMatrix(m, n, 5));
  const start = rightSubspaceOf(svdJacobi(w, [m, n]), k).basis;
  const rows = (['svd', 'subspace'] as const).map((solver) => {
    const t = performance.now();
    const f = robustLowRankFactors(w, [m, n], asRank(k), { p: 1, iterations: 10, start, solver });
    const ms = performance.now() - t;
    console.error(`  l_p ${solver}: ${ms.toFixed(0)} ms`);
    return [solver, ms.toFixed(0), f.objective[f.objective.length - 1].toPrecision(10), String(f.objective.length - 1)];
  });
  return table(['solver', 'ms', 'final sum r_i (p = 1)', 'steps'], rows);
}
