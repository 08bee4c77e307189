import { describe, expect, it } from 'vitest';
import { SharedWork } from '../../src/model/sharedWork';
import { CancelledError } from '../../src/model/errors';

/** A computation the test finishes by hand, recording whether its own signal was aborted. */
function held<T>() {
  let finish!: (value: T) => void;
  let fail!: (err: unknown) => void;
  const state = { calls: 0, aborted: false };
  const compute = (signal: AbortSignal) => {
    state.calls++;
    signal.addEventListener('abort', () => { state.aborted = true; });
    return new Promise<T>((resolve, reject) => { finish = resolve; fail = reject; });
  };
  return { compute, state, finish: (v: T) => finish(v), fail: (e: unknown) => fail(e) };
}

describe('SharedWork', () => {
  it('computes a key once for every caller', async () => {
    const work = new SharedWork();
    const job = held<number>();
    const a = work.get('k', job.compute);
    const b = work.get('k', job.compute);
    job.finish(7);
    expect(await a).toBe(7);
    expect(await b).toBe(7);
    expect(await work.get('k', job.compute)).toBe(7);
    expect(job.state.calls).toBe(1);
  });

  it('a later caller that cancels does not cancel the work the first caller waits for', async () => {
    const work = new SharedWork();
    const job = held<string>();
    const sweep = new AbortController();
    const slider = new AbortController();
    const forSweep = work.get('outputs:fc1', job.compute, { signal: sweep.signal });
    const forSlider = work.get('outputs:fc1', job.compute, { signal: slider.signal });
    slider.abort();
    await expect(forSlider).rejects.toBeInstanceOf(CancelledError);
    expect(job.state.aborted).toBe(false);
    job.finish('svd');
    expect(await forSweep).toBe('svd');
  });

  it('the first caller cancelling does not cancel the work a later caller still waits for', async () => {
    const work = new SharedWork();
    const job = held<string>();
    const first = new AbortController();
    const a = work.get('k', job.compute, { signal: first.signal });
    const b = work.get('k', job.compute);
    first.abort();
    await expect(a).rejects.toBeInstanceOf(CancelledError);
    expect(job.state.aborted).toBe(false);
    job.finish('done');
    expect(await b).toBe('done');
  });

  it('aborts the work when every caller has left, and the next caller starts afresh', async () => {
    const work = new SharedWork();
    const job = held<number>();
    const one = new AbortController();
    const two = new AbortController();
    const a = work.get('k', job.compute, { signal: one.signal });
    const b = work.get('k', job.compute, { signal: two.signal });
    one.abort();
    two.abort();
    await expect(a).rejects.toBeInstanceOf(CancelledError);
    await expect(b).rejects.toBeInstanceOf(CancelledError);
    expect(job.state.aborted).toBe(true);
    expect(work.has('k')).toBe(false);
    const again = held<number>();
    const c = work.get('k', again.compute);
    again.finish(3);
    expect(await c).toBe(3);
  });

  it('drops a failed entry so the next caller computes again', async () => {
    const work = new SharedWork();
    const job = held<number>();
    const a = work.get('k', job.compute);
    job.fail(new Error('GPU lost'));
    await expect(a).rejects.toThrow('GPU lost');
    expect(work.has('k')).toBe(false);
    expect(await work.get('k', async () => 5)).toBe(5);
  });

  it('keeps pinned entries through many ranks and evicts the least recently used of the rest', async () => {
    const work = new SharedWork(4);
    await work.get('outputs:fc1', async () => 'svd', { pinned: true });
    for (let r = 1; r <= 4; r++) await work.get(`rank:${r}`, async () => r);
    // Touch rank 1 so rank 2 is now the least recently used.
    await work.get('rank:1', async () => -1);
    for (let r = 5; r <= 40; r++) {
      await work.get(`rank:${r}`, async () => r);
      if (r === 5) {
        expect(work.has('rank:1')).toBe(true);
        expect(work.has('rank:2')).toBe(false);
      }
    }
    expect(work.has('outputs:fc1')).toBe(true);
    expect(work.size).toBe(5);
    let recomputed = false;
    expect(await work.get('outputs:fc1', async () => { recomputed = true; return 'again'; }, { pinned: true })).toBe('svd');
    expect(recomputed).toBe(false);
  });

  it('rejects at once for a signal that is already aborted, computing nothing', async () => {
    const work = new SharedWork();
    let called = false;
    await expect(work.get('k', async () => { called = true; return 1; }, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(CancelledError);
    expect(called).toBe(false);
  });
});
