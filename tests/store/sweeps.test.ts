import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLabStore } from '../../src/store/createLabStore';
import { keepSweep, SWEEPS_KEPT } from '../../src/store/sweepSlice';
import { breakEvenRank, cumulativeEnergy, rankSeries, selectRankChart, selectSpectrumChart, spectrumPoints } from '../../src/store/chartSelectors';
import { useNodeBackend } from '../../src/cli/nodeEnv';
import { isKeptDense } from '../../src/core/compression';
import { relativeTruncationError } from '../../src/core/factors';
import { asRank } from '../../src/core/units';
import { createNodeLabEnv } from '../helpers/nodeLabEnv';
import type { SweepState } from '../../src/store/types';

/**
 * The rank chart's kept sweeps and the spectrum view's data, on the real
 * store in Node (a fresh store with the bundled mlp-64 per test): sweeps of
 * several layers stay side by side, a sweep of the same layer, method and
 * other ranks replaces the old one, Clear forgets them; and the spectrum's
 * derived numbers against independent oracles.
 */

type Store = ReturnType<typeof createLabStore>;
let store: Store | null = null;

async function openStore(boot: Parameters<ReturnType<Store['getState']>['boot']>[0] = {}): Promise<Store> {
  store = createLabStore(createNodeLabEnv());
  await store.getState().boot(boot);
  await store.getState().whenIdle();
  return store;
}

beforeAll(async () => {
  await useNodeBackend('wasm');
});

afterEach(async () => {
  await store?.dispose();
  store = null;
});

function sweepOf(id: number, layer: string, baseKey: string, points = 3, status: SweepState['status'] = 'done'): SweepState {
  return {
    id, layer, baseKey, method: 'svd', status, done: points, total: points,
    points: Array.from({ length: points }, (_, i) => ({ rank: asRank(i + 1), accuracy: 0.5, bytes: 100 })),
  };
}

describe('the kept sweep list', () => {
  it('puts the newest last, replaces the same sweep and the same layer+method+base, drops finished empty ones, caps the list', () => {
    let list = keepSweep([], sweepOf(1, 'fc1', 'a'));
    list = keepSweep(list, sweepOf(2, 'fc2', 'a'));
    expect(list.map((s) => s.id)).toEqual([1, 2]);
    list = keepSweep(list, sweepOf(3, 'fc1', 'a', 0, 'running')); // same layer and base: replaces 1
    expect(list.map((s) => s.id)).toEqual([2, 3]);
    list = keepSweep(list, sweepOf(3, 'fc1', 'a', 5)); // progress of 3: stays one entry
    expect(list.map((s) => [s.id, s.points.length])).toEqual([[2, 3], [3, 5]]);
    list = keepSweep(list, sweepOf(4, 'fc1', 'b', 0, 'cancelled')); // cancelled before its first point
    expect(list.map((s) => s.id)).toEqual([2, 3]);
    for (let id = 10; id < 20; id++) list = keepSweep(list, sweepOf(id, 'fc1', `base ${id}`));
    expect(list).toHaveLength(SWEEPS_KEPT);
    expect(list.at(-1)!.id).toBe(19);
    expect(list[0].id).toBe(20 - SWEEPS_KEPT);
  });
});

describe('sweeps in the store', () => {
  it('keeps sweeps of two layers, replaces a repeated one, marks one out of date, and clears', async () => {
    const s = await openStore();
    await s.getState().startSweep('fc1');
    await s.getState().startSweep('out');
    let st = s.getState();
    expect(st.sweeps.map((x) => [x.layer, x.status, x.points.length])).toEqual([['fc1', 'done', 64], ['out', 'done', 10]]);
    expect(st.sweep).toBe(st.sweeps[1]); // `sweep` is still the last one started
    const firstOut = st.sweeps[1];

    await s.getState().startSweep('out'); // same layer, method and other ranks: replaces, stays newest
    await s.getState().startSweep('fc1'); // the same for fc1, which is now newest
    st = s.getState();
    expect(st.sweeps.map((x) => x.layer)).toEqual(['out', 'fc1']);
    expect(st.sweeps[0].id).not.toBe(firstOut.id);
    expect(st.sweeps[0].points.map((p) => p.accuracy)).toEqual(firstOut.points.map((p) => p.accuracy));

    s.getState().setRank('fc2', 4); // both sweeps were made with fc2 dense
    await s.getState().whenIdle();
    st = s.getState();
    const staleIds = selectRankChart(st).staleIds;
    expect(rankSeries(st.sweeps, staleIds).map((x) => x.name)).toEqual(['out, svd (out of date)', 'fc1, svd (out of date)']);
    expect(rankSeries(st.sweeps, staleIds)[1].points[63].accuracy).toBeCloseTo(100 * st.original!.accuracy, 10);

    await s.getState().startSweep('out'); // other base: kept beside the earlier out sweep
    st = s.getState();
    expect(st.sweeps.map((x) => x.layer)).toEqual(['out', 'fc1', 'out']);
    expect(rankSeries(st.sweeps, selectRankChart(st).staleIds).map((x) => x.name)).toEqual(['out, svd (earlier, out of date)', 'fc1, svd (out of date)', 'out, svd']);
    // At rank 1 of out, fc2 at rank 4 scores otherwise than fc2 dense.
    expect(st.sweeps[2].points[0].accuracy).not.toBe(st.sweeps[0].points[0].accuracy);

    s.getState().clearSweeps();
    expect([s.getState().sweeps, s.getState().sweep]).toEqual([[], null]);
  }, 120_000);

  it('forgets the kept sweeps when another model opens', async () => {
    const s = await openStore();
    await s.getState().startSweep('out');
    expect(s.getState().sweeps).toHaveLength(1);
    await s.getState().openModel({ kind: 'bundled', id: 'mlp-64' });
    expect(s.getState().sweeps).toEqual([]);
  }, 60_000);
});

describe('spectrum view data', () => {
  it('cumulative energy is what the best rank-k approximation keeps, 100% at full rank', async () => {
    const s = await openStore();
    const values = s.getState().spectra.fc1;
    const energy = cumulativeEnergy(values);
    for (const k of [1, 5, 16, 63]) {
      // Oracle: 1 - (||W - W_k||_F / ||W||_F)^2, by the truncation-error routine.
      const kept = 1 - relativeTruncationError({ s: values, r: values.length }, asRank(k)) ** 2;
      expect(energy[k - 1]).toBeCloseTo(100 * kept, 8);
    }
    expect(energy[values.length - 1]).toBeCloseTo(100, 10);
    const points = spectrumPoints(values);
    expect(points).toHaveLength(values.length);
    expect(points.every((p) => p.sigma > 0)).toBe(true);
  }, 60_000);

  it('the break-even rank is the last rank whose factors are no bigger than the kernel', () => {
    for (const [m, n, g] of [[784, 64, 1], [64, 64, 1], [400, 32, 1], [784, 512, 1], [784, 64, 28], [7, 3, 1]]) {
      const k = breakEvenRank(m, n, g);
      expect(k * (m + g * n)).toBeLessThanOrEqual(m * n);
      expect((k + 1) * (m + g * n)).toBeGreaterThan(m * n);
      if (g === 1 && k <= Math.min(m, n)) expect(isKeptDense(m, n, asRank(k), g)).toBe((k * (m + n)) === m * n);
    }
  });

  it('under ALDS exposes the singular values of the channel groups in use, whose energy is the layer\'s', async () => {
    const s = await openStore({ model: 'mlp-64', ranks: 'fc1=8', method: 'alds', groups: 'fc1=4' });
    expect(selectSpectrumChart(s.getState()).groups).toBe(4);
    expect(selectSpectrumChart(s.getState()).groupSpectra).toBeNull();
    await s.getState().loadGroupSpectra('fc1', 4);
    const view = selectSpectrumChart(s.getState());
    expect(view.groupSpectra).toHaveLength(4);
    for (const g of view.groupSpectra!) expect(g.length).toBe(Math.min(784 / 4, 64));
    // The groups partition W's rows, so their squared singular values add up to ||W||_F^2 = sum of s_i^2.
    const sq = (v: Float64Array) => v.reduce((a, x) => a + x * x, 0);
    const groupsEnergy = view.groupSpectra!.reduce((a, g) => a + sq(g), 0);
    expect(groupsEnergy / sq(view.values!)).toBeCloseTo(1, 6);
    // Each group is a row block of W: its largest singular value is at most W's.
    for (const g of view.groupSpectra!) expect(g[0]).toBeLessThanOrEqual(view.values![0] * (1 + 1e-9));
  }, 60_000);
});
