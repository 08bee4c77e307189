/// <reference lib="webworker" />
import { svdJacobi, type Svd } from '../core/svd';
import { randomizedSvd } from '../core/randomizedSvd';

/**
 * Runs the float64 SVD off the main thread so the page never freezes while a
 * model is decomposed: the full Jacobi SVD, or the randomized top-k when the
 * message asks for `topK` (then with its residuals). Message in:
 * { data: Float32Array, shape, topK? }; out: { result: Svd } or { error }.
 * Result arrays are transferred.
 */
self.onmessage = (event: MessageEvent<{ data: Float32Array; shape: [number, number]; topK?: number }>) => {
  const { data, shape, topK } = event.data;
  try {
    const full = topK === undefined ? svdJacobi(data, shape) : randomizedSvd(data, shape, topK);
    const svd: Svd = { u: full.u, s: full.s, v: full.v, m: full.m, n: full.n, r: full.r, sweeps: full.sweeps, converged: full.converged, residuals: full.residuals };
    const transfer = [svd.u.buffer, svd.s.buffer, svd.v.buffer, ...(svd.residuals ? [svd.residuals.buffer] : [])];
    (self as unknown as Worker).postMessage({ result: svd }, transfer);
  } catch (err) {
    (self as unknown as Worker).postMessage({ error: (err as Error).message });
  }
};
