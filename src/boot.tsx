import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './ui/App';
import { LabStoreContext } from './ui/useLab';
import { backendFlag, chooseBackend, liveGpuBuffers } from './model/backendBrowser';
import { chooseSvdEngine, tfjsWebGpuDevice } from './model/svdEngine';
import { describeError } from './model/errors';
import { createBrowserEnv } from './store/browserEnv';
import { createLabStore } from './store/createLabStore';
import { watchGpuDevice } from './store/gpuWatch';
import { readUrlState, writeUrlState } from './store/urlState';
import { linkChanged, shareSearch } from './store/shareLink';
import { LabSession } from './model/session';
import './ui/styles.css';

/**
 * Boots the lab: reads the share link (`search`, which main.tsx took out of
 * the address before TF.js loaded), puts back only the keys the lab accepted,
 * starts a backend, builds the store and renders. Keeps the link in step with
 * the model and ranks on screen.
 */
export async function boot(root: HTMLElement, search: string): Promise<void> {
  const { state: url, errors } = readUrlState(search);
  const accepted = writeUrlState('', url);
  window.history.replaceState(window.history.state, '', `${window.location.pathname}${accepted}${window.location.hash}`);
  let backend;
  try {
    backend = await chooseBackend(url.backend ?? null);
  } catch (err) {
    errors.push(describeError(err));
    backend = await chooseBackend(null);
  }
  let engine;
  try {
    engine = chooseSvdEngine(backend.hardwareGpu, url.svd ?? null);
  } catch (err) {
    errors.push(describeError(err));
    engine = chooseSvdEngine(backend.hardwareGpu, null);
  }
  const store = createLabStore(createBrowserEnv(backend, engine));
  createRoot(root).render(
    <StrictMode>
      <LabStoreContext.Provider value={store}>
        <App />
      </LabStoreContext.Provider>
    </StrictMode>,
  );
  // Hooks for the browser tests: the store, the backend's live tensors outside the session's caches, TF.js's flags,
  // the lab's GPU buffers alive, and TF.js's WebGPU device (the GPU-fault test destroys it).
  Object.assign(window, { __lab: store, __liveTensors: () => LabSession.liveTensors() - store.getState().cachedTensors(), __tfFlag: backendFlag, __liveGpuBuffers: liveGpuBuffers, __gpuDevice: tfjsWebGpuDevice });
  // A lost GPU (driver reset, device destroyed) restarts the backend and recomputes at the same settings.
  watchGpuDevice(store, url.svd ?? null);
  await store.getState().boot(url);
  if (errors.length > 0) store.setState({ error: [errors.join(' '), store.getState().error].filter(Boolean).join(' ') });
  // The address always holds the link of what is on screen: at once (so a refused part of
  // the link does not linger), then after each change of model, ranks or method.
  const showLink = (s: ReturnType<typeof store.getState>) => {
    const search = shareSearch(s, { backend: url.backend, svd: url.svd });
    window.history.replaceState(window.history.state, '', `${window.location.pathname}${search}${window.location.hash}`);
  };
  showLink(store.getState());
  let timer: ReturnType<typeof setTimeout> | undefined;
  store.subscribe((s, prev) => {
    if (!linkChanged(s, prev)) return;
    clearTimeout(timer);
    timer = setTimeout(() => showLink(s), 300);
  });
}
