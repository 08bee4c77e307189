import { describe, expect, it } from 'vitest';
import { SLICE_MS, serveSlice, yieldToEventLoop } from '../../src/model/slices';
import { queuedTask } from '../helpers/queuedTask';

/** Runs the CPU for `ms` (no timer: the time has passed when it returns). */
function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* spin */ }
}

describe('serveSlice', () => {
  it('starts a slice in a new task without yielding, and yields once the task has run SLICE_MS', async () => {
    await yieldToEventLoop();
    await yieldToEventLoop();
    const waiting = queuedTask();
    await serveSlice();
    expect(waiting.ran).toBe(false);
    busy(SLICE_MS / 4);
    await serveSlice();
    expect(waiting.ran).toBe(false);
    busy(SLICE_MS);
    await serveSlice();
    expect(waiting.ran).toBe(true);
    // After the yield, a new slice: short work goes on without yielding again.
    const next = queuedTask();
    await serveSlice();
    expect(next.ran).toBe(false);
  });

  it('counts a run of short calls as one slice, so work made of many short passes still yields', async () => {
    await yieldToEventLoop();
    const waiting = queuedTask();
    const start = performance.now();
    let calls = 0;
    let yieldedAfter = 0;
    while (!waiting.ran) {
      yieldedAfter = performance.now() - start;
      await serveSlice();
      busy(0.5);
      calls++;
      // Each call's work takes >= 0.5 ms, so 4 SLICE_MS calls are past any slice.
      expect(calls).toBeLessThan(4 * SLICE_MS);
    }
    // Not before a slice's time had run (wall time, so a descheduled test process cannot make this flaky;
    // less a margin for the moments between reading the clock here and in serveSlice).
    expect(yieldedAfter).toBeGreaterThanOrEqual(SLICE_MS - 0.5);
  });
});
