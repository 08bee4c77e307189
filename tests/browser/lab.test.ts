import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dirname, join } from 'node:path';
import { tmpdir } from 'node:os';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import type { Page, Request } from 'playwright-core';
import { REPO_ROOT, readModelFromDisk, readSample, useNodeBackend } from '../../src/cli/nodeEnv';
import { denseKernels, energyRankByDefinition, kernelSvd, relativeOutputError } from '../helpers/rankOracle';
import { stockAccuracy } from '../helpers/stockAccuracy';
import { loadLabModel } from '../../src/model/labModel';
import { svdJacobi } from '../../src/core/svd';
import { downloadDir, serveDir, startHarness, type Harness } from './harness';
import { saveAndUnzip } from './zipDownload';

/**
 * The lab end to end in real Chromium: the bundled model loads, a slider
 * moved with the keyboard changes the accuracy and adds a point to the size
 * chart, the downloaded files load with stock TF.js and score what the page
 * showed; a broken model leaves the lab as it was. WebGPU runs on
 * SwiftShader here, so the WebGPU test does few evaluations.
 */

let h: Harness;
/** Every request of every page the tests open (pages, their workers, service workers: recorded on each page's context). */
const recordedRequests: string[] = [];
const MLP_64 = join(REPO_ROOT, 'public', 'models', 'mlp-64');

beforeAll(async () => {
  h = await startHarness();
  await tf.setBackend('cpu');
});

afterAll(async () => {
  await h?.close();
});

async function openLab(query: string): Promise<Page> {
  const page = await h.browser.newPage({ acceptDownloads: true });
  page.context().on('request', (r: Request) => recordedRequests.push(r.url()));
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(`${h.url}${query}`);
  await page.getByTestId('lab').waitFor({ timeout: 240_000 });
  // Not expect.poll: this also runs in beforeAll, outside a test.
  await page.waitForFunction(() => /%$/.test(document.querySelector('[data-testid="accuracy"]')?.textContent ?? ''), null, { timeout: 240_000, polling: 200 });
  return page;
}

/** Waits until the accuracy shown belongs to the ranks on screen, and returns it. */
async function waitForAccuracy(page: Page): Promise<string> {
  const acc = page.getByTestId('accuracy');
  await expect.poll(async () => acc.textContent(), { timeout: 240_000, interval: 200 }).toMatch(/%$/);
  return (await acc.textContent())!;
}

/**
 * How long a poll waits for the size chart to show its points: it redraws 250 ms after a change and then
 * waits up to 4 x 250 ms more for an idle moment (useThrottled), past vitest's default poll timeout of 1 s,
 * which made the chart's count flaky on a loaded machine (56 of 60 points after 1 s in one CI run).
 */
const CHART_SETTLE_MS = 10_000;

async function pointsIn(page: Page, testId: string): Promise<number> {
  return Number(await page.getByTestId(testId).getAttribute('data-points'));
}

/** Once the lab is idle: the number of configurations evaluated, after the size chart (which redraws a little later) shows them all. */
async function settledSizePoints(page: Page): Promise<number> {
  const count = await page.evaluate(async () => {
    const store = (window as unknown as { __lab: { getState(): { whenIdle(): Promise<void>; history: unknown[] } } }).__lab;
    await store.getState().whenIdle();
    return store.getState().history.length;
  });
  await expect.poll(() => pointsIn(page, 'size-chart'), { timeout: CHART_SETTLE_MS }).toBe(count);
  return count;
}

/** Stock TF.js accuracy of a downloaded model, loaded over http as a user would. */
async function stockAccuracyOf(dir: string, jsonName: string): Promise<number> {
  const { url, server } = await serveDir(dir);
  try {
    return await stockAccuracy(await tf.loadLayersModel(`${url}/${jsonName}`));
  } finally {
    server.close();
  }
}

/** Singular values of every factorizable layer by the float64 CPU SVD, in Node. */
async function cpuSpectraOf(path: string): Promise<Record<string, number[]>> {
  const { artifacts, name } = await readModelFromDisk(path);
  const lab = await loadLabModel(artifacts, name);
  const out: Record<string, number[]> = {};
  for (const info of lab.layers.filter((l) => l.factorizable)) {
    const kernel = lab.chain[info.index].getWeights()[0];
    out[info.name] = Array.from(svdJacobi(kernel.dataSync() as Float32Array, info.kernelShape!).s);
  }
  lab.model.dispose();
  return out;
}

describe('the lab on WebGPU in Chromium', () => {
  it('runs on WebGPU when forced: GPU SVD, slider, accuracy, size chart, download that stock TF.js loads', async () => {
    const page = await openLab('?backend=webgpu&svd=gpu');
    await expect.poll(() => page.getByTestId('backend').textContent(), { timeout: 60_000 }).toContain('webgpu');
    expect(await page.getByTestId('svd-engine').textContent()).toContain('WebGPU block Jacobi');
    // The model was decomposed on WebGPU: its spectra match the float64 CPU SVD of the same kernels.
    const gpuSpectra = await page.evaluate(() => {
      const state = (window as unknown as { __lab: { getState(): { spectra: Record<string, Float64Array> } } }).__lab.getState();
      return Object.fromEntries(Object.entries(state.spectra).map(([k, v]) => [k, Array.from(v)]));
    });
    const cpuSpectra = await cpuSpectraOf(join(REPO_ROOT, 'public', 'models', 'mlp-64', 'model.json'));
    expect(Object.keys(gpuSpectra).sort()).toEqual(Object.keys(cpuSpectra).sort());
    for (const [layer, cpu] of Object.entries(cpuSpectra)) {
      const worst = Math.max(...cpu.map((s, i) => Math.abs(s - gpuSpectra[layer][i])));
      expect(worst / cpu[0], layer).toBeLessThanOrEqual(5e-4);
    }
    const before = await waitForAccuracy(page);
    expect(before).toBe(await page.getByTestId('original-accuracy').textContent());
    // The original model, scored at load (the chart redraws its points a little after results arrive).
    await expect.poll(() => pointsIn(page, 'size-chart'), { timeout: CHART_SETTLE_MS }).toBe(1);
    const points = 1;

    const slider = page.getByLabel(/Rank of fc1/);
    await slider.focus();
    await page.keyboard.press('Home'); // rank 1: a big, visible change
    await expect.poll(() => page.getByTestId('rank-fc1').textContent()).toBe('1');
    const after = await waitForAccuracy(page);
    expect(after).not.toBe(before);
    expect(parseFloat(after)).toBeLessThan(parseFloat(before));
    await expect.poll(() => pointsIn(page, 'size-chart'), { timeout: CHART_SETTLE_MS }).toBe(points + 1);
    expect(await page.locator('[data-testid="size-chart"] .evaluated-points .recharts-symbols').count()).toBe(points + 1);

    for (let i = 0; i < 7; i++) await page.keyboard.press('ArrowRight'); // rank 8
    await expect.poll(() => page.getByTestId('rank-fc1').textContent()).toBe('8');
    const shown = await waitForAccuracy(page);
    // The spectrum's rank mark follows the slider (the rank chart has no axes before a sweep), and the red dot is the configuration on screen.
    await expect.poll(() => page.locator('section[aria-label="Singular values of fc1"] .rank-marker').getAttribute('data-rank')).toBe('8');
    await expect.poll(() => page.getByTestId('current-point').count()).toBe(1);

    const dir = downloadDir();
    const downloads: string[] = [];
    page.on('download', async (d) => {
      // One zip named after the configuration, holding model.json and its shard.
      const { zipName, entries } = await saveAndUnzip(d, dir);
      downloads.push(zipName, ...entries);
    });
    await page.getByTestId('download').click();
    await expect.poll(() => downloads.length, { timeout: 60_000 }).toBe(3);
    expect(downloads).toEqual(['mlp-64-svd-fc1_8.zip', 'mlp-64-svd-fc1_8.weights.bin', 'model.json']);
    const jsonName = 'model.json';
    const sizeText = await page.getByTestId('download-size').textContent();
    expect(sizeText).toMatch(/\d[\d,]* bytes/);

    const stock = await stockAccuracyOf(dir, jsonName);
    // Same predictions up to float rounding between WebGPU and the Node cpu backend: within 3 of 10,000 images.
    expect(Math.abs(100 * stock - parseFloat(shown))).toBeLessThanOrEqual(0.03 + 0.005);

    // Data-aware factors take their SVD (of fc1's outputs on the calibration images) from the same WGSL engine,
    // and do better than plain SVD at rank 8.
    await page.getByTestId('method-select').selectOption('data-aware');
    await expect.poll(() => page.getByTestId('method-bytes').textContent(), { timeout: 120_000 }).toContain('data-aware stores');
    expect(parseFloat(await waitForAccuracy(page))).toBeGreaterThan(parseFloat(shown));
    await page.close();
  }, 240_000);
});

/**
 * The lab on wasm, one feature per test, on one page opened once (opening
 * costs most of a minute here). Each test first puts the page where it needs
 * it (Reset: every layer at full rank, method svd), so it does not lean on
 * what an earlier test left, and each can run alone with -t. The tests that
 * open other models come last.
 */
describe('the lab on wasm in Chromium', () => {
  let page: Page;

  beforeAll(async () => {
    page = await openLab('');
  }, 300_000);

  afterAll(async () => {
    await page?.close();
  });

  /** Resolves once the lab has no evaluation, sweep or model load running. */
  const idle = () => page.evaluate(() => (window as unknown as { __lab: { getState(): { whenIdle(): Promise<void> } } }).__lab.getState().whenIdle());

  /** Every layer back to full rank and the method back to svd, through the page's Reset button, and the accuracy shown for it. */
  async function reset(): Promise<void> {
    await idle();
    await page.getByTestId('reset').click();
    await expect.poll(() => page.getByTestId('rank-fc1').textContent()).toBe('64');
    expect(await page.getByTestId('method-select').inputValue()).toBe('svd');
    await waitForAccuracy(page);
  }

  /** Moves `layer`'s slider to rank `k` with the keyboard (Home, then k - 1 steps right) and waits until it shows. */
  async function setRank(layer: string, k: number): Promise<void> {
    await page.getByLabel(new RegExp(`Rank of ${layer}`)).focus();
    await page.keyboard.press('Home');
    for (let i = 1; i < k; i++) await page.keyboard.press('ArrowRight');
    await expect.poll(() => page.getByTestId(`rank-${layer}`).textContent()).toBe(String(k));
  }

  /** Applies a rank rule from the page and resolves once its search is over and its result scored; returns the plan it set. */
  async function applyRule(rule: string, value: string): Promise<Record<string, number>> {
    await page.getByTestId('rule-select').selectOption(rule);
    await page.getByTestId('rule-value').fill(value);
    // A promise in the page that settles when the rule's run has started and ended, set up before the click.
    await page.evaluate(() => {
      type Lab = { subscribe(f: (s: { ruleRun: unknown }) => void): () => void };
      const w = window as unknown as { __lab: Lab; __ruleDone?: Promise<void> };
      w.__ruleDone = new Promise<void>((resolve) => {
        let started = false;
        const unsubscribe = w.__lab.subscribe((s) => {
          if (s.ruleRun !== null) started = true;
          else if (started) { unsubscribe(); resolve(); }
        });
      });
    });
    await page.getByTestId('apply-rule').click();
    await page.evaluate(() => (window as unknown as { __ruleDone: Promise<void> }).__ruleDone);
    await idle();
    await waitForAccuracy(page);
    return page.evaluate(() => ({ ...(window as unknown as { __lab: { getState(): { plan: Record<string, number> } } }).__lab.getState().plan }));
  }

  it('chooses wasm over a software WebGPU adapter, and decomposes in the CPU worker', async () => {
    await expect.poll(() => page.getByTestId('backend').textContent(), { timeout: 60_000 }).toContain('wasm');
    expect(await page.getByTestId('svd-engine').textContent()).toContain('CPU worker');
  });

  it('sweeps a layer with progress, and the swept rank chart marks the slider\'s rank', async () => {
    await reset();
    await page.getByTestId('start-sweep').click();
    await page.getByTestId('cancel-sweep').waitFor({ state: 'visible' });
    await expect.poll(() => pointsIn(page, 'rank-chart'), { timeout: 120_000 }).toBeGreaterThan(60);
    await page.getByTestId('start-sweep').waitFor({ state: 'visible', timeout: 120_000 });
    // The swept rank chart marks the slider's rank without being redrawn.
    await setRank('fc1', 16);
    await expect.poll(() => page.locator('section[aria-label="Rank versus accuracy for fc1"] .rank-marker').getAttribute('data-rank')).toBe('16');
  }, 300_000);

  it('shows the Lipschitz bound of NN-SVD next to the measured relative logit error, and it bounds it', async () => {
    await reset();
    await setRank('fc1', 16);
    await waitForAccuracy(page);
    const measured = parseFloat((await page.getByTestId('logit-error').textContent())!);
    const bound = parseFloat((await page.getByTestId('lipschitz-bound').textContent())!);
    expect(measured).toBeGreaterThan(0);
    expect(bound).toBeGreaterThanOrEqual(measured);
  });

  it('scores every factor method offered at the ranks on screen, each adding its point to the size chart', async () => {
    await reset();
    await setRank('fc1', 16);
    const methods = await page.getByTestId('method-select').locator('option').allTextContents();
    expect(methods).toEqual(['svd', 'data-aware', 'svd+int8', 'svd+int4', 'lp', 'alds']);
    const accuracyBy: Record<string, string> = { svd: await waitForAccuracy(page) };
    for (const method of methods.slice(1)) {
      const before = await settledSizePoints(page);
      await page.getByTestId('method-select').selectOption(method);
      await expect.poll(() => page.getByTestId('method-bytes').textContent(), { timeout: 60_000 }).toContain(`${method} stores`);
      accuracyBy[method] = await waitForAccuracy(page);
      await expect.poll(() => pointsIn(page, 'size-chart'), { timeout: CHART_SETTLE_MS }).toBe(before + 1);
    }
    expect(parseFloat(accuracyBy['data-aware'])).toBeGreaterThan(parseFloat(accuracyBy.svd));
  });

  it('downloads quantized factors (uint8 weights) and reports the files\' real size', async () => {
    await reset();
    await setRank('fc1', 16);
    await page.getByTestId('method-select').selectOption('svd+int8');
    await expect.poll(() => page.getByTestId('method-bytes').textContent(), { timeout: 60_000 }).toContain('svd+int8 stores');
    await waitForAccuracy(page);
    const download = page.waitForEvent('download', { timeout: 60_000 });
    await page.getByTestId('download').click();
    expect((await download).suggestedFilename()).toBe('mlp-64-svd-int8-fc1_16.zip');
    await expect.poll(() => page.getByTestId('download-size').textContent()).toMatch(/^Downloaded: .*model\.json \+ weights/);
  });

  it('sets every layer to the energy rank that the float64 SVD of its kernel gives', async () => {
    await reset();
    const plan = await applyRule('energy', '0.9');
    // The oracle: kernels read from the model's files in Node, their float64 SVD, the smallest k keeping 90% of sum s_i^2.
    const expected = Object.fromEntries([...denseKernels(MLP_64)].map(([name, k]) => [name, energyRankByDefinition(kernelSvd(k).s, 0.9)]));
    expect(plan).toEqual(expected);
    for (const [name, k] of Object.entries(expected)) expect(await page.getByTestId(`rank-${name}`).textContent(), name).toBe(String(k));
  });

  it('sets fc1 to the smallest rank whose output error on the calibration images is within eps', async () => {
    await reset();
    const plan = await applyRule('output-error', '0.3');
    const k = plan.fc1;
    expect(await page.getByTestId('rank-fc1').textContent()).toBe(String(k));
    // The oracle, in Node: fc1's inputs are the calibration images scaled to 0..1 (as float32, like the page);
    // ||X W - X W_k|| / ||X W|| multiplied out with the float64 SVD. Rank k meets eps = 0.3 and rank k - 1 does not.
    const calib = await readSample('calib');
    const factor = Math.fround(1 / 255);
    const x = Float64Array.from(calib.pixels, (p) => Math.fround(p * factor));
    const fc1 = denseKernels(MLP_64).get('fc1')!;
    const svd = kernelSvd(fc1);
    expect(k).toBeGreaterThan(1);
    expect(relativeOutputError(x, calib.count, fc1, svd, k)).toBeLessThanOrEqual(0.3);
    expect(relativeOutputError(x, calib.count, fc1, svd, k - 1)).toBeGreaterThan(0.3);
  });

  it('applies ALDS: channel groups and ranks under the budget, its grouped SVD on screen, and a scored point', async () => {
    await reset();
    const beforeAlds = await settledSizePoints(page);
    await applyRule('alds', '0.1');
    await expect.poll(() => page.getByTestId('rule-detail').textContent(), { timeout: 120_000 }).toMatch(/ALDS at 10\.0%: fc1 k=\d+ j=\d+/);
    // At 10% ALDS keeps a third of mlp-64's accuracy; the rule's line says so.
    expect(await page.getByTestId('rule-detail').textContent()).toMatch(/a large loss; raise the budget \(share of parameters\) to keep more/);
    expect(await page.getByTestId('method-select').inputValue()).toBe('alds');
    await expect.poll(() => pointsIn(page, 'size-chart'), { timeout: 60_000 }).toBe(beforeAlds + 1);
  });

  it('searches for the smallest model reaching a target accuracy on the calibration images', async () => {
    await reset();
    await page.getByTestId('rule-select').selectOption('target');
    await page.getByTestId('rule-base').selectOption('output-error');
    await applyRule('target', '0.9');
    const detail = (await page.getByTestId('rule-detail').textContent())!;
    expect(detail).toMatch(/relative output error eps [0-9.]+: [0-9.]+% on the calibration images reaches 90\.00%/);
    expect(Number(/: ([0-9.]+)% on the calibration/.exec(detail)![1])).toBeGreaterThanOrEqual(90);
  });

  it('compares the methods with progress, draws every method, and exports CSV', async () => {
    await reset();
    await page.getByTestId('start-compare').click();
    await page.getByTestId('cancel-compare').waitFor({ state: 'visible' });
    await page.getByTestId('export-csv').waitFor({ state: 'visible', timeout: 300_000 });
    await expect.poll(() => pointsIn(page, 'compare-chart'), { timeout: CHART_SETTLE_MS }).toBeGreaterThan(35);
    expect(await page.locator('[data-testid="compare-chart"] .recharts-legend-item').count()).toBe(8);
    const csv = page.waitForEvent('download');
    await page.getByTestId('export-csv').click();
    expect((await csv).suggestedFilename()).toBe('mlp-64-methods.csv');
  }, 360_000);

  it('holds exactly the tensors it held before, after 200 slider moves that supersede evaluations in flight', async () => {
    await reset();
    const liveTensors = () => page.evaluate(() => (window as unknown as { __liveTensors(): number }).__liveTensors());
    await idle();
    const tensorsBefore = await liveTensors();
    await page.getByLabel(/Rank of fc2/).focus();
    await page.keyboard.press('Home');
    // Two steps up, one down: 200 moves over ranks 1..64, most of them superseding an evaluation in flight.
    for (let i = 0; i < 200; i++) await page.keyboard.press(i % 3 === 2 ? 'ArrowLeft' : 'ArrowRight');
    await expect.poll(() => page.getByTestId('rank-fc2').textContent()).toBe('64');
    await idle();
    await waitForAccuracy(page);
    expect(await liveTensors()).toBe(tensorsBefore);
  });

  it('keeps the open model and its accuracy when a broken model is opened', async () => {
    await reset();
    const accuracy = await waitForAccuracy(page);
    const model = await page.getByTestId('lab').getAttribute('data-model');
    await page.getByTestId('file-input').setInputFiles([
      { name: 'model.json', mimeType: 'application/json', buffer: Buffer.from('{"modelTopology": {}, "weightsManifest": [{"paths": ["w.bin"], "weights": []}]}') },
    ]);
    await expect.poll(() => page.getByTestId('error').textContent(), { timeout: 60_000 }).toContain('w.bin');
    expect(await page.getByTestId('lab').getAttribute('data-model')).toBe(model);
    expect(await waitForAccuracy(page)).toBe(accuracy);
  });

  it('opens a model whose files are dropped on the page, named by its model.json', async () => {
    // Drag-and-drop of a model's files opens it (the user's own model path; files are read in the page).
    const files = ['model.json', 'weights.bin'].map((name) => ({ name, base64: readFileSync(join(MLP_64, name)).toString('base64') }));
    await page.evaluate((list) => {
      const dt = new DataTransfer();
      for (const f of list) dt.items.add(new File([Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0))], f.name));
      document.querySelector('.drop-zone')!.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, files);
    // Files alone carry no folder: the model is called by the name its model.json gives it.
    await expect.poll(() => page.getByTestId('lab').getAttribute('data-model'), { timeout: 60_000 }).toBe('mlp_64');
    expect(await waitForAccuracy(page)).toBe(await page.getByTestId('original-accuracy').textContent());
  });

  it('opens a folder from the folder picker, shard named as the converter names it, named after the folder', async () => {
    // The file picker filters no extension out.
    expect(await page.getByTestId('file-input').getAttribute('accept')).toBeNull();
    const folder = join(mkdtempSync(join(tmpdir(), 'lrl-folder-')), 'my-mlp');
    try {
      mkdirSync(folder);
      const modelJson = JSON.parse(readFileSync(join(MLP_64, 'model.json'), 'utf8')) as { weightsManifest: Array<{ paths: string[] }> };
      modelJson.weightsManifest[0].paths = ['group1-shard1of1'];
      writeFileSync(join(folder, 'model.json'), JSON.stringify(modelJson));
      writeFileSync(join(folder, 'group1-shard1of1'), readFileSync(join(MLP_64, 'weights.bin')));
      await page.getByTestId('folder-input').setInputFiles(folder);
      await expect.poll(() => page.getByTestId('lab').getAttribute('data-model'), { timeout: 60_000 }).toBe('my-mlp');
      expect(await waitForAccuracy(page)).toBe(await page.getByTestId('original-accuracy').textContent());
    } finally {
      rmSync(dirname(folder), { recursive: true, force: true });
    }
  });
});

describe('the lab in Chromium, share links', () => {
  it('opens a share link with a chosen input scale, shows it, and keeps it in the address as it changes', async () => {
    // The lab feeds mlp-64 raw pixels, shows it, and keeps it in the address;
    // choosing 0..1 on the page opens it again that way and the address follows.
    const scaled = await openLab('?backend=wasm&model=mlp-64&scale=255&ranks=fc1%3D9');
    expect(await scaled.getByTestId('input-scale').inputValue()).toBe('255');
    expect(await scaled.getByTestId('input-scale-how').textContent()).toBe('(chosen)');
    expect(await scaled.getByTestId('rank-fc1').textContent()).toBe('9');
    await expect.poll(() => scaled.evaluate(() => window.location.search)).toContain('scale=255');
    await scaled.getByTestId('input-scale').selectOption('1');
    await expect.poll(() => scaled.evaluate(() => window.location.search), { timeout: 60_000 }).toContain('scale=1');
    expect(await scaled.getByTestId('rank-fc1').textContent()).toBe('9');
    await scaled.close();
  });
});

describe('the lab in Chromium, CNN', () => {
  it('opens the bundled CNN: a conv slider and a Dense slider change the accuracy, and the download loads with stock TF.js', async () => {
    const page = await openLab('?model=cnn');
    const original = await waitForAccuracy(page);
    expect(await page.getByTestId('layers').textContent()).toContain('5×5×16×32 as 400×32');
    await page.getByLabel(/Rank of conv2/).focus();
    await page.keyboard.press('Home');
    for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowRight'); // conv2 = 4
    await expect.poll(() => page.getByTestId('rank-conv2').textContent()).toBe('4');
    const convMoved = await waitForAccuracy(page);
    expect(parseFloat(convMoved)).toBeLessThan(parseFloat(original));
    await page.getByLabel(/Rank of fc1/).focus();
    await page.keyboard.press('Home');
    for (let i = 0; i < 7; i++) await page.keyboard.press('ArrowRight'); // fc1 = 8
    await expect.poll(() => page.getByTestId('rank-fc1').textContent()).toBe('8');
    const shown = await waitForAccuracy(page);
    expect(shown).not.toBe(convMoved);

    const dir = downloadDir();
    const downloads: string[] = [];
    page.on('download', async (d) => {
      const { zipName, entries } = await saveAndUnzip(d, dir);
      downloads.push(zipName, ...entries);
    });
    await page.getByTestId('download').click();
    await expect.poll(() => downloads.length, { timeout: 60_000 }).toBe(3);
    expect(downloads[0]).toBe('cnn-svd-conv2_4-fc1_8.zip');
    const jsonName = 'model.json';
    const json = JSON.parse(readFileSync(join(dir, jsonName), 'utf8')) as { modelTopology: { config: { layers: Array<{ class_name: string; config: { name: string; kernel_size?: number[]; filters?: number } }> } } };
    const byName = Object.fromEntries(json.modelTopology.config.layers.map((l) => [l.config.name, l]));
    // conv2 at rank 4: a 5x5 convolution to 4 channels, then a 1x1 convolution to its 32.
    expect([byName.conv2_u.class_name, byName.conv2_u.config.kernel_size, byName.conv2_u.config.filters]).toEqual(['Conv2D', [5, 5], 4]);
    expect([byName.conv2_v.class_name, byName.conv2_v.config.kernel_size, byName.conv2_v.config.filters]).toEqual(['Conv2D', [1, 1], 32]);
    // Stock TF.js on wasm in Node (the cpu backend's convolutions would take minutes on 10,000 images).
    await useNodeBackend('wasm');
    try {
      const stock = await stockAccuracyOf(dir, jsonName);
      expect(Math.abs(100 * stock - parseFloat(shown))).toBeLessThanOrEqual(0.005);
    } finally {
      await tf.setBackend('cpu');
    }
    await page.close();
  }, 240_000);

});

describe('the lab in Chromium, requests', () => {
  it('made no request outside its own origin on the pages the tests above opened', () => {
    // Not vacuous: it reads what the tests above recorded, so alone (-t) it fails here instead of passing on nothing.
    // tests/browser/requests.test.ts records a whole session within one test.
    expect(recordedRequests.length, 'requests recorded by the tests above; run the whole file').toBeGreaterThanOrEqual(20);
    expect(recordedRequests.filter((url) => !['blob:', 'data:'].includes(new URL(url).protocol) && new URL(url).origin !== new URL(h.url).origin)).toEqual([]);
  });
});
