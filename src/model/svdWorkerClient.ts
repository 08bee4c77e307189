import type { Svd } from '../core/svd';
import type { SvdFn } from './factors';
import type { FactorJobFn } from './factorJobs';
import { callWorker } from './workerCall';
import { throwIfCancelled } from './errors';

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
 * ALDS jobs share one long-lived worker, so the group spectra it keeps by
 * cacheKey serve later budgets (a target search, the next rule); data-aware
 * projections share another, since each is too short (tens of ms) to pay
 * for starting a worker.
 */
export const workerFactorJob: FactorJobFn = (kind, input, signal) => {
  if (kind === 'alds') return aldsQueue(kind, input, signal);
  if (kind === 'data-aware') return projectionQueue(kind, input, signal);
  return callWorker(factorWorker(), { kind, input }, [], signal);
};

/** A new factor worker (the literal `new Worker(new URL(...))` Vite bundles). */
function factorWorker(): Worker {
  return new Worker(new URL('./factor.worker.ts', import.meta.url), { type: 'module' });
}

/**
 * A long-lived factor worker that runs its jobs one at a time, in order. A
 * job cancelled before its turn never reaches the worker; one cancelled or
 * failing while it runs takes the worker down with it (terminating is the
 * only way to stop it), and the next job starts a new one.
 */
export function queuedWorker(create: () => Worker): FactorJobFn {
  let worker: Worker | null = null;
  let tail: Promise<unknown> = Promise.resolve();
  return (kind, input, signal) => {
    const job = tail.catch(() => undefined).then(() => {
      throwIfCancelled(signal);
      const current = (worker ??= create());
      return callWorker(current, { kind, input }, [], signal, { keepAlive: true }).catch((err: unknown) => {
        if (worker === current) worker = null; // callWorker has terminated it
        throw err;
      });
    });
    tail = job;
    return job as never;
  };
}

const aldsQueue = queuedWorker(factorWorker);
const projectionQueue = queuedWorker(factorWorker);
