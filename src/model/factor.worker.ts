/// <reference lib="webworker" />
import { runFactorJob, type FactorJob } from './factorJobs';
import { transferablesOf } from './workerCall';

/**
 * Runs one factor job (data-aware, l_p, grouped SVD, ALDS) off the main
 * thread. Message in: a FactorJob; out: { result } with its typed arrays
 * transferred, or { error } with the message.
 */
self.onmessage = (event: MessageEvent<FactorJob>) => {
  try {
    const result = runFactorJob(event.data);
    (self as unknown as Worker).postMessage({ result }, transferablesOf(result));
  } catch (err) {
    (self as unknown as Worker).postMessage({ error: (err as Error).message });
  }
};
