import type { Svd } from '../core/svd';
import type { SvdFn } from './factors';
import type { FactorJobFn } from './factorJobs';
import { callWorker } from './workerCall';

/**
 * The browser's SvdFn and FactorJobFn: each call runs in a fresh module
 * worker, so a long Jacobi SVD, IRLS or ALDS search never freezes the page;
 * cancelling terminates the worker and rejects with CancelledError.
 */
export const workerSvd: SvdFn = (data, shape, signal, topK) =>
  callWorker<Svd>(new Worker(new URL('./svd.worker.ts', import.meta.url), { type: 'module' }), { data, shape: [shape[0], shape[1]], topK }, [data.buffer], signal);

/** Runs a factor job (see factorJobs.ts) in a fresh worker; inputs are copied, not transferred, since callers keep them. */
export const workerFactorJob: FactorJobFn = (kind, input, signal) =>
  callWorker(new Worker(new URL('./factor.worker.ts', import.meta.url), { type: 'module' }), { kind, input }, [], signal);
