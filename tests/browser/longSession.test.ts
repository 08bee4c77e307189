import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import type { Page } from 'playwright-core';
import { downloadDir, serveDir, startHarness, type Harness } from './harness';
import { saveAndUnzip } from './zipDownload';
import { stockAccuracy } from '../helpers/stockAccuracy';
import { longSessionMoves } from '../../src/cli/longSessionMoves';
import { mulberry32 } from '../../src/core/sampling';

/**
 * A long session in real Chromium (issue 11, part 3): 1,000 seeded-random
 * rank moves across mlp-64's layers, switching among every factor method
 * the method picker offers, most of them through the store actions the
 * sliders call (at the pace of a dragged slider: one move per animation
 * frame, never waiting for an evaluation) and some with the keyboard. Then,
 * once the lab is idle: no tensor leaked, no GPU buffer left, and the
 * accuracy shown is what stock TF.js measures for the downloaded final plan.
 * Main-thread tasks over 50 ms (PerformanceObserver 'longtask', registered
 * before the first move) are counted and the longest is printed, not
 * asserted: `npm run bench` measures them (its long-session table).
 *
 * On wasm, which the lab chooses here (SwiftShader's WebGPU is ~46x
 * slower; a 1,000-move session on it would not fit a test's time).
 */

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
  await tf.setBackend('cpu');
});

afterAll(async () => {
  await h?.close();
});

interface LabHooks {
  __lab: {
    getState(): {
      whenIdle(): Promise<void>;
      setRank(layer: string, k: number): void;
      setMethod(m: string): void;
      layers: Array<{ name: string; factorizable: boolean; rankLimit: number }>;
      method: string;
      plan: Record<string, number>;
      error: string | null;
    };
  };
  __liveTensors(): number;
  __liveGpuBuffers(): number;
  __longTasks: number[];
  __channels: number;
}

async function idle(page: Page): Promise<void> {
  await page.evaluate(() => (window as unknown as LabHooks).__lab.getState().whenIdle());
}

describe('a long session', () => {
  it('1,000 random rank moves across layers and methods: no leak, and the accuracy shown is the final plan\'s', async () => {
    const page = await h.browser.newPage({ acceptDownloads: true });
    page.on('pageerror', (e) => console.error('page error:', e.message));
    // Counts the MessageChannels the page makes: yielding to the page reuses one (src/model/slices.ts).
    await page.addInitScript(() => {
      const Native = window.MessageChannel;
      const w = window as unknown as { __channels: number };
      w.__channels = 0;
      window.MessageChannel = class extends Native {
        constructor() {
          super();
          w.__channels++;
        }
      };
    });
    await page.goto(`${h.url}?model=mlp-64`);
    await page.getByTestId('lab').waitFor({ timeout: 120_000 });
    await expect.poll(() => page.getByTestId('accuracy').textContent(), { timeout: 120_000 }).toMatch(/%$/);
    await idle(page);
    expect(await page.getByTestId('backend').textContent()).toContain('wasm');

    const before = await page.evaluate(() => ({ live: (window as unknown as LabHooks).__liveTensors(), gpu: (window as unknown as LabHooks).__liveGpuBuffers(), channels: (window as unknown as LabHooks).__channels }));
    const methods = await page.getByTestId('method-select').locator('option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    expect(methods.length).toBeGreaterThanOrEqual(6);
    const layers = await page.evaluate(() => (window as unknown as LabHooks).__lab.getState().layers.filter((l) => l.factorizable).map((l) => ({ name: l.name, limit: l.rankLimit })));

    // 1,000 moves from a fixed seed (the bench replays the same list): a method switch about every 60 moves, ranks across the layers.
    const moves = longSessionMoves(methods, layers);
    const random = mulberry32(12);
    expect(moves).toHaveLength(1000);
    const switched = new Set(moves.flatMap((m) => ('method' in m ? [m.method] : [])));
    expect([...switched].sort()).toEqual([...methods].sort());

    // Long tasks counted from here on (registered before the first move).
    await page.evaluate(() => {
      const w = window as unknown as LabHooks;
      w.__longTasks = [];
      new PerformanceObserver((list) => { for (const e of list.getEntries()) w.__longTasks.push(e.duration); }).observe({ type: 'longtask' });
    });

    const started = Date.now();
    // 980 moves through the store in the page, one per animation frame (a dragged slider's pace).
    const viaStore = moves.slice(0, 980);
    await page.evaluate(async (list) => {
      const s = () => (window as unknown as LabHooks).__lab.getState();
      for (const m of list) {
        if ('method' in m) s().setMethod(m.method);
        else s().setRank(m.layer, m.rank);
        await new Promise((r) => requestAnimationFrame(r));
      }
    }, viaStore);
    // The last 20 with the keyboard on the sliders, as a user would.
    let keyMoves = 0;
    for (const m of moves.slice(980)) {
      if ('method' in m) {
        await page.getByTestId('method-select').selectOption(m.method);
      } else {
        const slider = page.getByLabel(new RegExp(`Rank of ${m.layer}\\b`));
        await slider.focus();
        await page.keyboard.press(random() < 0.5 ? 'ArrowLeft' : 'ArrowRight');
      }
      keyMoves++;
    }
    expect(keyMoves).toBe(20);
    await idle(page);
    const movesMs = Date.now() - started;

    const after = await page.evaluate(() => {
      const w = window as unknown as LabHooks;
      return { live: w.__liveTensors(), gpu: w.__liveGpuBuffers(), channels: w.__channels, longTasks: w.__longTasks, error: w.__lab.getState().error, method: w.__lab.getState().method, plan: w.__lab.getState().plan };
    });
    const maxLongTask = Math.max(0, ...after.longTasks);
    console.log(`long session: ${movesMs} ms for 1,000 moves; tensors outside caches ${before.live} -> ${after.live}; GPU buffers ${before.gpu} -> ${after.gpu}; ${after.longTasks.length} long tasks, longest ${maxLongTask.toFixed(0)} ms; final ${after.method} ${JSON.stringify(after.plan)}`);
    expect(after.error).toBeNull();
    expect(after.live).toBe(before.live);
    expect(after.gpu).toBe(0);
    // 1,297 were made here when each yield to the page made its own.
    expect(after.channels - before.channels).toBe(0);

    // The accuracy shown is the final plan's: the download of that plan, scored by stock TF.js in Node.
    const shown = await page.getByTestId('accuracy').textContent();
    expect(shown).toMatch(/%$/);
    const dir = downloadDir();
    const download = page.waitForEvent('download');
    await page.getByTestId('download').click();
    const { entries } = await saveAndUnzip(await download, dir);
    expect(entries).toContain('model.json');
    const { url, server } = await serveDir(dir);
    let stock: number;
    try {
      stock = await stockAccuracy(await tf.loadLayersModel(`${url}/model.json`));
    } finally {
      server.close();
    }
    console.log(`long session: shown ${shown}, stock TF.js on the download ${(100 * stock).toFixed(2)}%`);
    expect(`${(100 * stock).toFixed(2)}%`).toBe(shown);

    // Long tasks are printed, not asserted (house rule: no timing assertions); `npm run bench` replays the same
    // moves and prints the long-task table, where the 100 ms target is read.
    await page.close();
  }, 240_000);
});
