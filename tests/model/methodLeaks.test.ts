import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { useNodeBackend } from '../../src/cli/nodeEnv';
import { createLabStore } from '../../src/store/createLabStore';
import { FACTOR_METHOD_NAMES } from '../../src/model/methods/registry';
import { selectPlanKey } from '../../src/store/selectors';
import { createNodeLabEnv } from '../helpers/nodeLabEnv';

/**
 * Every factor method, not only plain SVD: the methods other than svd
 * upload replacement weights (factors or dense kernels) for each
 * evaluation, so a leak there would not show in the plain-SVD leak test.
 * Each method is decomposed and scored at several ranks through the
 * store's own actions; afterwards the backend holds exactly the tensors it
 * held before, apart from what the session keeps on purpose (the
 * activation cache and the upload cache, both bounded), and once the store
 * is disposed, exactly what it held before the model was opened.
 */

const env = createNodeLabEnv();
const store = createLabStore(env);
let beforeOpen = 0;

beforeAll(async () => {
  await useNodeBackend('wasm');
  beforeOpen = tf.memory().numTensors;
  await store.getState().boot();
  await store.getState().whenIdle();
}, 120_000);

afterAll(async () => {
  await store.dispose();
});

/** Tensors alive outside the session's deliberate caches. */
const liveTensors = () => tf.memory().numTensors - store.getState().cachedTensors();

/** Rank moves each method is scored at: both layers, low and high, with a repeat (an upload reused). */
const MOVES: Array<[string, number]> = [['fc1', 3], ['fc2', 7], ['fc1', 12], ['out', 4], ['fc2', 20], ['fc1', 3]];

describe('every factor method frees what it uploads', () => {
  it('covers the methods that upload tensors', () => {
    // Guards the loop below: a new method enters it by being in the registry.
    expect(FACTOR_METHOD_NAMES.filter((m) => m !== 'svd').length).toBeGreaterThanOrEqual(5);
  });

  for (const method of FACTOR_METHOD_NAMES) {
    it(`${method}: decomposing and scoring at several ranks leaves no tensor behind`, async () => {
      await store.getState().whenIdle();
      const start = liveTensors();
      store.getState().setMethod(method);
      for (const [layer, rank] of MOVES) {
        store.getState().setRank(layer, rank);
        // Each configuration scored to the end (uploads made, used and released), not only superseded.
        await store.getState().whenIdle();
        const s = store.getState();
        expect(s.error, `${method} ${layer}=${rank}`).toBeNull();
        expect(s.current?.key).toBe(selectPlanKey(s));
        expect(liveTensors(), `${method} after ${layer}=${rank}`).toBe(start);
      }
      // Superseded evaluations too: moves that abort the one in flight.
      for (let i = 0; i < 12; i++) store.getState().setRank(i % 2 ? 'fc1' : 'fc2', 2 + i);
      await store.getState().whenIdle();
      expect(liveTensors(), `${method} after superseded moves`).toBe(start);
      store.getState().setMethod('svd');
      await store.getState().whenIdle();
      expect(liveTensors()).toBe(start);
    }, 120_000);
  }

  it('frees everything, caches included, when the store is disposed', async () => {
    expect(store.getState().cachedTensors()).toBeGreaterThan(0);
    await store.dispose();
    expect(tf.memory().numTensors).toBe(beforeOpen);
  });
});
