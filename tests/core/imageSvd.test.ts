import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { frobeniusDistance, greyImageFromBytes, imageSvd, rankKApproximation, rankKStorage } from '../../src/core/imageSvd';
import { column, projectOnColumns } from '../../src/core/directions';
import { encodePgm, parsePgm, PgmFormatError } from '../../src/core/pgm';
import { svdJacobi } from '../../src/core/svd';
import { gaussianMatrix, matrixWithSpectrum } from './reference';

/**
 * The image warm-up's maths against oracles that do not use it: a matrix
 * built with a known spectrum (Eckart-Young: the rank-k error is the root
 * of the discarded s_i^2), the bundled picture's pixels summed directly,
 * the storage counts from their definition, and projections against
 * U_k U_k^T formed entry by entry.
 */

const PICTURE = join(__dirname, '..', '..', 'public', 'data', 'picture.pgm');

describe('rank-k approximation of an image', () => {
  it('has the Eckart-Young error sqrt(sum of discarded s_i^2) for a matrix of known spectrum', () => {
    const spectrum = [9, 5, 3, 2, 1.5, 1, 0.5, 0.25, 0.1, 0.05];
    const a = matrixWithSpectrum(12, 10, spectrum, 7);
    const svd = svdJacobi(a, [12, 10]);
    for (const k of [0, 1, 3, 6, 10]) {
      const expected = Math.sqrt(spectrum.slice(k).reduce((s, x) => s + x * x, 0));
      expect(frobeniusDistance(a, rankKApproximation(svd, k))).toBeCloseTo(expected, 10);
    }
  });

  it('reproduces the bundled picture at full rank, and its rank-k error matches its own spectrum', () => {
    const { rows, cols, pixels } = parsePgm(new Uint8Array(readFileSync(PICTURE)));
    const image = greyImageFromBytes(pixels, rows, cols);
    const svd = imageSvd(image);
    // The spectrum's energy is the pixels' sum of squares, summed here from the bytes themselves.
    let energy = 0;
    for (const p of pixels) energy += (p / 255) ** 2;
    expect(svd.s.reduce((s, x) => s + x * x, 0)).toBeCloseTo(energy, 8);
    expect(frobeniusDistance(image.pixels, rankKApproximation(svd, svd.r))).toBeLessThan(1e-9);
    for (const k of [1, 8, 32]) {
      let tail = 0;
      for (let i = k; i < svd.r; i++) tail += svd.s[i] ** 2;
      expect(frobeniusDistance(image.pixels, rankKApproximation(svd, k))).toBeCloseTo(Math.sqrt(tail), 8);
    }
    // Structure at several scales: the error keeps falling well past rank 8 and the picture is not nearly rank 1.
    expect(svd.s[1] / svd.s[0]).toBeGreaterThan(0.05);
    expect(svd.s[40] / svd.s[0]).toBeGreaterThan(1e-4);
  });

  it('is small and square: 128 x 128 bytes, under 40 KB', () => {
    const bytes = readFileSync(PICTURE);
    expect(bytes.length).toBeLessThan(40_000);
    expect(parsePgm(new Uint8Array(bytes))).toMatchObject({ rows: 128, cols: 128 });
  });
});

describe('rankKStorage', () => {
  it('counts k(m+n) factor values against mn, 4 bytes each, and the break-even rank by its definition', () => {
    const s = rankKStorage(128, 128, 8);
    expect(s).toMatchObject({ originalValues: 16384, originalBytes: 65536, factorValues: 2048, factorBytes: 8192, breakEvenRank: 64 });
    for (const [m, n] of [[28, 28], [784, 64], [100, 3], [7, 5]]) {
      const b = rankKStorage(m, n, 1).breakEvenRank;
      // The largest k whose factors do not exceed the matrix.
      let expected = 0;
      while ((expected + 1) * (m + n) <= m * n) expected++;
      expect(b, `${m}x${n}`).toBe(expected);
    }
  });
});

describe('greyImageFromBytes', () => {
  it('reads image i of a run of images at its offset, scaled to [0, 1]', () => {
    const bytes = Uint8Array.from({ length: 3 * 4 }, (_, i) => i * 20);
    const second = greyImageFromBytes(bytes, 2, 2, 4);
    expect(Array.from(second.pixels)).toEqual([80, 100, 120, 140].map((v) => v / 255));
    expect(() => greyImageFromBytes(bytes, 2, 2, 10)).toThrow(RangeError);
  });
});

describe('projectOnColumns', () => {
  const m = 9;
  const r = 4;
  const svd = svdJacobi(gaussianMatrix(m, r, 3), [m, r]);
  const x = gaussianMatrix(m, 1, 4);

  it('equals U_k U_k^T x formed entry by entry', () => {
    for (const k of [0, 1, 2, 4]) {
      const got = projectOnColumns(svd.u, m, r, x, k);
      for (let i = 0; i < m; i++) {
        let want = 0;
        for (let j = 0; j < m; j++) {
          let p = 0;
          for (let c = 0; c < k; c++) p += svd.u[i * r + c] * svd.u[j * r + c];
          want += p * x[j];
        }
        expect(got[i]).toBeCloseTo(want, 12);
      }
    }
  });

  it('gives x back when the columns span the whole space', () => {
    const square = svdJacobi(gaussianMatrix(m, m, 5), [m, m]);
    const back = projectOnColumns(square.u, m, m, x, m);
    for (let i = 0; i < m; i++) expect(back[i]).toBeCloseTo(x[i], 12);
  });

  it('reads columns of a row-major matrix', () => {
    expect(Array.from(column(Float64Array.from([1, 2, 3, 4, 5, 6]), 3, 2, 1))).toEqual([2, 4, 6]);
    expect(() => column(new Float64Array(6), 3, 2, 2)).toThrow(RangeError);
  });
});

describe('PGM files', () => {
  it('round-trips and skips comments in the header', () => {
    const image = { rows: 2, cols: 3, pixels: Uint8Array.from([0, 1, 2, 253, 254, 255]) };
    expect(parsePgm(encodePgm(image))).toEqual(image);
    const commented = new Uint8Array([...new TextEncoder().encode('P5 # made by hand\n3 2\n# max\n255\n'), ...image.pixels]);
    expect(parsePgm(commented)).toEqual(image);
  });

  it('refuses another format, another maxval and a file cut short', () => {
    const good = encodePgm({ rows: 2, cols: 2, pixels: new Uint8Array(4) });
    expect(() => parsePgm(new TextEncoder().encode('P2 2 2 255\n0 0 0 0'))).toThrow(PgmFormatError);
    expect(() => parsePgm(new TextEncoder().encode('P5 2 2 65535\n'))).toThrow(/maxval/);
    expect(() => parsePgm(good.subarray(0, good.length - 1))).toThrow(/cut short/);
  });
});
