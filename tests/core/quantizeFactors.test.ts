import { describe, expect, it } from 'vitest';
import { dataAwareFactors } from '../../src/core/dataAware';
import { truncatedFactors } from '../../src/core/factors';
import { dequantize, type QuantizationBits } from '../../src/core/quantize';
import { quantizeFactors } from '../../src/core/quantizeFactors';
import { svdJacobi } from '../../src/core/svd';
import { asRank } from '../../src/core/units';
import { frobeniusDistance, gaussianMatrix, matrixWithSpectrum, multiplySvd } from './reference';
import { multiply } from './subspaceReference';

// 30 x 20 with a known spectrum 10 * 0.7^i; rank-5 factors from the lab's SVD.
const M = 30;
const N = 20;
const K = 5;
const SPECTRUM = Array.from({ length: N }, (_, i) => 10 * 0.7 ** i);
const W = matrixWithSpectrum(M, N, SPECTRUM, 12);
const SVD = svdJacobi(W, [M, N]);
const FACTORS = truncatedFactors(SVD, asRank(K));
const W_K = multiplySvd(SVD.u, SVD.s, SVD.v, M, N, SVD.r, K);

/**
 * The error bound the scheme promises: with E_U, E_V the quantization errors
 * of U and V^T (entries at most half a step of their channel),
 * W_k - U' S V'^T = E_U S V^T + U S E_V^T + E_U S E_V^T, and for orthonormal
 * U, V the Frobenius norms of the three terms are at most
 * |E_U S|, |S E_V^T| and |E_U|_F |S E_V^T|.
 */
function promisedBound(uScales: Float32Array, vtScales: Float32Array, s: ArrayLike<number>): number {
  let euS = 0;
  let eu = 0;
  let sEv = 0;
  let evRow = 0;
  for (const scale of vtScales) evRow += (scale / 2) ** 2;
  for (let c = 0; c < K; c++) {
    euS += s[c] ** 2 * M * (uScales[c] / 2) ** 2;
    eu += M * (uScales[c] / 2) ** 2;
    sEv += s[c] ** 2 * evRow;
  }
  return Math.sqrt(euS) + Math.sqrt(sEv) + Math.sqrt(eu) * Math.sqrt(sEv);
}

describe.each([8, 4] as QuantizationBits[])('quantizeFactors int%i of SVD factors', (bits) => {
  const quantized = quantizeFactors(FACTORS, bits);

  it('keeps the singular values in float32', () => {
    quantized.singularValues.forEach((s, c) => expect(Math.abs(s - SPECTRUM[c])).toBeLessThan(1e-6 * SPECTRUM[c]));
  });

  it('quantizes U per column and V^T per output column', () => {
    expect([quantized.u.rows, quantized.u.cols, quantized.u.axis, quantized.u.scales.length]).toEqual([M, K, 'column', K]);
    expect([quantized.vt.rows, quantized.vt.cols, quantized.vt.axis, quantized.vt.scales.length]).toEqual([K, N, 'column', N]);
    // U's columns are unit vectors: the decoded U is close to the SVD's U.
    const u = dequantize(quantized.u);
    for (let i = 0; i < M; i++) {
      for (let c = 0; c < K; c++) {
        const exact = SVD.u[i * SVD.r + c];
        expect(Math.abs(u[i * K + c] - exact)).toBeLessThanOrEqual(quantized.u.scales[c] / 2 + 1e-6);
      }
    }
  });

  it('reconstructs W_k within the bound the per-channel steps promise', () => {
    const error = frobeniusDistance(multiply(quantized.a, quantized.b, M, K, N), W_K);
    const bound = promisedBound(quantized.u.scales, quantized.vt.scales, quantized.singularValues);
    expect(error).toBeGreaterThan(0);
    expect(error).toBeLessThanOrEqual(bound + 1e-5);
  });

  it('counts both payloads, their scales and the float singular values', () => {
    // int8: 150 + 20 (U) + 100 + 80 (V^T) + 20 (s) = 370;
    // int4: 75 + 20 + 50 + 80 + 20 = 245.
    expect(quantized.bytes).toBe(bits === 8 ? 370 : 245);
  });
});

describe('quantizeFactors', () => {
  it('loses less at int8 than at int4, and under 1% of ||W_k|| at int8', () => {
    const norm = frobeniusDistance(W_K);
    const error = (bits: QuantizationBits) => {
      const q = quantizeFactors(FACTORS, bits);
      return frobeniusDistance(multiply(q.a, q.b, M, K, N), W_K);
    };
    expect(error(8)).toBeLessThan(error(4));
    expect(error(8)).toBeLessThan(0.01 * norm);
  });

  it('drops a term whose column of A is zero and keeps the rest', () => {
    const a = Float32Array.from(FACTORS.a);
    for (let i = 0; i < M; i++) a[i * K + 2] = 0;
    const q = quantizeFactors({ ...FACTORS, a }, 8);
    expect(q.singularValues[2]).toBe(0);
    for (let i = 0; i < M; i++) expect(q.a[i * K + 2]).toBe(0);
    expect(q.singularValues[1]).toBeCloseTo(SPECTRUM[1], 4);
  });

  it('splits any factor pair exactly, e.g. data-aware factors', () => {
    const x = gaussianMatrix(50, M, 3);
    const f = dataAwareFactors(W, [M, N], null, x, asRank(K));
    const q = quantizeFactors(f, 8);
    const exact = multiply(f.a, f.b, M, K, N);
    expect(frobeniusDistance(multiply(q.a, q.b, M, K, N), exact)).toBeLessThan(0.01 * frobeniusDistance(exact));
  });

  it('refuses factors that do not fit their shape', () => {
    expect(() => quantizeFactors({ ...FACTORS, k: K + 1 }, 8)).toThrow(RangeError);
  });
});
