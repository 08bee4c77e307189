import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { REPO_ROOT } from '../../src/cli/nodeEnv';
import { artifactsOf, filesOf } from '../../src/cli/fixtureModels';
import { selectPlanKey, selectScoreName } from '../../src/store/selectors';
import { bootedStore } from '../helpers/bootedStore';
import { createNodeLabEnv, modelFiles } from '../helpers/nodeLabEnv';

/**
 * The store with models beyond the bundled MLPs, opened as files: the
 * functional residual CNN (scored on the labelled MNIST images) and a
 * 32x32x3 model, which the lab scores against the original on synthetic
 * inputs; the state says which, and an MNIST classifier opened after it
 * has accuracy again. Its own store, so no other test's state leaks in.
 */

const env = createNodeLabEnv();
const store = bootedStore(env, undefined, 120_000);

async function colourModelDir(): Promise<string> {
  const m = tf.sequential({ name: 'colour' });
  m.add(tf.layers.conv2d({ name: 'conv', inputShape: [32, 32, 3], filters: 8, kernelSize: 3, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }));
  m.add(tf.layers.globalAveragePooling2d({ name: 'gap' }));
  m.add(tf.layers.dense({ name: 'logits', units: 5, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }));
  const files = filesOf(await artifactsOf(m));
  m.dispose();
  const dir = mkdtempSync(join(tmpdir(), 'lab-colour-'));
  writeFileSync(join(dir, 'model.json'), JSON.stringify(files.json));
  writeFileSync(join(dir, 'weights.bin'), new Uint8Array(files.shard));
  return dir;
}

describe('models other than the bundled MLPs', () => {
  it('opens the functional residual CNN from files and scores its rank changes on the labelled test images', async () => {
    const dir = join(REPO_ROOT, 'tests', 'fixtures', 'residual-cnn');
    await store.getState().openModel({ kind: 'files', files: await modelFiles(dir, ['model.json', 'weights.bin']) });
    await store.getState().whenIdle();
    const s = store.getState();
    expect([s.error, s.modelName, s.noAccuracy, s.scoredOn, selectScoreName(s)]).toEqual([null, 'residual_cnn', null, 'MNIST test images', 'accuracy']);
    s.setRank('conv_c', 2);
    await store.getState().whenIdle();
    const after = store.getState();
    expect(after.current!.key).toBe(selectPlanKey(after));
    expect(after.current!.result.labelled).toBe(true);
    expect(after.current!.result.agreement).toBeLessThan(1);
  }, 120_000);

  it('opens a 32x32x3 model: no accuracy, scored against the original on synthetic inputs; an MNIST model after it has accuracy again', async () => {
    await store.getState().openModel({ kind: 'files', files: await modelFiles(await colourModelDir(), ['model.json', 'weights.bin']) });
    await store.getState().whenIdle();
    const s = store.getState();
    expect(s.error).toBeNull();
    expect(s.noAccuracy).toMatch(/\[32, 32, 3\], not a 28x28 MNIST image/);
    expect([s.scoredOn, selectScoreName(s), s.original!.labelled, s.original!.agreement]).toEqual(['seeded synthetic inputs', 'agreement', false, 1]);
    s.setRank('conv', 1);
    await store.getState().whenIdle();
    const moved = store.getState().current!.result;
    expect(moved.agreement).toBeLessThan(1);
    expect(moved.accuracy).toBe(moved.agreement);

    await store.getState().openModel({ kind: 'bundled', id: 'mlp-64' });
    await store.getState().whenIdle();
    expect([store.getState().noAccuracy, store.getState().scoredOn, store.getState().original!.labelled]).toEqual([null, 'MNIST test images', true]);
  }, 120_000);
});
