import { describeError } from '../model/errors';
import { formatPlanFile } from '../model/planFile';
import { selectGroups, selectPlanKey } from './selectors';
import { factorPlan } from '../model/methods/factorPlan';
import { methodContext, type Runtime } from './runtime';
import { configFileName, evaluationsCsv } from './exportFiles';
import type { ExportSlice, LabState } from './types';

/**
 * The lab's exports. The model download is built from the plan on screen
 * at the moment of the click and handed to the environment as one zip named
 * after the configuration (e.g. mlp-64-svd-fc1_16-fc2_16.zip); the real size
 * of its files is recorded. The rank plan goes out as the JSON file
 * `compress --plan` reads, and every evaluation of the session as CSV.
 */

type Set = (partial: Partial<LabState>) => void;
type Get = () => LabState;

/** The file name base of the configuration on screen. */
function baseNameOf(s: LabState): string {
  return configFileName(s.modelName ?? 'model', s.method, s.plan, selectGroups(s));
}

/** The export slice: the zip download with its real size, the plan file and the evaluations CSV. */
export const createExportSlice = (rt: Runtime) => (set: Set, get: Get): ExportSlice => ({
  lastDownload: null,
  exporting: false,

  async download() {
    const session = rt.session;
    if (!session || get().exporting) return;
    const { plan, method } = get();
    const groups = selectGroups(get());
    const key = selectPlanKey(get());
    const baseName = baseNameOf(get());
    set({ exporting: true });
    try {
      const point = method === 'svd' ? { plan, factors: undefined } : await factorPlan(await methodContext(rt), method, plan, groups);
      const exported = await session.exportModel(point.plan ?? plan, baseName, point.factors);
      rt.env.saveDownload(exported, baseName);
      set({
        lastDownload: {
          key,
          bytes: exported.totalBytes,
          weightBytes: exported.weights.byteLength,
          jsonBytes: exported.totalBytes - exported.weights.byteLength,
          fileName: `${baseName}.zip`,
        },
      });
    } catch (err) {
      set({ error: `Download failed: ${describeError(err)}` });
    } finally {
      set({ exporting: false });
    }
  },

  exportPlan() {
    const s = get();
    if (!rt.session || s.phase !== 'ready') return;
    rt.env.saveText(`${baseNameOf(s)}.plan.json`, formatPlanFile(s.modelName ?? 'model', s.method, s.plan, selectGroups(s)));
  },

  exportEvaluationsCsv() {
    const s = get();
    if (s.history.length === 0) return;
    const names = s.layers.filter((l) => l.factorizable).map((l) => l.name);
    rt.env.saveText(`${s.modelName ?? 'model'}-evaluations.csv`, evaluationsCsv(s.modelName ?? 'model', names, s.history, rt.results));
  },
});
