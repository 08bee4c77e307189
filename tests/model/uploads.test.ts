import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { UploadCache } from '../../src/model/uploads';
import { useNodeBackend } from '../../src/cli/nodeEnv';

/**
 * The upload cache keeps replacement weights on the backend between
 * evaluations and frees every tensor it made: evicted idle entries at once,
 * an entry replaced while an evaluation still uses it at that use's end,
 * and the rest on dispose.
 */

beforeAll(async () => {
  await useNodeBackend('wasm');
});

const factors = (seed: number) => ({ a: Float32Array.from({ length: 6 }, (_, i) => seed + i), b: Float32Array.from({ length: 4 }, (_, i) => seed - i), rank: 2 });

describe('UploadCache', () => {
  it('uploads the same arrays once, and frees a replaced entry after its last use', () => {
    const start = tf.memory().numTensors;
    const cache = new UploadCache(4);
    const f = factors(1);
    const first = cache.acquire({ factors: f }, 3, 2);
    expect(cache.acquire({ factors: f }, 3, 2)).toBe(first);
    cache.release(first);
    expect(cache.uploads).toBe(1);
    // Same A, another bias, while `first` is still in use once: a new upload, the old one kept until released.
    const second = cache.acquire({ factors: f, bias: Float32Array.of(1, 2) }, 3, 2);
    expect(second).not.toBe(first);
    expect(tf.memory().numTensors - start).toBe(2 + 3);
    cache.release(first);
    expect(tf.memory().numTensors - start).toBe(3);
    expect(cache.tensors).toBe(3);
    cache.release(second);
    cache.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });

  it('evicts idle entries past capacity, least recently used first, never one in use', () => {
    const start = tf.memory().numTensors;
    const cache = new UploadCache(1);
    const busy = cache.acquire({ factors: factors(1) }, 3, 2);
    const idle = cache.acquire({ factors: factors(2) }, 3, 2);
    cache.release(idle);
    // Two entries, capacity one: the idle one went, the busy one stays.
    expect(cache.tensors).toBe(2);
    cache.release(busy);
    expect(tf.memory().numTensors - start).toBe(2);
    cache.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });
});
