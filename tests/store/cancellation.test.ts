import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLabStore } from '../../src/store/createLabStore';
import { nodeSvd, useNodeBackend } from '../../src/cli/nodeEnv';
import { selectPlanKey } from '../../src/store/selectors';
import type { SvdFn } from '../../src/model/factors';
import { createNodeLabEnv } from '../helpers/nodeLabEnv';
import { inlineFactorJob, type FactorJobFn } from '../../src/model/factorJobs';
import { LAB_ACTIONS } from '../../src/ui/actions';

/**
 * Cancellation reads the same whatever threw it. The GPU engine and fetch
 * reject with a DOMException AbortError (AbortSignal.throwIfAborted), the
 * workers with CancelledError; the store must treat both as "superseded",
 * never as a failure. The engine here is the inline SVD behind a gate that
 * holds chosen shapes until released and honours its signal as the GPU
 * engine does.
 */

function gatedSvd(held: (shape: [number, number]) => boolean) {
  let open = false;
  let arrived!: () => void;
  const firstHeld = new Promise<void>((r) => { arrived = r; });
  let opened!: () => void;
  const released = new Promise<void>((r) => { opened = r; });
  const svd: SvdFn = async (data, shape, signal, topK) => {
    if (!open && held(shape)) {
      arrived();
      // Held until release() or the signal's abort event, whichever comes first: no polling, no timer.
      await new Promise<void>((resolve, reject) => {
        const abort = () => reject(new DOMException('This operation was aborted', 'AbortError'));
        if (signal?.aborted) return abort();
        signal?.addEventListener('abort', abort, { once: true });
        void released.then(() => {
          signal?.removeEventListener('abort', abort);
          resolve();
        });
      });
    }
    return nodeSvd(data, shape, signal, topK);
  };
  return { svd, firstHeld, release: () => { open = true; opened(); } };
}

let dispose: (() => Promise<void>) | null = null;

beforeAll(async () => {
  await useNodeBackend('wasm');
});

afterEach(async () => {
  await dispose?.();
  dispose = null;
});

describe('cancellation by AbortError', () => {
  it('a load cancelled during an SVD says it was cancelled, not that it failed', async () => {
    const gate = gatedSvd(([m]) => m === 784);
    const store = createLabStore({ ...createNodeLabEnv(), svd: gate.svd });
    dispose = store.dispose;
    const booting = store.getState().boot();
    await gate.firstHeld;
    store.getState().cancelLoad();
    await booting;
    expect(store.getState().error).toBe('Loading was cancelled; pick a model to open.');
    expect(store.getState().phase).toBe('failed');
  }, 60_000);

  it('a slider move during a data-aware SVD still gets the plan on screen its result', async () => {
    // Calibration outputs are 1,000 x n; kernels are never 1,000 rows tall in mlp-64.
    const gate = gatedSvd(([m]) => m === 1000);
    const store = createLabStore({ ...createNodeLabEnv(), svd: gate.svd });
    dispose = store.dispose;
    await store.getState().boot();
    await store.getState().whenIdle();
    store.getState().setRank('fc1', 8);
    await store.getState().whenIdle();
    store.getState().setMethod('data-aware');
    await gate.firstHeld;
    store.getState().setRank('fc1', 5);
    gate.release();
    await store.getState().whenIdle();
    const s = store.getState();
    expect(s.error).toBeNull();
    expect(s.evaluating).toBe(false);
    expect(s.current?.key).toBe(selectPlanKey(s));
    expect(s.current?.key).toContain('fc1=5');
  }, 60_000);
});

/** A factor-job runner that holds every job of `kind` until its signal aborts (never released): only a cancel ends it. */
function heldJobs(kind: string) {
  let arrived!: () => void;
  const firstHeld = new Promise<void>((r) => { arrived = r; });
  const run: FactorJobFn = (k, input, signal) => {
    if (k !== kind) return inlineFactorJob(k, input, signal);
    arrived();
    return new Promise((_, reject) => {
      if (signal?.aborted) reject(new DOMException('This operation was aborted', 'AbortError'));
      signal?.addEventListener('abort', () => reject(new DOMException('This operation was aborted', 'AbortError')), { once: true });
    });
  };
  return { run, firstHeld };
}

const pressEscape = (state: Parameters<(typeof LAB_ACTIONS)[number]['perform']>[0]) =>
  LAB_ACTIONS.find((a) => a.keyTest(new KeyboardEventLike('Escape') as unknown as KeyboardEvent))!.perform(state);

/** Enough of a KeyboardEvent for keyTest. */
class KeyboardEventLike {
  ctrlKey = false;
  metaKey = false;
  altKey = false;
  constructor(readonly key: string) {}
}

describe('Esc cancels every long operation', () => {
  it('stops a target-accuracy search whose work never finishes, keeping the ranks it started from', async () => {
    const held = heldJobs('output-error');
    const store = createLabStore({ ...createNodeLabEnv(), factorJob: held.run });
    dispose = store.dispose;
    await store.getState().boot();
    await store.getState().whenIdle();
    store.getState().setRank('fc1', 12);
    await store.getState().whenIdle();
    const search = store.getState().applyRule('target', 0.9, 'output-error');
    await held.firstHeld;
    pressEscape(store.getState());
    await search;
    const s = store.getState();
    expect(s.ruleRun).toBeNull();
    expect(s.error).toBeNull();
    expect(s.plan).toEqual({ fc1: 12 });
  }, 60_000);

  it('stops a method comparison held inside a data-aware SVD', async () => {
    const gate = gatedSvd(([m]) => m === 1000);
    const store = createLabStore({ ...createNodeLabEnv(), svd: gate.svd });
    dispose = store.dispose;
    await store.getState().boot();
    await store.getState().whenIdle();
    const run = store.getState().startCompare();
    await gate.firstHeld;
    pressEscape(store.getState());
    await run;
    expect(store.getState().compare?.status).toBe('cancelled');
    expect(store.getState().error).toBeNull();
  }, 60_000);
});
