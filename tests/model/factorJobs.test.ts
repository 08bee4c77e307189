import { describe, expect, it } from 'vitest';
import { runFactorJob, type AldsJobResult, type FactorJobs } from '../../src/model/factorJobs';
import { gaussianMatrix } from '../core/reference';

/**
 * The ALDS job keeps one model's group spectra by cacheKey. Reusing them
 * must give exactly what a fresh job gives, and another key (another
 * model's weights) must never be answered from the old spectra.
 */

function layers(seed: number): FactorJobs['alds']['input']['layers'] {
  return [
    { name: 'a', w: Float32Array.from(gaussianMatrix(24, 12, seed)), m: 24, n: 12, hasBias: true, channels: 24 },
    { name: 'b', w: Float32Array.from(gaussianMatrix(12, 8, seed + 1)), m: 12, n: 8, hasBias: true, channels: 12 },
  ];
}

const options = { maxGroupCounts: 4 };
const alds = (input: FactorJobs['alds']['input']) => runFactorJob({ kind: 'alds', input }) as AldsJobResult;

describe('ALDS job spectra cache', () => {
  it('answers later budgets from the cached spectra exactly as a fresh job does', () => {
    const first = alds({ layers: layers(1), budgets: [150], options, cacheKey: 'model#1' });
    const later = alds({ layers: layers(1), budgets: [100, 200], options, cacheKey: 'model#1' });
    const fresh = alds({ layers: layers(1), budgets: [150, 100, 200], options });
    expect([...first.allocations, ...later.allocations]).toEqual(fresh.allocations);
    expect(fresh.allocations.every((a) => a !== null && a.totalParams <= a.budget)).toBe(true);
  });

  it('does not answer another model from the cached spectra', () => {
    alds({ layers: layers(1), budgets: [150], options, cacheKey: 'model#1' });
    const other = alds({ layers: layers(7), budgets: [150], options, cacheKey: 'model#2' });
    const fresh = alds({ layers: layers(7), budgets: [150], options });
    expect(other.allocations).toEqual(fresh.allocations);
    expect(other.allocations).not.toEqual(alds({ layers: layers(1), budgets: [150], options }).allocations);
  });
});
