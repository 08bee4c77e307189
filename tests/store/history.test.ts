import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLabStore } from '../../src/store/createLabStore';
import { COALESCE_MS, UNDO_LIMIT } from '../../src/store/historySlice';
import { createNodeLabEnv } from '../helpers/nodeLabEnv';
import type { LayerInfo } from '../../src/model/labModel';

/**
 * Undo/Redo and Reset on the store's own actions, with the env's clock
 * driven by the test (no sleeps): a slider drag of one layer within 500 ms
 * is one step, a pause or another layer starts a new one. No model is
 * opened: the layers are given, and with no session the evaluation loop
 * stops at once, so only the configuration is under test.
 */

const layers: LayerInfo[] = [
  { index: 0, name: 'fc1', className: 'Dense', kind: 'dense', kernelShape: [784, 64], weightShape: [784, 64], channels: 784, params: 50240, hasBias: true, activation: 'relu', factorizable: true, reason: null, rankLimit: 64 },
  { index: 1, name: 'out', className: 'Dense', kind: 'dense', kernelShape: [64, 10], weightShape: [64, 10], channels: 64, params: 650, hasBias: true, activation: 'softmax', factorizable: true, reason: null, rankLimit: 10 },
];

let clock = 0;
let store: ReturnType<typeof createLabStore>;

beforeEach(() => {
  clock = 1_000_000;
  store = createLabStore({ ...createNodeLabEnv(), now: () => clock });
  store.setState({ phase: 'ready', modelId: 'fake', modelName: 'fake', layers });
});

afterEach(async () => {
  await store.dispose();
});

/** A slider drag: `ranks` one after another, `gap` ms apart. */
function drag(layer: string, ranks: number[], gap: number): void {
  for (const k of ranks) {
    clock += gap;
    store.getState().setRank(layer, k);
  }
}

const config = () => ({ plan: store.getState().plan, method: store.getState().method });

describe('undo and redo', () => {
  it('makes one step of a drag whose moves come closer than 500 ms, and restores what was before it', () => {
    drag('fc1', [63, 62, 61, 60, 50, 40], COALESCE_MS / 5);
    expect(store.getState().undoStack).toHaveLength(1);
    store.getState().undo();
    expect(config()).toEqual({ plan: {}, method: 'svd' });
    store.getState().redo();
    expect(config()).toEqual({ plan: { fc1: 40 }, method: 'svd' });
  });

  it('starts a new step after a pause of 500 ms, and for another layer', () => {
    drag('fc1', [32, 16], 100);
    clock += COALESCE_MS;
    drag('fc1', [8], 0);
    drag('out', [5], 10);
    drag('fc1', [4], 10);
    expect(store.getState().undoStack.map((c) => c.plan)).toEqual([{}, { fc1: 16 }, { fc1: 8 }, { fc1: 8, out: 5 }]);
    store.getState().undo();
    expect(config().plan).toEqual({ fc1: 8, out: 5 });
    store.getState().undo();
    expect(config().plan).toEqual({ fc1: 8 });
  });

  it('undoes a method change, and a new change clears Redo', () => {
    drag('fc1', [16], 0);
    clock += COALESCE_MS;
    store.getState().setMethod('svd+int8');
    store.getState().undo();
    expect(config()).toEqual({ plan: { fc1: 16 }, method: 'svd' });
    expect(store.getState().redoStack).toHaveLength(1);
    clock += COALESCE_MS;
    drag('out', [3], 0);
    expect(store.getState().redoStack).toEqual([]);
    store.getState().redo(); // nothing to redo: unchanged
    expect(config()).toEqual({ plan: { fc1: 16, out: 3 }, method: 'svd' });
  });

  it('does not record the moves Undo and Redo make, so they alternate cleanly', () => {
    drag('fc1', [16], 0);
    clock += COALESCE_MS;
    drag('fc1', [8], 0);
    for (let i = 0; i < 3; i++) {
      store.getState().undo();
      expect(config().plan).toEqual({ fc1: 16 });
      store.getState().redo();
      expect(config().plan).toEqual({ fc1: 8 });
    }
    expect(store.getState().undoStack).toHaveLength(2);
  });

  it('keeps at most UNDO_LIMIT steps, dropping the oldest', () => {
    for (let i = 0; i < UNDO_LIMIT + 20; i++) {
      clock += COALESCE_MS;
      store.getState().setRank('fc1', 1 + (i % 60));
    }
    const stack = store.getState().undoStack;
    expect(stack).toHaveLength(UNDO_LIMIT);
    expect(stack[0].plan).toEqual({ fc1: 1 + (19 % 60) });
  });

  it('resets to full rank and svd in one undoable step', () => {
    drag('fc1', [16], 0);
    clock += COALESCE_MS;
    store.getState().setMethod('lp');
    store.getState().resetConfiguration();
    expect(config()).toEqual({ plan: {}, method: 'svd' });
    expect(store.getState().size!.bytes).toBe(4 * (50240 + 650));
    store.getState().undo();
    expect(config()).toEqual({ plan: { fc1: 16 }, method: 'lp' });
  });

  it('forgets the steps when another model opens (their plans name its layers)', () => {
    drag('fc1', [16], 0);
    store.setState({ modelId: 'other', layers: [...layers] });
    expect(store.getState().undoStack).toEqual([]);
  });
});
