import { afterEach, describe, expect, it, vi } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { REPO_ROOT, nodeSvd, readModelFromDisk, readSample, useNodeBackend } from '../../src/cli/nodeEnv';
import { LabSession } from '../../src/model/session';
import { collectLayerInputs } from '../../src/model/calibration';
import { firstImages } from '../../src/core/mnist';
import { yieldToEventLoop } from '../../src/model/slices';
import { queuedTask } from '../helpers/queuedTask';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('collectLayerInputs', () => {
  it('serves the page between its batches of images (on wasm every read-back resolves as a microtask)', async () => {
    await useNodeBackend('wasm');
    const before = tf.memory().numTensors;
    const { artifacts, name } = await readModelFromDisk(join(REPO_ROOT, 'public', 'models', 'mlp-64', 'model.json'));
    const session = await LabSession.open(artifacts, name, firstImages(await readSample('test'), 100), nodeSvd);
    try {
      const calib = firstImages(await readSample('calib'), 1000);
      const alone = await collectLayerInputs(session.lab, calib);
      // A clock that moves 10 ms a reading: every batch after the first is past a slice (SLICE_MS = 8), whatever
      // the machine's speed, so a batch boundary that serves the page always yields.
      await yieldToEventLoop();
      let t = 0;
      vi.spyOn(performance, 'now').mockImplementation(() => (t += 10));
      const waiting = queuedTask();
      const served = await collectLayerInputs(session.lab, calib);
      expect(waiting.ran).toBe(true);
      // Serving the page changes nothing collected.
      for (const [layer, x] of alone) expect(served.get(layer)).toEqual(x);
      expect(served.get('fc1')!.rows).toBe(1000);
    } finally {
      session.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  }, 60_000);
});
