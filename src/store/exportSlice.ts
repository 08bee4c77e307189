import { describeError } from '../model/errors';
import { selectPlanKey } from './selectors';
import { methodPoint } from '../model/compareMethods';
import { methodContext, type Runtime } from './runtime';
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
    const method = get().method;
    if (method === 'svd+int8' || method === 'svd+int4') {
      set({ error: `Quantized factors are scored but not written: TF.js's weight format has one uint8 scale per tensor, not the per-channel ${method.slice(4)} the lab evaluates. Choose SVD or data-aware to download.` });
      return;
    }
    const { plan, layers, modelName } = get();
    const baseName = `${modelName ?? 'model'}-lowrank`;
    set({ exporting: true });
    try {
      const factors = method === 'svd' ? undefined : methodPoint(await methodContext(rt), method, plan).factors;
      const exported = await session.exportModel(plan, baseName, factors);
      rt.env.saveDownload(exported, baseName);
      set({ lastDownload: { key: selectPlanKey({ layers, plan, method }), bytes: exported.totalBytes, fileName: `${baseName}.json` } });
    } catch (err) {
      set({ error: `Download failed: ${describeError(err)}` });
    } finally {
      set({ exporting: false });
    }
  },
});
