import { describeError } from '../model/errors';
import { planKey } from '../model/plan';
import type { Runtime } from './runtime';
import type { ExportSlice, LabState } from './types';

/**
 * Download of the compressed model. The files are built from the plan on
 * screen at the moment of the click, handed to the environment (two browser
 * downloads), and their real combined size is shown.
 */

type Set = (partial: Partial<LabState>) => void;
type Get = () => LabState;

/** The download slice: exports the plan on screen and records the real file size. */
export const createExportSlice = (rt: Runtime) => (set: Set, get: Get): ExportSlice => ({
  lastDownload: null,
  exporting: false,

  async download() {
    const session = rt.session;
    if (!session || get().exporting) return;
    if (get().method !== 'svd') {
      set({ error: `The download writes plain SVD factors; set the method to SVD to download (the ${get().method} factors are scored, not exported, in this version).` });
      return;
    }
    const { plan, layers, modelName } = get();
    const baseName = `${modelName ?? 'model'}-lowrank`;
    set({ exporting: true });
    try {
      const exported = await session.exportModel(plan, baseName);
      rt.env.saveDownload(exported, baseName);
      set({ lastDownload: { key: planKey(layers, plan), bytes: exported.totalBytes, fileName: `${baseName}.json` } });
    } catch (err) {
      set({ error: `Download failed: ${describeError(err)}` });
    } finally {
      set({ exporting: false });
    }
  },
});
