import type { StoreApi } from 'zustand/vanilla';
import { restartAfterGpuLoss, watchGpuLoss } from '../model/backendBrowser';
import { chooseSvdEngine, webgpuSvd, type SvdEngineName, type SvdEngineChoice } from '../model/svdEngine';
import { workerSvd } from '../model/svdWorkerClient';
import type { LabState } from './types';

/**
 * The browser's side of recovering from a lost GPU: watches the WebGPU
 * device TF.js computes on and, when it is lost, has the store recover
 * (backendRecovery.ts) with a restart that starts WebGPU on a new device
 * (or the best other backend) and picks the SVD engine for it again. The
 * lab's own GPU SVD runs on that same device (svdEngine.ts takes TF.js's
 * device at each call), so one watch covers both. Watches the new device
 * after each restart. A no-op on other backends.
 */
export function watchGpuDevice(store: StoreApi<LabState>, forcedSvd: SvdEngineName | null): void {
  watchGpuLoss((reason) => {
    void store.getState().recoverBackend(reason, async () => {
      const backend = await restartAfterGpuLoss();
      let engine: SvdEngineChoice;
      try {
        engine = chooseSvdEngine(backend.hardwareGpu, forcedSvd);
      } catch {
        // ?svd=gpu without WebGPU any more: the CPU engine.
        engine = chooseSvdEngine(backend.hardwareGpu, null);
      }
      return {
        backend: { name: backend.name, reason: backend.reason, adapter: backend.adapter, svd: engine.label, svdReason: engine.reason },
        svd: engine.name === 'gpu' ? webgpuSvd : workerSvd,
      };
    }).finally(() => watchGpuDevice(store, forcedSvd));
  });
}
