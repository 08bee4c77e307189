import { CancelledError } from './errors';

/**
 * One request to a fresh module worker: posts `message`, resolves with the
 * worker's `{ result }` reply or rejects with its `{ error }`, and
 * terminates the worker (after a success only without `keepAlive`). Aborting `signal` terminates it at once (the only
 * way to stop a running sweep) and rejects with CancelledError. The caller
 * constructs the worker, so that Vite sees the literal `new Worker(new
 * URL(...))` it bundles.
 */
export function callWorker<T>(worker: Worker, message: unknown, transfer: Transferable[], signal?: AbortSignal, options: { keepAlive?: boolean } = {}): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal?.aborted) {
      worker.terminate();
      reject(new CancelledError());
      return;
    }
    const onAbort = () => {
      worker.terminate();
      reject(new CancelledError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const finish = (ok: boolean) => {
      signal?.removeEventListener('abort', onAbort);
      if (!ok || !options.keepAlive) worker.terminate();
    };
    worker.onmessage = (event: MessageEvent<{ result?: T; error?: string }>) => {
      finish(event.data.error === undefined);
      if (event.data.error === undefined) resolve(event.data.result as T);
      else reject(new Error(event.data.error));
    };
    worker.onerror = (event) => {
      finish(false);
      reject(new Error(`Worker failed: ${event.message}`));
    };
    worker.postMessage(message, transfer);
  });
}

/** Typed arrays inside a worker's result, for transferring them instead of copying. */
export function transferablesOf(value: unknown, out: Transferable[] = []): Transferable[] {
  if (ArrayBuffer.isView(value)) {
    if (!out.includes(value.buffer)) out.push(value.buffer);
  } else if (Array.isArray(value)) {
    value.forEach((v) => transferablesOf(v, out));
  } else if (value && typeof value === 'object') {
    Object.values(value).forEach((v) => transferablesOf(v, out));
  }
  return out;
}
