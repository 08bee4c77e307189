import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { nodeSvd } from '../../src/cli/nodeEnv';
import { createLabStore } from '../../src/store/createLabStore';
import { selectPlanKey } from '../../src/store/selectors';
import { bootedStore } from '../helpers/bootedStore';
import { createNodeLabEnv } from '../helpers/nodeLabEnv';

/**
 * The store's half of recovering from a lost GPU (the browser half, with a
 * real device destroyed, is tests/browser/gpuFaults.test.ts): called while
 * an evaluation is in flight, it frees the session, restarts through the
 * given restart, opens the model again and puts back the method, ranks,
 * groups and history; the scores shown are those a fresh store computes for
 * the same configuration, and no tensor is left behind.
 */

const env = createNodeLabEnv();
const store = bootedStore(env, undefined, 120_000);
const liveTensors = () => tf.memory().numTensors - store.getState().cachedTensors();

describe('recoverBackend', () => {
  it('keeps the settings and the history, recomputes the configuration on screen, and leaks nothing', async () => {
    await store.getState().whenIdle();
    const baseline = liveTensors();
    store.getState().setRank('fc1', 6);
    await store.getState().whenIdle();
    const history = store.getState().history.map((h) => h.key);
    expect(history).toHaveLength(2);

    // The user's configuration, its evaluation in flight when the "GPU" goes.
    store.getState().setMethod('svd+int8');
    store.getState().setRank('fc2', 12);
    expect(store.getState().evaluating).toBe(true);
    let restarts = 0;
    await store.getState().recoverBackend('the device was destroyed', async () => {
      restarts++;
      return { backend: { name: 'wasm', reason: 'restarted in the test', adapter: null, svd: 'CPU Jacobi (float64)', svdReason: 'Node' }, svd: nodeSvd };
    });
    await store.getState().whenIdle();
    const s = store.getState();
    expect(restarts).toBe(1);
    expect(s.error).toBeNull();
    expect(s.backend?.reason).toBe('restarted in the test');
    expect(s.backendNotice).toMatch(/The GPU was lost \(the device was destroyed\); the lab switched to wasm, opened the model again and recomputed the scores at your settings \(method svd\+int8/);
    expect(s.modelId).toBe('mlp-64');
    expect(s.method).toBe('svd+int8');
    expect(s.plan).toEqual({ fc1: 6, fc2: 12 });
    expect(s.current?.key).toBe(selectPlanKey(s));
    // What was measured before is kept (same model, same test images).
    expect(s.history.map((h) => h.key).slice(0, 2)).toEqual(history);
    expect(liveTensors()).toBe(baseline);

    // The oracle: a fresh store opened at the same configuration.
    const fresh = createLabStore(createNodeLabEnv());
    try {
      await fresh.getState().boot({ model: 'mlp-64', ranks: 'fc1=6,fc2=12', method: 'svd+int8' });
      await fresh.getState().whenIdle();
      expect(fresh.getState().current?.key).toBe(s.current?.key);
      expect(s.current?.result.accuracy).toBe(fresh.getState().current?.result.accuracy);
      expect(s.current?.result.relativeLogitError).toBe(fresh.getState().current?.result.relativeLogitError);
    } finally {
      await fresh.dispose();
    }
  }, 120_000);

  it('says so, and keeps nothing half-open, when no backend can start again', async () => {
    await store.getState().recoverBackend('the device was destroyed', async () => {
      throw new Error('no adapter');
    });
    const s = store.getState();
    expect(s.error).toContain('could not start a backend again: no adapter');
    expect(s.evaluating).toBe(false);
    expect(s.cachedTensors()).toBe(0);
  });
});
