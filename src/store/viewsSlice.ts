import type { StoreApi } from 'zustand/vanilla';
import { parsePgm } from '../core/pgm';
import { greyImageFromBytes, imageSvd } from '../core/imageSvd';
import { describeError } from '../model/errors';
import { firstKernelLayer, layerMatrices, type LayerMatrices } from '../model/layerMatrices';
import type { LabSession } from '../model/session';
import type { Runtime } from './runtime';
import type { LabState, ViewsSlice } from './types';

/**
 * The teaching views' data and controls. The slice watches the store: once
 * the state's layers are the open session's, it publishes every
 * factorizable layer's kernel and SVD as plain arrays (references, so this
 * costs nothing) and the test sample the views draw digits from. The
 * warm-up picture is fetched and decomposed once, on first use (in the
 * env's worker where it has one). Everything
 * the views draw is derived from these by the memoized selectors in
 * viewSelectors.ts.
 */

type Set = (partial: Partial<LabState>) => void;
type Get = () => LabState;

/** Largest rank of the warm-up slider: the picture's smaller side (128), or 28 for the digit alone. */
export function warmupRankLimit(state: Pick<LabState, 'picture'>): number {
  return state.picture ? Math.min(state.picture.image.rows, state.picture.image.cols) : 28;
}

/** The kernel and SVD of each factorizable layer of `session`, by name. */
function matricesOf(session: LabSession): Record<string, LayerMatrices> {
  return Object.fromEntries(session.layers.filter((l) => l.factorizable).map((l) => [l.name, layerMatrices(session, l.name)]));
}

/** The views slice; `api` lets it follow model changes (see the file comment). */
export const createViewsSlice = (rt: Runtime) => (set: Set, get: Get, api: StoreApi<LabState>): ViewsSlice => {
  let pictureLoad: Promise<void> | null = null;

  // The state's layers are set just before rt.session becomes the new session (sessionSlice's commit), so a
  // mismatch is checked again a microtask later, when both belong to the same model.
  const sync = (retry: boolean) => {
    const s = get();
    if (s.viewSample !== rt.sample) set({ viewSample: rt.sample });
    if (s.viewMatrices.layers === s.layers) return;
    const session = rt.session;
    if (!session || session.layers !== s.layers) {
      if (retry) queueMicrotask(() => sync(false));
      return;
    }
    set({ viewMatrices: { layers: s.layers, byLayer: matricesOf(session), firstLayer: firstKernelLayer(session) } });
  };
  api.subscribe((s, prev) => {
    if (s.layers !== prev.layers || s.viewSample !== rt.sample) sync(true);
  });

  return {
    viewMatrices: { layers: [], byLayer: {}, firstLayer: null },
    viewSample: null,
    picture: null,
    pictureError: null,
    warmupRank: 8,
    viewDigit: 0,

    loadPicture() {
      pictureLoad ??= (async () => {
        try {
          if (!rt.env.loadPicture) throw new Error('this environment has no warm-up picture');
          const { rows, cols, pixels } = parsePgm(await rt.env.loadPicture());
          const image = greyImageFromBytes(pixels, rows, cols);
          // The browser takes it in the SVD worker (100-300 ms on this machine, too long for the page's thread).
          const svd = rt.env.imageSvd ? await rt.env.imageSvd(image) : imageSvd(image);
          set({ picture: { image, svd }, pictureError: null });
        } catch (err) {
          pictureLoad = null;
          set({ pictureError: `The warm-up picture could not be loaded (${describeError(err)}); the digit below still works. Reload to try again.` });
        }
      })();
      return pictureLoad;
    },

    setWarmupRank(k) {
      if (!Number.isFinite(k)) return;
      const rank = Math.max(1, Math.min(warmupRankLimit(get()), Math.round(k)));
      if (rank !== get().warmupRank) set({ warmupRank: rank });
    },

    setViewDigit(index) {
      const count = get().viewSample?.count ?? 0;
      if (!Number.isFinite(index) || count === 0) return;
      const i = Math.max(0, Math.min(count - 1, Math.round(index)));
      if (i !== get().viewDigit) set({ viewDigit: i });
    },
  };
};
