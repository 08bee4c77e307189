import { describe, expect, it } from 'vitest';
import { averageRowBlocks, blockAverage, blockAveragedProduct, blockGrid, difference } from '../../src/core/heatmap';
import { divergingRgb, divergingRgba, divergingStops, greyRgba, maxAbsOf, NEUTRAL_RGB } from '../../src/core/colorScale';
import { svdJacobi } from '../../src/core/svd';
import { gaussianMatrix } from './reference';

/**
 * Heatmap downsampling and colours against plain oracles: the mean of the
 * matrix recomputed from the cells and their sizes, the averaged product
 * against averaging U_k S_k V_k^T formed in full, and the colour scale's
 * neutral point, sides and ends.
 */

describe('blockGrid', () => {
  it('keeps small matrices whole and cuts large ones to at most maxCells a side', () => {
    expect(blockGrid(64, 10)).toMatchObject({ blockRows: 1, blockCols: 1, rows: 64, cols: 10 });
    expect(blockGrid(784, 512, 256)).toMatchObject({ blockRows: 4, blockCols: 2, rows: 196, cols: 256 });
    expect(blockGrid(4096, 257, 256)).toMatchObject({ blockRows: 16, blockCols: 2, rows: 256, cols: 129 });
  });
});

describe('blockAverage', () => {
  it.each([[12, 8, 4], [37, 23, 5], [784, 64, 256], [5, 5, 1]])('preserves the mean of a %ix%i matrix cut into at most %i cells a side', (m, n, maxCells) => {
    const data = gaussianMatrix(m, n, m + n);
    const grid = blockGrid(m, n, maxCells);
    const cells = blockAverage(data, grid);
    expect(cells.length).toBe(grid.rows * grid.cols);
    // Oracle: every entry's own cell, found by division, weighted by how many entries each cell holds.
    const sizes = new Float64Array(cells.length);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) sizes[Math.floor(i / grid.blockRows) * grid.cols + Math.floor(j / grid.blockCols)]++;
    const mean = data.reduce((s, v) => s + v, 0) / (m * n);
    const fromCells = cells.reduce((s, v, c) => s + v * sizes[c], 0) / (m * n);
    expect(fromCells).toBeCloseTo(mean, 12);
    if (m % grid.blockRows === 0 && n % grid.blockCols === 0) expect(cells.reduce((s, v) => s + v, 0) / cells.length).toBeCloseTo(mean, 12);
  });

  it('averages the entries of one block', () => {
    const data = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(Array.from(blockAverage(data, blockGrid(3, 3, 2)))).toEqual([3, 4.5, 7.5, 9]);
  });
});

describe('blockAveragedProduct', () => {
  it('equals the block average of U_k S_k V_k^T formed in full', () => {
    const [m, n] = [30, 17];
    const svd = svdJacobi(gaussianMatrix(m, n, 11), [m, n]);
    const grid = blockGrid(m, n, 7);
    const uMeans = averageRowBlocks(svd.u, m, svd.r, grid.blockRows);
    const vMeans = averageRowBlocks(svd.v, n, svd.r, grid.blockCols);
    for (const k of [0, 1, 5, svd.r]) {
      const full = new Float64Array(m * n);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) for (let c = 0; c < k; c++) full[i * n + j] += svd.u[i * svd.r + c] * svd.s[c] * svd.v[j * svd.r + c];
      const want = blockAverage(full, grid);
      const got = blockAveragedProduct(uMeans, svd.s, vMeans, svd.r, k);
      want.forEach((w, c) => expect(got[c]).toBeCloseTo(w, 12));
    }
  });

  it('leaves nothing of W at full rank: W - W_r is zero to rounding', () => {
    const [m, n] = [20, 9];
    const w = gaussianMatrix(m, n, 2);
    const svd = svdJacobi(w, [m, n]);
    const grid = blockGrid(m, n, 4);
    const cells = blockAverage(w, grid);
    const wr = blockAveragedProduct(averageRowBlocks(svd.u, m, svd.r, grid.blockRows), svd.s, averageRowBlocks(svd.v, n, svd.r, grid.blockCols), svd.r, svd.r);
    expect(maxAbsOf(difference(cells, wr))).toBeLessThan(1e-12 * maxAbsOf(cells));
  });
});

describe('diverging colour scale', () => {
  it('is neutral at zero and for an all-zero matrix, blue below and red above, saturating at +-max', () => {
    expect(divergingRgb(0, 1)).toEqual([...NEUTRAL_RGB]);
    expect(divergingRgb(3, 0)).toEqual([...NEUTRAL_RGB]);
    const [rNeg, , bNeg] = divergingRgb(-0.5, 1);
    const [rPos, , bPos] = divergingRgb(0.5, 1);
    expect(bNeg).toBeGreaterThan(rNeg);
    expect(rPos).toBeGreaterThan(bPos);
    expect(divergingRgb(-5, 1)).toEqual(divergingRgb(-1, 1));
    expect(divergingRgb(5, 1)).toEqual(divergingRgb(1, 1));
    // Lightness falls away from zero on both sides (a sequential reading of |value|).
    const light = (v: number) => divergingRgb(v, 1).reduce((s, c) => s + c, 0);
    for (const v of [0.25, 0.5, 0.75, 1]) {
      expect(light(v)).toBeLessThan(light(v - 0.25));
      expect(light(-v)).toBeLessThan(light(-v + 0.25));
    }
  });

  it('paints RGBA bytes per value, and stops from -max to +max with zero in the middle', () => {
    const rgba = divergingRgba([0, -2, 2], 2);
    expect(Array.from(rgba.subarray(0, 4))).toEqual([...NEUTRAL_RGB, 255]);
    expect(Array.from(rgba.subarray(4, 8))).toEqual([...divergingRgb(-2, 2), 255]);
    // The table's colours are divergingRgb's to within one level, and a value below max / 1024 is neutral.
    const values = Array.from({ length: 201 }, (_, i) => (i - 100) / 37);
    const table = divergingRgba(values, 2.5);
    values.forEach((v, i) => divergingRgb(v, 2.5).forEach((c, j) => expect(Math.abs(table[4 * i + j] - c)).toBeLessThanOrEqual(1)));
    expect(Array.from(divergingRgba([1e-4, -1e-4], 1).subarray(0, 8))).toEqual([...NEUTRAL_RGB, 255, ...NEUTRAL_RGB, 255]);
    expect(Array.from(divergingRgba([NaN], 1).subarray(0, 3))).toEqual([...NEUTRAL_RGB]);
    const stops = divergingStops(0.3, 5);
    expect(stops.map((s) => s.value)).toEqual([-0.3, -0.15, 0, 0.15, 0.3]);
    expect(stops[2].css).toBe(`rgb(${NEUTRAL_RGB.join(', ')})`);
    expect(Array.from(greyRgba([0, 0.5, 2]))).toEqual([0, 0, 0, 255, 128, 128, 128, 255, 255, 255, 255, 255]);
  });
});
