import { describe, expect, it } from 'vitest';
import { SharedWork } from '../../src/model/sharedWork';
import { CancelledError } from '../../src/model/errors';

/**
 * SharedWork's `finish` option: rank-independent work (a layer's
 * calibration-output SVD) keeps running when every caller has left, so a
 * dragged slider, whose every move cancels the evaluation before, does not
 * cancel and restart it on every move (which, in the long-session test,
 * redid a 100-300 ms product per move and never finished the SVD). Work
 * without it is still cancelled when its last caller leaves.
 */

function deferred<T>(): { promise: Promise<T>; resolve(v: T): void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => { resolve = r; });
  return { promise, resolve };
}

describe('SharedWork finish', () => {
  it('keeps finishing work running when its only caller cancels, and serves the result to the next caller', async () => {
    const work = new SharedWork();
    const gate = deferred<string>();
    let own: AbortSignal | null = null;
    let computed = 0;
    const caller = new AbortController();
    const first = work.get('outputs:fc1', (signal) => { own = signal; computed++; return gate.promise; }, { pinned: true, finish: true, signal: caller.signal });
    caller.abort();
    await expect(first).rejects.toBeInstanceOf(CancelledError);
    expect(own!.aborted).toBe(false);
    expect(work.has('outputs:fc1')).toBe(true);
    gate.resolve('svd');
    expect(await work.get('outputs:fc1', async () => { computed++; return 'again'; }, { pinned: true, finish: true })).toBe('svd');
    expect(computed).toBe(1);
  });

  it('still cancels work without it when its last caller leaves', async () => {
    const work = new SharedWork();
    let own: AbortSignal | null = null;
    const caller = new AbortController();
    const first = work.get('factors:fc1:3', (signal) => { own = signal; return new Promise<string>(() => {}); }, { pinned: true, signal: caller.signal });
    caller.abort();
    await expect(first).rejects.toBeInstanceOf(CancelledError);
    expect(own!.aborted).toBe(true);
    expect(work.has('factors:fc1:3')).toBe(false);
  });
});
