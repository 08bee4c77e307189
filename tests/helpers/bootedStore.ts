import { afterAll, beforeAll } from 'vitest';
import { createLabStore } from '../../src/store/createLabStore';
import { useNodeBackend } from '../../src/cli/nodeEnv';
import type { LabEnv } from '../../src/store/env';
import type { UrlState } from '../../src/store/urlState';

/**
 * A lab store on the wasm backend for one test file: created now, booted
 * (at `link`, as a share link would open it) before the file's tests and
 * idle once they start, disposed after them. Registers the beforeAll and
 * afterAll hooks itself, so call it at the top level of a test file.
 */
export function bootedStore<E extends LabEnv>(env: E, link?: UrlState, timeoutMs?: number): ReturnType<typeof createLabStore> {
  const store = createLabStore(env);
  beforeAll(async () => {
    await useNodeBackend('wasm');
    await store.getState().boot(link);
    await store.getState().whenIdle();
  }, timeoutMs);
  afterAll(async () => {
    await store.dispose();
  });
  return store;
}
