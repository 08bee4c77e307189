import { describeError } from '../model/errors';
import { selectGroups, selectPlanKey } from './selectors';
import { factorPlan } from '../model/methods/factorPlan';
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
    const { plan, modelName, method } = get();
    const groups = selectGroups(get());
    const key = selectPlanKey(get());
    const baseName = `${modelName ?? 'model'}-lowrank`;
    set({ exporting: true });
    try {
      const point = method === 'svd' ? { plan, factors: undefined } : await factorPlan(await methodContext(rt), method, plan, groups);
      const exported = await session.exportModel(point.plan ?? plan, baseName, point.factors);
      rt.env.saveDownload(exported, baseName);
      set({ lastDownload: { key, bytes: exported.totalBytes, fileName: `${baseName}.json` } });
    } catch (err) {
      set({ error: `Download failed: ${describeError(err)}` });
    } finally {
      set({ exporting: false });
    }
  },
});
