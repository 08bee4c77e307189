import { describe, expect, it } from 'vitest';
import { queuedWorker } from '../../src/model/svdWorkerClient';
import { runFactorJob, type FactorJob } from '../../src/model/factorJobs';
import { CancelledError } from '../../src/model/errors';

/**
 * A stand-in for a module worker: it keeps what it was sent and answers only
 * when the test says so (with the real runFactorJob), so the order of events
 * is the test's, never a timer's.
 */
class HeldWorker {
  static made: HeldWorker[] = [];
  readonly received: FactorJob[] = [];
  terminated = false;
  onmessage: ((event: MessageEvent) => void) | null = null;
  onerror: ((event: ErrorEvent) => void) | null = null;
  constructor() {
    HeldWorker.made.push(this);
  }
  postMessage(message: FactorJob): void {
    this.received.push(message);
  }
  terminate(): void {
    this.terminated = true;
  }
  /** Answers the oldest job it has not answered yet. */
  answer(): void {
    const job = this.received[this.answered++];
    this.onmessage!({ data: { result: runFactorJob(job) } } as MessageEvent);
  }
  private answered = 0;
}

/** A small data-aware job (3 x 2 kernel, rank 1) whose answer is known: the kernel projected on e_1. */
function job(scale: number) {
  return {
    kernel: Float32Array.from([1, 0, 0, 2, 0, 0].map((v) => v * scale)),
    shape: [3, 2] as [number, number],
    bias: null,
    meanInput: new Float64Array(3),
    basis: Float64Array.from([1, 0]),
    spectrum: Float64Array.from([1, 0]),
    rank: 1,
  };
}

/** Lets queued promise continuations run (no timers involved). */
const settle = () => new Promise<void>((resolve) => queueMicrotask(() => queueMicrotask(() => queueMicrotask(resolve))));

describe('queuedWorker', () => {
  it('runs jobs one at a time on one worker, in order', async () => {
    HeldWorker.made = [];
    const run = queuedWorker(() => new HeldWorker() as unknown as Worker);
    const first = run('data-aware', job(1));
    const second = run('data-aware', job(3));
    await settle();
    expect(HeldWorker.made).toHaveLength(1);
    const worker = HeldWorker.made[0];
    expect(worker.received).toHaveLength(1); // the second waits for the first
    worker.answer();
    const a = await first;
    // A B = W e_1 e_1^T: the first column of W (1, 0, 0), nothing in the second.
    const product = [0, 1, 2].map((i) => [a.a[i] * a.b[0], a.a[i] * a.b[1]]);
    expect(product.map(([x, y]) => [Math.round(x * 1e6) / 1e6, Math.abs(y)])).toEqual([[1, 0], [0, 0], [0, 0]]);
    await settle();
    expect(worker.received).toHaveLength(2);
    worker.answer();
    const b = await second;
    expect(b.a[0] * b.b[0]).toBeCloseTo(3, 5);
    expect(HeldWorker.made).toHaveLength(1);
    expect(worker.terminated).toBe(false);
  });

  it('never sends a job cancelled before its turn, and keeps the worker', async () => {
    HeldWorker.made = [];
    const run = queuedWorker(() => new HeldWorker() as unknown as Worker);
    const first = run('data-aware', job(1));
    const abort = new AbortController();
    const skipped = run('data-aware', job(2), abort.signal);
    const third = run('data-aware', job(4));
    abort.abort();
    await settle();
    const worker = HeldWorker.made[0];
    worker.answer();
    await first;
    await expect(skipped).rejects.toBeInstanceOf(CancelledError);
    await settle();
    expect(worker.received.map((m) => (m as { input: { kernel: Float32Array } }).input.kernel[0])).toEqual([1, 4]);
    worker.answer();
    expect((await third).a.length).toBe(3);
    expect(worker.terminated).toBe(false);
    expect(HeldWorker.made).toHaveLength(1);
  });

  it('a job cancelled while it runs takes its worker down; the next job starts a new one', async () => {
    HeldWorker.made = [];
    const run = queuedWorker(() => new HeldWorker() as unknown as Worker);
    const abort = new AbortController();
    const running = run('data-aware', job(1), abort.signal);
    await settle();
    const first = HeldWorker.made[0];
    expect(first.received).toHaveLength(1);
    abort.abort();
    await expect(running).rejects.toBeInstanceOf(CancelledError);
    expect(first.terminated).toBe(true);
    const next = run('data-aware', job(2));
    await settle();
    expect(HeldWorker.made).toHaveLength(2);
    HeldWorker.made[1].answer();
    expect((await next).a[0] * (await next).b[0]).toBeCloseTo(2, 5);
  });
});
