import { describe, expect, it } from 'vitest';
import { activationLipschitz, lipschitzErrorBound, type LipschitzLayer } from '../../src/core/lipschitz';
import { svdJacobi } from '../../src/core/svd';
import { truncatedFactors, reconstruct } from '../../src/core/factors';
import { asRank } from '../../src/core/units';
import { gaussianMatrix, matrixWithSpectrum } from './reference';

/**
 * The NN-SVD Lipschitz bound against networks computed here in float64: it
 * must hold on random networks and inputs, be exact where the argument is
 * tight (one linear layer, inputs along the first dropped direction), and
 * follow the worked arithmetic of the file comment.
 */

type Net = Array<{ w: Float64Array; m: number; n: number; b: Float64Array; relu: boolean }>;

function forward(net: Net, x: Float64Array, rows: number, kernels: Float64Array[]): { out: Float64Array; inputs: Float64Array[] } {
  let h = x;
  const inputs: Float64Array[] = [];
  net.forEach((layer, l) => {
    inputs.push(h);
    const next = new Float64Array(rows * layer.n);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < layer.n; j++) {
        let z = layer.b[j];
        for (let i = 0; i < layer.m; i++) z += h[r * layer.m + i] * kernels[l][i * layer.n + j];
        next[r * layer.n + j] = layer.relu ? Math.max(0, z) : z;
      }
    }
    h = next;
  });
  return { out: h, inputs };
}

const frob = (a: Float64Array, b?: Float64Array) => Math.sqrt(a.reduce((s, v, i) => s + (v - (b ? b[i] : 0)) ** 2, 0));

describe('Lipschitz error bound', () => {
  it('knows the common activations and refuses to guess the rest', () => {
    expect(activationLipschitz('relu')).toBe(1);
    expect(activationLipschitz('linear')).toBe(1);
    expect(activationLipschitz('sigmoid')).toBe(0.25);
    expect(activationLipschitz('gelu')).toBeUndefined();
  });

  it('multiplies out the worked example of the file comment', () => {
    // Three layers, the middle one truncated: c_2 = a_2 * 0.5 * (a_3 ||W_3||) = 1 * 0.5 * (1 * 4), times ||H'_1|| = 3.
    const layers: LipschitzLayer[] = [
      { kernelNorm: 2, deltaNorm: 0, activationLipschitz: 1, inputNorm: 10 },
      { kernelNorm: 3, deltaNorm: 0.5, activationLipschitz: 1, inputNorm: 3 },
      { kernelNorm: 4, deltaNorm: 0, activationLipschitz: 1, inputNorm: 7 },
    ];
    expect(lipschitzErrorBound(layers)).toEqual({ bound: 6, terms: [0, 6, 0] });
    expect(() => lipschitzErrorBound([{ ...layers[0], deltaNorm: NaN }])).toThrow(RangeError);
  });

  it('bounds the output error of random ReLU networks with truncated layers', () => {
    const shapes = [[20, 12], [12, 9], [9, 5]] as const;
    for (let seed = 1; seed <= 12; seed++) {
      const net: Net = shapes.map(([m, n], l) => ({ w: gaussianMatrix(m, n, seed * 10 + l), m, n, b: gaussianMatrix(1, n, seed * 100 + l), relu: l < 2 }));
      const ranks = [1 + (seed % 5), 1 + (seed % 7), seed % 2 === 0 ? 2 : 5];
      const svds = net.map((l) => svdJacobi(l.w, [l.m, l.n]));
      const compressed = net.map((l, i) => (ranks[i] >= Math.min(l.m, l.n) ? l.w : reconstruct(truncatedFactors(svds[i], asRank(ranks[i])).a, truncatedFactors(svds[i], asRank(ranks[i])).b, l.m, ranks[i], l.n)));
      const rows = 30;
      const x = gaussianMatrix(rows, 20, seed * 1000);
      const original = forward(net, x, rows, net.map((l) => l.w));
      const approx = forward(net, x, rows, compressed.map((w) => Float64Array.from(w)));
      const { bound } = lipschitzErrorBound(net.map((_, i) => ({
        kernelNorm: svds[i].s[0],
        deltaNorm: ranks[i] < svds[i].r ? svds[i].s[ranks[i]] : 0,
        activationLipschitz: 1,
        inputNorm: frob(approx.inputs[i]),
      })));
      const measured = frob(approx.out, original.out);
      expect(measured).toBeGreaterThan(0);
      expect(measured).toBeLessThanOrEqual(bound * (1 + 1e-12));
    }
  });

  it('is exact for one linear layer fed the first dropped singular direction', () => {
    const m = 8;
    const n = 6;
    const w = matrixWithSpectrum(m, n, [5, 4, 3, 2, 1, 0.5], 7);
    const svd = svdJacobi(w, [m, n]);
    const k = 2;
    const f = truncatedFactors(svd, asRank(k));
    const wk = Float64Array.from(reconstruct(f.a, f.b, m, k, n));
    // x = 3 u_{k+1} (a row of inputs in R^m): x (W - W_k) = 3 s_{k+1} v_{k+1}^T.
    const x = new Float64Array(m);
    for (let i = 0; i < m; i++) x[i] = 3 * svd.u[i * svd.r + k];
    const net: Net = [{ w, m, n, b: new Float64Array(n), relu: false }];
    const measured = frob(forward(net, x, 1, [wk]).out, forward(net, x, 1, [w]).out);
    const { bound } = lipschitzErrorBound([{ kernelNorm: svd.s[0], deltaNorm: svd.s[k], activationLipschitz: 1, inputNorm: 3 }]);
    expect(bound).toBeCloseTo(3 * 3, 10);
    expect(measured / bound).toBeCloseTo(1, 6);
  });
});
