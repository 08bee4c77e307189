import { CancelledError } from './errors';

/**
 * Slow, rank-independent or per-rank factor work (an SVD of calibration
 * outputs, a channel group's SVDs, a layer's factors at one rank) shared by
 * everyone who asks for the same key: the slider, a sweep, a rule search.
 *
 * Two things make sharing safe. Each caller waits with its own AbortSignal:
 * a caller that cancels is released at once with CancelledError, and the
 * work itself is cancelled only when every caller waiting on it has left,
 * so a slider move never cancels the sweep that asked first. And entries
 * have two lifetimes: `pinned` ones (rank-independent work, a few per layer)
 * stay for the owner's life; the others are evicted least recently used
 * first past `capacity`, so a sweep's many ranks never push out the SVDs
 * everything else is sliced from.
 */

interface Entry {
  promise: Promise<unknown>;
  controller: AbortController;
  waiting: number;
  settled: boolean;
  pinned: boolean;
  /** Keeps computing when every caller has cancelled (see get's `finish`). */
  finish: boolean;
}

export class SharedWork {
  private readonly entries = new Map<string, Entry>();

  /** `capacity`: how many unpinned entries are kept (each may hold an m x n kernel: 1.6 MB for mlp-512's fc1). */
  constructor(private readonly capacity = 48) {}

  /** Number of entries held, pinned ones included (for tests). */
  get size(): number {
    return this.entries.size;
  }

  /** Whether `key` is held now (for tests). */
  has(key: string): boolean {
    return this.entries.has(key);
  }

  /**
   * The result of `compute` for `key`, computed once while it is held.
   * `compute` gets a signal of its own that aborts only when every caller
   * waiting for it has cancelled. Rejects with CancelledError when `signal`
   * aborts; a failed or cancelled computation is dropped, so the next caller
   * starts afresh. `finish`: the work runs to the end even when every
   * caller has cancelled, for rank-independent work the next caller needs
   * anyway (a layer's calibration-output SVD): otherwise a dragged slider
   * cancels and restarts it on every move and it never completes.
   */
  get<T>(key: string, compute: (signal: AbortSignal) => Promise<T>, options: { pinned?: boolean; finish?: boolean; signal?: AbortSignal } = {}): Promise<T> {
    const { signal, pinned = false, finish = false } = options;
    if (signal?.aborted) return Promise.reject(new CancelledError());
    let entry = this.entries.get(key);
    if (entry) {
      // Least recently used goes first: a hit moves the key to the end.
      this.entries.delete(key);
      this.entries.set(key, entry);
    } else {
      const controller = new AbortController();
      const fresh: Entry = { promise: Promise.resolve(), controller, waiting: 0, settled: false, pinned, finish };
      fresh.promise = compute(controller.signal).finally(() => { fresh.settled = true; });
      fresh.promise.catch(() => this.drop(key, fresh));
      this.entries.set(key, fresh);
      this.evict();
      entry = fresh;
    }
    return this.wait(key, entry, signal) as Promise<T>;
  }

  private wait(key: string, entry: Entry, signal: AbortSignal | undefined): Promise<unknown> {
    entry.waiting++;
    return new Promise((resolve, reject) => {
      let left = false;
      /** Each caller leaves once: by its own cancel or by the work settling, whichever comes first. */
      const leave = (): boolean => {
        if (left) return false;
        left = true;
        signal?.removeEventListener('abort', onAbort);
        entry.waiting--;
        return true;
      };
      const onAbort = () => {
        if (!leave()) return;
        reject(new CancelledError());
        if (entry.waiting === 0 && !entry.settled && !entry.finish) {
          this.drop(key, entry);
          entry.controller.abort();
        }
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      entry.promise.then(
        (value) => { if (leave()) resolve(value); },
        (err: unknown) => { if (leave()) reject(err); },
      );
    });
  }

  private drop(key: string, entry: Entry): void {
    if (this.entries.get(key) === entry) this.entries.delete(key);
  }

  private evict(): void {
    let unpinned = [...this.entries.values()].filter((e) => !e.pinned).length;
    for (const [key, entry] of this.entries) {
      if (unpinned <= this.capacity) break;
      if (entry.pinned) continue;
      this.entries.delete(key);
      unpinned--;
    }
  }
}
