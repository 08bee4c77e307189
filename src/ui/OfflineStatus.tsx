/// <reference types="vite-plugin-pwa/vanillajs" />
import { useEffect, useState } from 'react';
import { registerSW } from 'virtual:pwa-register';
import { useLab } from './useLab';

/** Where offline use stands: not offered (dev server, no service workers), being cached, or ready. */
type OfflineState = 'unavailable' | 'caching' | 'ready' | 'failed';

const TEXT: Record<OfflineState, string> = {
  unavailable: '',
  caching: 'Saving the lab for offline use…',
  ready: 'Works offline',
  failed: 'Offline use unavailable',
};

/**
 * Registers the lab's service worker (vite.config.ts: Workbox precache of
 * the app, models and data) once the first model is open, so its
 * downloads never slow the first load, and says in the header when the lab
 * will open without a network. Only in a production build: the dev server
 * has no service worker. Registration happens once per page; the worker
 * itself updates automatically on a new deployment.
 */
export function OfflineStatus() {
  const ready = useLab((s) => s.phase === 'ready');
  const [state, setState] = useState<OfflineState>('unavailable');

  useEffect(() => {
    if (!ready || state !== 'unavailable' || !import.meta.env.PROD || !('serviceWorker' in navigator)) return;
    setState('caching');
    registerSW({
      immediate: true,
      onOfflineReady: () => setState('ready'),
      onRegisterError: () => setState('failed'),
      onRegisteredSW: (_url, registration) => {
        // A page whose worker was installed on an earlier visit is ready at once.
        if (registration?.active && navigator.serviceWorker.controller) setState('ready');
      },
    });
  }, [ready, state]);

  if (state === 'unavailable') return null;
  return (
    <span className="offline-status" role="status" data-testid="offline-status" data-state={state}>
      {TEXT[state]}
    </span>
  );
}
