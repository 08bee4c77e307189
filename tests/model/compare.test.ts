import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { LabSession, type ReplacementWeights } from '../../src/model/session';
import { accuracyWithinShare, compareCsv, compareMethods, knobSetting, type CompareRow } from '../../src/model/compare';
import { createMethodContext } from '../../src/model/methods/context';
import { factorPlan } from '../../src/model/methods/factorPlan';
import { dataAwareFactors } from '../../src/core/dataAware';
import { reconstruct, truncatedFactors } from '../../src/core/factors';
import { svdJacobi } from '../../src/core/svd';
import { asRank } from '../../src/core/units';
import { REPO_ROOT, nodeSvd, readModelFromDisk, readSample, useNodeBackend } from '../../src/cli/nodeEnv';

/**
 * The method comparison on the bundled mlp-64: every method yields scored
 * configurations whose size follows its knob, the dense int8 reference keeps
 * the original accuracy, and data-aware factors beat plain SVD at equal size
 * where the paper says they should (low rank).
 */

let session: LabSession;
let rows: CompareRow[];

beforeAll(async () => {
  await useNodeBackend('wasm');
  const { artifacts, name } = await readModelFromDisk(join(REPO_ROOT, 'public', 'models', 'mlp-64', 'model.json'));
  session = await LabSession.open(artifacts, name, await readSample('test'), nodeSvd);
  rows = await compareMethods(session, await readSample('calib'));
}, 120_000);

afterAll(() => session?.dispose());

const of = (method: string) => rows.filter((r) => r.method === method);

describe('method comparison on mlp-64', () => {
  it('scores every method', () => {
    expect(new Set(rows.map((r) => r.method))).toEqual(new Set(['svd', 'energy', 'output-error', 'data-aware', 'svd+int8', 'int8 dense', 'lp', 'alds']));
    for (const r of rows) {
      expect(r.accuracy).toBeGreaterThan(0);
      expect(r.accuracy).toBeLessThanOrEqual(1);
      expect(r.bytes).toBeGreaterThan(0);
    }
  });

  it('grows the model with each knob in the direction it promises', () => {
    const sizes = (m: string) => of(m).map((r) => r.bytes);
    const nonDecreasing = (xs: number[]) => xs.every((x, i) => i === 0 || x >= xs[i - 1]);
    expect(nonDecreasing(sizes('svd'))).toBe(true);
    expect(nonDecreasing(sizes('energy'))).toBe(true);
    expect(nonDecreasing(sizes('output-error'))).toBe(true); // eps listed from large to small
    expect(nonDecreasing(sizes('alds'))).toBe(true);
    // Every weight of mlp-64 sits in a Dense layer ALDS allocates, so its share never exceeds the budget.
    for (const r of of('alds')) expect(r.share).toBeLessThanOrEqual(r.value + 1e-9);
  });

  it('keeps accuracy with int8 kernels and stores a quarter of the bytes', () => {
    const [int8] = of('int8 dense');
    const dense = of('svd').find((r) => r.share === 1)!;
    expect(Math.abs(int8.accuracy - dense.accuracy)).toBeLessThan(0.003);
    expect(int8.share).toBeGreaterThan(0.25);
    expect(int8.share).toBeLessThan(0.26);
  });

  it('gets more from the same bytes with data-aware factors than with plain SVD at rank 16', () => {
    const svd16 = of('svd').find((r) => r.value === 16)!;
    const da16 = of('data-aware').find((r) => r.value === 16)!;
    expect(da16.bytes).toBe(svd16.bytes);
    expect(da16.accuracy).toBeGreaterThan(svd16.accuracy);
  });

  it('names the layers a uniform rank keeps dense: k (m + n) >= m n', () => {
    // mlp-64: fc1 784x64, fc2 64x64, out 64x10. k = 16: out (16 x 74 >= 640); k = 32: fc2 too (32 x 128 >= 4096).
    const svd = of('svd');
    expect(svd.find((r) => r.value === 8)!.keptDense).toEqual([]);
    expect(svd.find((r) => r.value === 16)!.keptDense).toEqual(['out']);
    expect(svd.find((r) => r.value === 32)!.keptDense).toEqual(['fc2', 'out']);
    expect(knobSetting(svd.find((r) => r.value === 32)!)).toBe('rank k (all layers) = 32 (fc2, out kept dense)');
  });

  it('runs l_p at the same sizes as SVD, and only the methods named when asked', async () => {
    const lp = of('lp');
    expect(lp.map((r) => r.value)).toEqual([4, 8, 16, 32, 64]);
    const named = await compareMethods(session, await readSample('calib'), { methods: ['lp', 'energy'] });
    expect(new Set(named.map((r) => r.method))).toEqual(new Set(['lp', 'energy']));
    expect(named.filter((r) => r.method === 'lp').map((r) => r.accuracy)).toEqual(lp.map((r) => r.accuracy));
    expect(lp.find((r) => r.value === 16)!.bytes).toBe(of('svd').find((r) => r.value === 16)!.bytes);
    for (const r of lp) expect(r.accuracy).toBeGreaterThan(0.3);
  });

  it('computes data-aware and grouped factors through the SVD engine as the float64 core references do', async () => {
    const denseOf = (w: ReplacementWeights, m: number, n: number) => w.kernel ?? reconstruct(w.factors!.a, w.factors!.b, m, w.factors!.rank, n);
    const ctx = await createMethodContext(session, await readSample('calib'), { svd: nodeSvd });
    const relative = (a: ArrayLike<number>, b: ArrayLike<number>) => {
      let d = 0;
      let r = 0;
      for (let i = 0; i < a.length; i++) {
        d += (a[i] - b[i]) ** 2;
        r += b[i] ** 2;
      }
      return Math.sqrt(d / r);
    };
    const { kernel, bias } = session.kernelWeights('fc1');
    // Data-aware: the engine takes the SVD of X W computed in float32 on the backend; the core reference does all of it in float64.
    for (const k of [4, 16, 40]) {
      const point = await factorPlan(ctx, 'data-aware', { fc1: asRank(k) });
      const ref = dataAwareFactors(kernel, [784, 64], bias, ctx.calibration.get('fc1')!.x, asRank(k));
      expect(relative(denseOf(point.kernels!.get('fc1')!, 784, 64), reconstruct(ref.a, ref.b, 784, k, 64))).toBeLessThan(1e-4);
      expect(relative(point.kernels!.get('fc1')!.bias!, ref.bias!)).toBeLessThan(1e-4);
    }
    // ALDS groups: each contiguous chunk of 196 input rows gets its own rank-8 SVD.
    const grouped = await factorPlan(ctx, 'alds', { fc1: asRank(8) }, { fc1: 4 });
    const expected = new Float64Array(784 * 64);
    for (let g = 0; g < 4; g++) {
      const f = truncatedFactors(svdJacobi(kernel.subarray(g * 196 * 64, (g + 1) * 196 * 64), [196, 64]), asRank(8));
      expected.set(reconstruct(f.a, f.b, 196, 8, 64), g * 196 * 64);
    }
    // 4 groups x rank 8 = 32 columns: scored as a block-diagonal factor pair, cheaper than the dense kernel.
    expect(grouped.kernels!.get('fc1')!.factors!.rank).toBe(32);
    expect(relative(denseOf(grouped.kernels!.get('fc1')!, 784, 64), expected)).toBeLessThan(1e-6);
    // 28 groups x rank 4 = 112 columns, 112 (784 + 64) > 784 x 64: scored as the dense kernel.
    const wide = await factorPlan(ctx, 'alds', { fc1: asRank(4) }, { fc1: 28 });
    expect(wide.kernels!.get('fc1')!.kernel).toBeDefined();
    expect(grouped.bytes - (await factorPlan(ctx, 'svd', {})).bytes).toBe(4 * (8 * (784 + 4 * 64) - 784 * 64));
  });

  it('decomposes no kernel again for the factor methods: they start from the SVDs taken at open', async () => {
    const shapes: string[] = [];
    const counting: typeof nodeSvd = (data, shape, signal, topK) => {
      shapes.push(shape.join('x'));
      return nodeSvd(data, shape, signal, topK);
    };
    const ctx = await createMethodContext(session, await readSample('calib'), { svd: counting });
    expect(shapes).toEqual([]);
    for (const l of ctx.layers) {
      const opened = svdJacobi(session.kernelWeights(l.name).kernel, l.kernelShape!);
      expect(Array.from(ctx.svds.get(l.name)!.s)).toEqual(Array.from(opened.s));
    }
    // Data-aware then takes exactly one SVD per layer, of its calibration outputs (1,000 rows), never of a kernel.
    await factorPlan(ctx, 'data-aware', { fc1: asRank(8) });
    expect(shapes).toEqual(['1000x64']);
  });

  it('shares factor work between callers: a cancelled slider does not cancel a sweep, and a sweep keeps the per-layer SVD', async () => {
    const shapes: string[] = [];
    const counting: typeof nodeSvd = (data, shape, signal, topK) => {
      shapes.push(shape.join('x'));
      return nodeSvd(data, shape, signal, topK);
    };
    // An engine that honours its signal between steps, as the GPU and worker engines do.
    const abortable: typeof nodeSvd = async (data, shape, signal, topK) => {
      await new Promise((r) => setTimeout(r, 0));
      signal?.throwIfAborted();
      return counting(data, shape, signal, topK);
    };
    const ctx = await createMethodContext(session, await readSample('calib'), { svd: abortable });
    // The slider asks first and moves on; the sweep asked for the same factors and must still get them.
    const slider = new AbortController();
    const forSlider = factorPlan(ctx, 'data-aware', { fc2: asRank(8) }, undefined, slider.signal);
    const forSweep = factorPlan(ctx, 'data-aware', { fc2: asRank(8) });
    slider.abort();
    await expect(forSlider).rejects.toThrow();
    expect((await forSweep).kernels!.get('fc2')).toBeDefined();
    // A sweep over 60 ranks of fc1 takes the SVD of fc1's calibration outputs once.
    for (let k = 1; k <= 60; k++) await factorPlan(ctx, 'data-aware', { fc1: asRank(k) });
    await factorPlan(ctx, 'data-aware', { fc1: asRank(3) });
    expect(shapes.filter((s) => s === '1000x64')).toHaveLength(2); // fc1's and fc2's outputs
  }, 60_000);

  it('finds the best accuracy within a share of the bytes and writes CSV', () => {
    const synthetic: CompareRow[] = [
      { method: 'x', knob: 'k', value: 1, bytes: 10, share: 0.1, accuracy: 0.5, detail: '', keptDense: [] },
      { method: 'x', knob: 'k', value: 2, bytes: 30, share: 0.3, accuracy: 0.9, detail: 'a "b"', keptDense: ['fc2', 'out'] },
    ];
    expect(accuracyWithinShare(synthetic, 'x', 0.25)).toBeCloseTo(0.8, 12);
    expect(accuracyWithinShare(synthetic, 'x', 0.5)).toBeCloseTo(0.9, 12);
    expect(accuracyWithinShare(synthetic, 'x', 0.05)).toBeNull();
    expect(compareCsv(synthetic).split('\n')).toEqual([
      'method,knob,value,bytes,share,accuracy,detail,kept_dense',
      'x,"k",1,10,0.1000,0.5000,"",""',
      'x,"k",2,30,0.3000,0.9000,"a ""b""","fc2 out"',
    ]);
    expect(knobSetting(synthetic[1])).toBe('k = 2 (fc2, out kept dense)');
    expect(knobSetting(synthetic[0])).toBe('k = 1');
  });
});
