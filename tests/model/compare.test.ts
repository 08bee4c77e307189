import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { LabSession } from '../../src/model/session';
import { accuracyWithinShare, compareCsv, compareMethods, type CompareRow } from '../../src/model/compare';
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
    expect(new Set(rows.map((r) => r.method))).toEqual(new Set(['svd', 'energy', 'output-error', 'data-aware', 'svd+int8', 'int8 dense', 'alds']));
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

  it('runs the opt-in l_p method only when named, at the same sizes as SVD', async () => {
    expect(of('lp')).toEqual([]);
    const lp = await compareMethods(session, await readSample('calib'), { methods: ['lp'] });
    expect(lp.map((r) => r.value)).toEqual([4, 8, 16, 32]);
    expect(lp.find((r) => r.value === 16)!.bytes).toBe(of('svd').find((r) => r.value === 16)!.bytes);
    for (const r of lp) expect(r.accuracy).toBeGreaterThan(0.3);
  });

  it('finds the best accuracy within a share of the bytes and writes CSV', () => {
    const synthetic: CompareRow[] = [
      { method: 'x', knob: 'k', value: 1, bytes: 10, share: 0.1, accuracy: 0.5, detail: '' },
      { method: 'x', knob: 'k', value: 2, bytes: 30, share: 0.3, accuracy: 0.9, detail: 'a "b"' },
    ];
    expect(accuracyWithinShare(synthetic, 'x', 0.25)).toBeCloseTo(0.8, 12);
    expect(accuracyWithinShare(synthetic, 'x', 0.5)).toBeCloseTo(0.9, 12);
    expect(accuracyWithinShare(synthetic, 'x', 0.05)).toBeNull();
    expect(compareCsv(synthetic).split('\n')).toEqual([
      'method,knob,value,bytes,share,accuracy,detail',
      'x,"k",1,10,0.1000,0.5000,""',
      'x,"k",2,30,0.3000,0.9000,"a ""b"""',
    ]);
  });
});
