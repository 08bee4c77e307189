import { describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createLabStore } from '../../src/store/createLabStore';
import { REPO_ROOT } from '../../src/cli/nodeEnv';
import { selectHeatmaps, selectSingularImages } from '../../src/store/viewSelectors';
import { selectDigitErrors, selectWarmup } from '../../src/store/digitSelectors';
import { bootedStore } from '../helpers/bootedStore';
import { createNodeLabEnv } from '../helpers/nodeLabEnv';
import * as tf from '@tensorflow/tfjs';
import { artifactsOf, filesOf } from '../../src/cli/fixtureModels';

/**
 * The views slice and its selectors on the store's real flows in Node:
 * the matrices follow the open model (also when it is opened again), the
 * selectors return the same object until an input changes (React needs
 * that) and recompute on a rank change, the per-digit view counts what a
 * plain loop over the result counts, the pixel views say why they do not
 * apply to a model on other inputs, and the warm-up loads its picture
 * once, or says why it cannot.
 */

const env = createNodeLabEnv();
const store = bootedStore({ ...env, loadPicture: async () => new Uint8Array(await readFile(join(REPO_ROOT, 'public', 'data', 'picture.pgm'))) }, { model: 'mlp-64', ranks: 'fc1=8,fc2=8' }, 120_000);

describe('views slice', () => {
  it('publishes the open model matrices and follows a model opened again', async () => {
    const first = store.getState().viewMatrices;
    expect(first.layers).toBe(store.getState().layers);
    expect(first.firstLayer).toBe('fc1');
    expect(Object.keys(first.byLayer)).toEqual(['fc1', 'fc2', 'out']);
    await store.getState().openModel({ kind: 'bundled', id: 'mlp-64' }, 'fc1=8,fc2=8');
    await store.getState().whenIdle();
    const again = store.getState().viewMatrices;
    expect(again.layers).toBe(store.getState().layers);
    expect(again.byLayer.fc1).not.toBe(first.byLayer.fc1);
  }, 60_000);

  it('memoizes the selectors until their inputs change', () => {
    const s = store.getState();
    const heat = selectHeatmaps(s);
    expect(heat).not.toBeNull();
    expect(selectHeatmaps(store.getState())).toBe(heat);
    expect(selectSingularImages(store.getState())).toBe(selectSingularImages(s));
    store.getState().setRank('fc1', 9);
    const moved = selectHeatmaps(store.getState());
    expect(moved).not.toBe(heat);
    expect(moved!.k).toBe(9);
    // The rank-independent picture of W is kept; W_k is new.
    expect(moved!.w).toBe(heat!.w);
    expect(moved!.wk).not.toBe(heat!.wk);
  });

  it('counts the digits wrong now and right before as a plain loop does', async () => {
    store.getState().setRank('fc1', 8);
    await store.getState().whenIdle();
    const s = store.getState();
    const view = selectDigitErrors(s);
    expect(view?.status).toBe('ready');
    if (view?.status !== 'ready') return;
    const { predicted, originalPredicted, count } = s.current!.result;
    let wrong = 0;
    for (let i = 0; i < count; i++) if (originalPredicted[i] === s.viewSample!.labels[i] && predicted[i] !== s.viewSample!.labels[i]) wrong++;
    expect(view.count).toBe(wrong);
    expect(view.shown.length).toBe(Math.min(48, wrong));
    expect(view.config).toBe('svd: fc1=8,fc2=8');
    // The confusion matrix's diagonal is the accuracy on screen.
    let diagonal = 0;
    for (let t = 0; t < 10; t++) diagonal += view.confusion[11 * t];
    expect(diagonal / count).toBeCloseTo(s.current!.result.accuracy, 10);
  });

  it('loads the warm-up picture once and keeps its rank within 1..128', async () => {
    await Promise.all([store.getState().loadPicture(), store.getState().loadPicture()]);
    const picture = store.getState().picture;
    expect(picture?.image.rows).toBe(128);
    await store.getState().loadPicture();
    expect(store.getState().picture).toBe(picture);
    store.getState().setWarmupRank(1000);
    expect(store.getState().warmupRank).toBe(128);
    store.getState().setWarmupRank(0);
    const view = selectWarmup(store.getState());
    expect(view.k).toBe(1);
    expect(view.picture?.storage.factorValues).toBe(256);
    expect(view.digit?.k).toBe(1);
  });

  it('says why the pixel views do not apply to a model on 32x32x3 inputs, and still draws its heatmaps', async () => {
    const m = tf.sequential({ name: 'colour' });
    m.add(tf.layers.conv2d({ name: 'conv', inputShape: [32, 32, 3], filters: 8, kernelSize: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }));
    m.add(tf.layers.globalAveragePooling2d({ name: 'gap' }));
    m.add(tf.layers.dense({ name: 'logits', units: 5, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }));
    const { json, shard } = filesOf(await artifactsOf(m));
    m.dispose();
    await store.getState().openModel({ kind: 'files', files: [new File([JSON.stringify(json)], 'model.json'), new File([shard], 'weights.bin')] });
    await store.getState().whenIdle();
    const s = store.getState();
    expect(s.modelName).toBe('colour');
    expect(selectSingularImages(s)).toEqual({ why: expect.stringMatching(/not a 28x28 MNIST image/) });
    expect(selectDigitErrors(s)).toMatchObject({ status: 'not-applicable', why: s.noAccuracy });
    expect(selectHeatmaps(s)?.grid).toMatchObject({ m: 27, n: 8 });
  }, 60_000);

  it('says why when the environment has no picture', async () => {
    const bare = createLabStore(createNodeLabEnv());
    await bare.getState().loadPicture();
    expect(bare.getState().pictureError).toMatch(/could not be loaded/);
    await bare.dispose();
  });
});
