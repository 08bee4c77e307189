import { createStore, type StoreApi } from 'zustand/vanilla';
import { createRuntime } from './runtime';
import { createSessionSlice } from './sessionSlice';
import { createEvalSlice } from './evalSlice';
import { createSweepSlice } from './sweepSlice';
import { createExportSlice } from './exportSlice';
import { createCompareSlice } from './compareSlice';
import { createHistorySlice } from './historySlice';
import { createLessonSlice } from './lessonSlice';
import { createViewsSlice } from './viewsSlice';
import type { LabEnv } from './env';
import type { LabState } from './types';

/**
 * Assembles the lab's single store from its slices around one runtime (the
 * open session and running work). Vanilla zustand, so Node tests drive the
 * same actions the UI calls; React binds to it through useLab.
 */
export function createLabStore(env: LabEnv): StoreApi<LabState> & { dispose(): Promise<void> } {
  const rt = createRuntime(env);
  const store = createStore<LabState>()((set, get, api) => ({
    ...createSessionSlice(rt)(set, get, api),
    ...createEvalSlice(rt)(set, get),
    ...createSweepSlice(rt)(set, get),
    ...createExportSlice(rt)(set, get),
    ...createCompareSlice(rt)(set, get),
    ...createHistorySlice(rt)(set, get, api),
    ...createLessonSlice()(set, get),
    ...createViewsSlice(rt)(set, get, api),
  }));
  return Object.assign(store, {
    /** Stops running work, waits for it to unwind, then frees the session's tensors. */
    async dispose() {
      rt.load?.abort();
      rt.sweep?.abort();
      rt.evaluation?.abort();
      rt.comparison?.abort();
      await Promise.allSettled([rt.evalLoop, rt.sweepRun]);
      rt.session?.dispose();
      rt.session = null;
    },
  });
}
