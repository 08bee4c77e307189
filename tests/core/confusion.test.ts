import { describe, expect, it } from 'vitest';
import { ConfusionInputError, confusionMatrix, newlyWrong } from '../../src/core/confusion';
import { seededUniform } from './reference';

/**
 * The per-digit view's counts against plain counting: row sums are the
 * class counts, the diagonal the correct predictions, and the newly wrong
 * images a filter written out in the test.
 */

const N = 500;
const next = seededUniform(42);
const labels = Uint8Array.from({ length: N }, () => Math.floor(10 * next()));
// Right about 90% of the time, otherwise a random class.
const noisy = (p: number) => Int32Array.from(labels, (l) => (next() < p ? l : Math.floor(10 * next())));
const original = noisy(0.9);
const compressed = noisy(0.7);

describe('confusionMatrix', () => {
  const counts = confusionMatrix(labels, compressed);

  it('has rows that sum to the number of images of each true class', () => {
    for (let t = 0; t < 10; t++) {
      const row = Array.from(counts.subarray(10 * t, 10 * t + 10)).reduce((s, c) => s + c, 0);
      expect(row).toBe(labels.filter((l) => l === t).length);
    }
  });

  it('has the correct predictions on its diagonal and every image once', () => {
    let diagonal = 0;
    for (let t = 0; t < 10; t++) diagonal += counts[11 * t];
    expect(diagonal).toBe(labels.filter((l, i) => compressed[i] === l).length);
    expect(counts.reduce((s, c) => s + c, 0)).toBe(N);
    // One cell by hand.
    expect(counts[3 * 10 + 5]).toBe(labels.filter((l, i) => l === 3 && compressed[i] === 5).length);
  });

  it('refuses mismatched lengths and classes outside 0..9', () => {
    expect(() => confusionMatrix([1, 2], [1])).toThrow(ConfusionInputError);
    expect(() => confusionMatrix([1, 10], [1, 1])).toThrow(/outside the 10 classes/);
  });
});

describe('newlyWrong', () => {
  it('lists exactly the images wrong now that the original got right, in order', () => {
    const want: number[] = [];
    labels.forEach((l, i) => {
      if (original[i] === l && compressed[i] !== l) want.push(i);
    });
    expect(want.length).toBeGreaterThan(0);
    expect(Array.from(newlyWrong(labels, original, compressed))).toEqual(want);
    expect(newlyWrong(labels, original, original).length).toBe(0);
  });
});
