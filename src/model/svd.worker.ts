/// <reference lib="webworker" />
import { svdJacobi } from '../core/svd';

/**
 * Runs the float64 Jacobi SVD off the main thread so the page never freezes
 * while a model is decomposed. Message in: { id, data: Float32Array, shape };
 * out: { id, svd } or { id, error }. Result arrays are transferred, not copied.
 */
self.onmessage = (event: MessageEvent<{ id: number; data: Float32Array; shape: [number, number] }>) => {
  const { id, data, shape } = event.data;
  try {
    const svd = svdJacobi(data, shape);
    (self as unknown as Worker).postMessage({ id, svd }, [svd.u.buffer, svd.s.buffer, svd.v.buffer]);
  } catch (err) {
    (self as unknown as Worker).postMessage({ id, error: (err as Error).message });
  }
};
