import type { Svd } from '../core/svd';
import { CancelledError } from './errors';
import type { SvdFn } from './factors';

/**
 * The browser's SvdFn: each call runs in a fresh module worker. Cancelling
 * terminates the worker, which is the only way to stop a running Jacobi
 * sweep, and rejects with CancelledError.
 */
export const workerSvd: SvdFn = (data, shape, signal, topK) =>
  new Promise<Svd>((resolve, reject) => {
    if (signal?.aborted) {
      reject(new CancelledError());
      return;
    }
    const worker = new Worker(new URL('./svd.worker.ts', import.meta.url), { type: 'module' });
    const onAbort = () => {
      worker.terminate();
      reject(new CancelledError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const finish = () => {
      signal?.removeEventListener('abort', onAbort);
      worker.terminate();
    };
    worker.onmessage = (event: MessageEvent<{ svd?: Svd; error?: string }>) => {
      finish();
      if (event.data.svd) resolve(event.data.svd);
      else reject(new Error(event.data.error ?? 'SVD worker failed'));
    };
    worker.onerror = (event) => {
      finish();
      reject(new Error(`SVD worker failed: ${event.message}`));
    };
    worker.postMessage({ id: 0, data, shape: [shape[0], shape[1]], topK }, [data.buffer]);
  });
