import { describe, expect, it } from 'vitest';
import { createNodeLabEnv } from '../helpers/nodeLabEnv';
import { bootedStore } from '../helpers/bootedStore';
import { selectPlanKey } from '../../src/store/selectors';

/**
 * A refused file's message in the store (issue 11): it stays while nothing
 * new succeeds - including a result already on its way when the file was
 * refused - and the next success (a result for another configuration, or
 * a model opened) clears it. The lab's model, ranks and results stay as
 * they were throughout.
 */

const store = bootedStore(createNodeLabEnv(), undefined, 120_000);

/** A model.json whose only layer is {}: refused before TF.js sees it. */
const broken = () => [new File(['{"modelTopology":{"class_name":"Sequential","config":{"layers":[{}]}},"weightsManifest":[]}'], 'model.json')];

describe('the message of a refused file', () => {
  it('stays through a result already under way, and the next rank change that succeeds clears it', async () => {
    const before = store.getState();
    store.getState().setRank('fc1', 5); // its evaluation may still run while the file is refused
    const onScreen = selectPlanKey(store.getState());
    await store.getState().openModel({ kind: 'files', files: broken() });
    expect(store.getState().error).toMatch(/layer 1 of the model has no "class_name"/);
    await store.getState().whenIdle();
    expect(store.getState().current!.key).toBe(onScreen);
    expect(store.getState().error).toMatch(/layer 1 of the model has no "class_name"/);
    expect(store.getState().modelName).toBe(before.modelName);
    expect(store.getState().layers).toBe(before.layers);

    store.getState().setRank('fc1', 6);
    await store.getState().whenIdle();
    expect(store.getState().current!.key).toBe(selectPlanKey(store.getState()));
    expect(store.getState().error).toBeNull();
  }, 60_000);

  it('a failure reported on its own is cleared the same way, and a model opened clears a refusal', async () => {
    await store.getState().openModel({ kind: 'files', files: broken() });
    store.getState().reportError('Something else went wrong.');
    store.getState().setRank('fc1', 7);
    await store.getState().whenIdle();
    expect(store.getState().error).toBeNull();

    await store.getState().openModel({ kind: 'files', files: broken() });
    expect(store.getState().error).toMatch(/class_name/);
    await store.getState().openModel({ kind: 'bundled', id: 'mlp-64' });
    expect(store.getState().phase).toBe('ready');
    expect(store.getState().error).toBeNull();
  }, 120_000);
});
