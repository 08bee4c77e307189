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

/**
 * Runs a factor job (see factorJobs.ts) in a worker; inputs are copied, not
 * transferred, since callers keep them. l_p jobs get a fresh worker each.
 * ALDS jobs share one long-lived worker, one job at a time, so the group
 * spectra it keeps by cacheKey serve later budgets (a target search, the
 * next rule); a cancelled or failed job takes that worker down with it.
 */
export const workerFactorJob: FactorJobFn = (kind, input, signal) =>
  kind === 'alds'
    ? queuedOnAldsWorker(kind, input, signal)
    : callWorker(new Worker(new URL('./factor.worker.ts', import.meta.url), { type: 'module' }), { kind, input }, [], signal);

let aldsWorker: Worker | null = null;
let aldsTail: Promise<unknown> = Promise.resolve();

const queuedOnAldsWorker: FactorJobFn = (kind, input, signal) => {
  const job = aldsTail.catch(() => undefined).then(() => {
    const worker = (aldsWorker ??= new Worker(new URL('./factor.worker.ts', import.meta.url), { type: 'module' }));
    return callWorker(worker, { kind, input }, [], signal, { keepAlive: true }).catch((err: unknown) => {
      if (aldsWorker === worker) aldsWorker = null; // callWorker has terminated it
      throw err;
    });
  });
  aldsTail = job;
  return job as never;
};
