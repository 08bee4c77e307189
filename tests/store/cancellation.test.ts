import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLabStore } from '../../src/store/createLabStore';
import { nodeSvd, useNodeBackend } from '../../src/cli/nodeEnv';
import { selectPlanKey } from '../../src/store/selectors';
import type { SvdFn } from '../../src/model/factors';
import { createNodeLabEnv } from '../helpers/nodeLabEnv';

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
  const svd: SvdFn = async (data, shape, signal, topK) => {
    if (!open && held(shape)) {
      arrived();
      await new Promise<void>((resolve, reject) => {
        const check = () => {
          if (signal?.aborted) reject(new DOMException('This operation was aborted', 'AbortError'));
          else if (open) resolve();
          else setTimeout(check, 1);
        };
        check();
      });
    }
    return nodeSvd(data, shape, signal, topK);
  };
  return { svd, firstHeld, release: () => { open = true; } };
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
