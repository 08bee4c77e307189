import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import type { Page } from 'playwright-core';
import { downloadDir, serveDir, startHarness, type Harness } from './harness';
import { saveAndUnzip } from './zipDownload';
import { stockAccuracy } from '../helpers/stockAccuracy';

/**
 * GPU faults in real Chromium (issue 11, part 4). The WebGPU device TF.js
 * computes on is destroyed while an evaluation runs on it: the lab notices,
 * starts WebGPU again on a new device, opens the model again and shows the
 * scores of the user's configuration (same model, method and ranks), which
 * stock TF.js confirms on the downloaded model, with a notice saying what
 * happened; no tensor or GPU buffer is left behind. And a browser without
 * WebGPU at all (navigator.gpu removed before the page loads) runs on wasm
 * with a notice naming why, whether or not the address asked for WebGPU.
 * WebGPU runs on SwiftShader here: slow, so the device test does one
 * configuration.
 */

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
  await tf.setBackend('cpu');
});

afterAll(async () => {
  await h?.close();
});

interface Hooks {
  __lab: {
    getState(): {
      whenIdle(): Promise<void>;
      setRank(layer: string, k: number): void;
      setMethod(m: string): void;
      evaluating: boolean;
      backendNotice: string | null;
      method: string;
      plan: Record<string, number>;
      modelId: string | null;
      error: string | null;
      backend: { name: string; reason: string } | null;
      current: { key: string } | null;
    };
    subscribe(listener: (s: { backendNotice: string | null }) => void): () => void;
  };
  __liveTensors(): number;
  __liveGpuBuffers(): number;
  __gpuDevice(): GPUDevice | null;
}

async function open(query: string, init?: string): Promise<Page> {
  const page = await h.browser.newPage({ acceptDownloads: true });
  page.on('pageerror', (e) => console.error('page error:', e.message));
  if (init) await page.addInitScript(init);
  await page.goto(`${h.url}${query}`);
  await page.getByTestId('lab').waitFor({ timeout: 240_000 });
  await expect.poll(() => page.getByTestId('accuracy').textContent(), { timeout: 240_000, interval: 500 }).toMatch(/%$/);
  return page;
}

/** Stock TF.js's accuracy on the downloaded model of the configuration on screen. */
async function stockAccuracyOfDownload(page: Page): Promise<number> {
  const dir = downloadDir();
  const download = page.waitForEvent('download');
  await page.getByTestId('download').click();
  await saveAndUnzip(await download, dir);
  const { url, server } = await serveDir(dir);
  try {
    return await stockAccuracy(await tf.loadLayersModel(`${url}/model.json`));
  } finally {
    server.close();
  }
}

describe('GPU faults', () => {
  it('recovers from the WebGPU device lost mid-evaluation: new device, same settings, scores recomputed, a notice', async () => {
    const page = await open('?backend=webgpu&model=mlp-64');
    expect(await page.getByTestId('backend').textContent()).toContain('webgpu');
    const baseline = await page.evaluate(async () => {
      const w = window as unknown as Hooks;
      await w.__lab.getState().whenIdle();
      return w.__liveTensors();
    });

    // The user's settings: a factor method that uploads its own weights, and a rank. Once that evaluation has put
    // its first tensors on the GPU (tensors beyond the idle count), the device is destroyed under it.
    const lost = await page.evaluate(async (idle) => {
      const w = window as unknown as Hooks;
      const s = () => w.__lab.getState();
      s().setMethod('svd+int8');
      s().setRank('fc1', 4);
      s().setRank('fc2', 16);
      const device = w.__gpuDevice()!;
      while (!(s().evaluating && w.__liveTensors() > idle)) await new Promise((r) => requestAnimationFrame(r));
      const before = s().current?.key ?? null;
      const started = performance.now();
      const recovered = new Promise<void>((resolve) => {
        const stop = w.__lab.subscribe((st) => {
          if (st.backendNotice?.includes('recomputed')) {
            stop();
            resolve();
          }
        });
      });
      device.destroy();
      await recovered;
      await s().whenIdle();
      return { shownBefore: before, ms: performance.now() - started, sameDevice: w.__gpuDevice() === device };
    }, baseline);
    console.log(`GPU loss: recovered and recomputed in ${(lost.ms / 1000).toFixed(1)} s`);
    // The evaluation was in flight: what was on screen then was not yet this configuration's.
    expect(lost.shownBefore).not.toBe('svd+int8|fc1=4,fc2=16,out=dense');
    expect(lost.sameDevice).toBe(false);

    const after = await page.evaluate(() => {
      const w = window as unknown as Hooks;
      const s = w.__lab.getState();
      return { method: s.method, plan: s.plan, model: s.modelId, error: s.error, backend: s.backend, key: s.current?.key, live: w.__liveTensors(), gpu: w.__liveGpuBuffers() };
    });
    console.log(`GPU loss: now on ${after.backend?.name} (${after.backend?.reason})`);
    expect(after.error).toBeNull();
    expect(after.model).toBe('mlp-64');
    expect(after.method).toBe('svd+int8');
    expect(after.plan).toEqual({ fc1: 4, fc2: 16 });
    expect(after.key).toBe('svd+int8|fc1=4,fc2=16,out=dense');
    expect(after.backend?.name).toBe('webgpu');
    expect(after.live).toBe(baseline);
    expect(after.gpu).toBe(0);
    expect(await page.getByTestId('backend-notice').textContent()).toMatch(/The GPU was lost .*restarted WebGPU on a new device.*recomputed the scores at your settings \(method svd\+int8/);
    expect(await page.getByTestId('method-select').inputValue()).toBe('svd+int8');
    expect(await page.getByTestId('rank-fc1').textContent()).toBe('4');

    // The accuracy shown is that configuration's: stock TF.js on its download agrees (WebGPU vs Node's cpu
    // backend: within 3 of 10,000 images, as in lab.test.ts).
    const shown = parseFloat((await page.getByTestId('accuracy').textContent())!);
    const stock = await stockAccuracyOfDownload(page);
    console.log(`GPU loss: shown ${shown}%, stock TF.js ${(100 * stock).toFixed(2)}%`);
    expect(Math.abs(100 * stock - shown)).toBeLessThanOrEqual(0.03 + 0.005);
    await page.close();
  }, 600_000);

  it('without WebGPU in the browser, runs on wasm and says why, asked for WebGPU or not', async () => {
    // A browser without the WebGPU API: navigator.gpu removed before any of the lab's code runs.
    const noGpu = 'delete Navigator.prototype.gpu;';
    const asked = await open('?backend=webgpu&model=mlp-64', noGpu);
    expect(await asked.evaluate(() => 'gpu' in navigator)).toBe(false);
    expect(await asked.getByTestId('backend').textContent()).toContain('wasm');
    await expect.poll(() => asked.getByTestId('error').textContent()).toContain('this browser has no WebGPU (navigator.gpu is missing)');
    await asked.close();

    const plain = await open('?model=mlp-64', noGpu);
    const badge = await plain.getByTestId('backend').textContent();
    expect(badge).toContain('wasm');
    expect(badge).toContain('this browser has no WebGPU');
    await plain.close();
  }, 300_000);
});
