import { describeError, isCancellation } from '../model/errors';
import { groupSvds } from '../model/methods/groupedSvd';
import { methodContext, type Runtime } from './runtime';
import type { FactorizableLayer } from '../model/labModel';
import type { LabState, SweepSlice } from './types';

/**
 * The singular values of the channel groups ALDS cut a layer into, for the
 * spectrum view. They come from the same group SVDs the ALDS factors use
 * (computed once per layer and group count on the lab's SVD engine, a worker
 * or the GPU, and pinned in the method context), so showing them costs no
 * SVD the factors did not already need.
 */

type Set = (partial: Partial<LabState>) => void;
type Get = () => LabState;

/** The group-spectra half of the sweep slice: its state and the action that fills it. */
export function createGroupSpectraActions(rt: Runtime, set: Set, get: Get): Pick<SweepSlice, 'groupSpectra' | 'loadGroupSpectra'> {
  return {
    groupSpectra: null,

    async loadGroupSpectra(layerName, groups) {
      const state = get();
      const have = state.groupSpectra;
      if (have && have.of === state.spectra && have.layer === layerName && have.groups === groups) return;
      const layer = state.layers.find((l): l is FactorizableLayer => l.name === layerName && l.factorizable);
      if (!layer || !rt.session || !Number.isSafeInteger(groups) || groups < 2 || layer.kernelShape[0] % groups !== 0) return;
      const of = state.spectra;
      try {
        const ctx = await methodContext(rt);
        const svds = await groupSvds(ctx, layer, groups, new AbortController().signal);
        // Only if the same model is still open: another model's spectra would sit under this layer's name.
        if (get().spectra === of) set({ groupSpectra: { layer: layerName, groups, spectra: svds.map((svd) => Float64Array.from(svd.s)), of } });
      } catch (err) {
        if (!isCancellation(err) && get().spectra === of) set({ error: `The channel groups' singular values could not be computed: ${describeError(err)}` });
      }
    },
  };
}
