import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { LabSession } from '../../src/model/session';
import { asRank } from '../../src/core/units';
import type { RankPlan } from '../../src/model/plan';
import { REPO_ROOT, nodeSvd, readModelFromDisk, readSample, useNodeBackend } from '../../src/cli/nodeEnv';

/**
 * The NN-SVD Lipschitz bound the lab shows next to the measured relative
 * logit error, on the bundled mlp-64: it holds for every plan tried, is 0
 * when nothing is truncated, shrinks as ranks grow, and reads its input
 * norms from the evaluation itself.
 */

let session: LabSession;

beforeAll(async () => {
  await useNodeBackend('wasm');
  const { artifacts, name } = await readModelFromDisk(join(REPO_ROOT, 'public', 'models', 'mlp-64', 'model.json'));
  session = await LabSession.open(artifacts, name, await readSample('test'), nodeSvd);
}, 60_000);

afterAll(() => session?.dispose());

describe('NN-SVD Lipschitz bound on mlp-64', () => {
  it('is zero for the original model and measures the input norms of the test images', async () => {
    const result = await session.evaluate({});
    expect(result.lipschitzBound).toBe(0);
    const sample = await readSample('test');
    let sq = 0;
    for (const p of sample.pixels) sq += (p / 255) ** 2;
    // Summed in float32 on the backend over 3.9 million pixels.
    expect(result.inputNorms.fc1 / Math.sqrt(sq)).toBeCloseTo(1, 2);
    expect(result.referenceNorm).toBeGreaterThan(0);
  });

  it('bounds the measured error for every plan and shrinks as the ranks grow', async () => {
    let previous = Infinity;
    for (const k of [1, 2, 4, 8, 16, 32]) {
      const plans: RankPlan[] = [{ fc1: asRank(k) }, { fc2: asRank(k) }, { fc1: asRank(k), fc2: asRank(k), out: asRank(Math.min(k, 4)) }];
      for (const plan of plans) {
        const r = await session.evaluate(plan);
        // fc2 (64x64) at rank 32 is kept dense: then both are 0.
        expect(r.lipschitzBound!).toBeGreaterThanOrEqual(r.relativeLogitError);
        expect(r.lipschitzBound! > 0).toBe(r.relativeLogitError > 0);
      }
      const both = await session.evaluate({ fc1: asRank(k), fc2: asRank(k) });
      expect(both.lipschitzBound!).toBeLessThan(previous);
      previous = both.lipschitzBound!;
    }
  });
});
