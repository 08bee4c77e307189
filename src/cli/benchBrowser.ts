import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'vite';
import type { Page } from 'playwright-core';
import { startHarness, type Harness } from './chromium';
import { artifactsOf, cnnFixture, filesOf } from './fixtureModels';
import { quantile, table } from './benchTable';
import { REPO_ROOT, useNodeBackend } from './nodeEnv';
import { longSessionMoves } from './longSessionMoves';

/**
 * The lab's interaction figures in Chromium, as a user gets them: the
 * production build served by vite preview, driven through the store hook
 * (window.__lab). For mlp-64 on TF.js wasm the same figures are taken from
 * the app as it was before issue 8 (built from BEFORE_COMMIT in a
 * temporary git worktree) and from this build, in one run; WebGPU and the
 * CNNs are measured on this build only. Prints tables; asserts
 * nothing. Long tasks are the browser's Long Tasks API (main-thread tasks
 * over 50 ms).
 */

/** The last commit before issue 8's evaluator work: the "before" app. */
export const BEFORE_COMMIT = 'eb17a66';

/** One app's figures on one model and backend. */
interface LabFigures {
  where: string;
  /** Longest main-thread task from navigation until the first model is open and scored. */
  pageStart: number;
  /** Longest task while the model is opened again from the model picker's action. */
  modelOpen: number;
  openMs: number;
  /** Rank changes of fc1 one after another: p50 / p95 ms from setRank until the result is in the store. */
  backToBack: [number, number];
  /** The same with the page idle before each move (no chart redraw pending). */
  isolated: [number, number];
  sweepMs: number;
  /** Longest task during the moves and the sweep. */
  work: number;
}

type Store = {
  getState(): {
    phase: string;
    setRank(layer: string, k: number): void;
    setMethod(method: string): void;
    layers: Array<{ name: string; factorizable: boolean; rankLimit: number }>;
    whenIdle(): Promise<void>;
    startSweep(layer: string): Promise<void>;
    openModel(source: unknown): Promise<void>;
  };
};

/** Records the page's long tasks from its first script on, in window.__longTasks. */
async function watchLongTasks(page: Page): Promise<void> {
  await page.addInitScript({
    content: 'window.__longTasks = []; new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__longTasks.push(e.duration); }).observe({ type: "longtask", buffered: true });',
  });
}

/**
 * The longest task recorded since the last call (0 when none). Long-task entries reach the observer a
 * while after their task, so it first waits for two idle periods: otherwise the bench's own task before
 * a call (decoding the CNN's files, 127 ms) was counted as the lab's next one.
 */
function takeLongest(page: Page): Promise<number> {
  return page.evaluate(async () => {
    for (let i = 0; i < 2; i++) await new Promise((r) => requestIdleCallback(r, { timeout: 1000 }));
    return Math.max(0, ...(window as unknown as { __longTasks: number[] }).__longTasks.splice(0));
  });
}

async function waitReady(page: Page): Promise<void> {
  await page.waitForFunction(() => (window as unknown as { __lab?: Store }).__lab?.getState().phase === 'ready', null, { timeout: 600_000 });
  await page.evaluate(() => (window as unknown as { __lab: Store }).__lab.getState().whenIdle());
}

/** Times `count` rank changes of `layer` (a fixed pseudo-random walk over 1..maxRank); `quiet` waits for an idle page before each. */
async function timeMoves(page: Page, layer: string, maxRank: number, count: number, quiet: boolean): Promise<[number, number]> {
  const times = await page.evaluate(async ([l, top, n, q]) => {
    // No named functions in here: tsx would wrap them in a helper the page does not have.
    const store = (window as unknown as { __lab: Store }).__lab;
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      if (q) for (let j = 0; j < 3; j++) await new Promise((r) => requestIdleCallback(r, { timeout: 500 }));
      const t = performance.now();
      store.getState().setRank(l, 1 + ((i * 17) % top));
      await store.getState().whenIdle();
      out.push(performance.now() - t);
    }
    return out;
  }, [layer, maxRank, count, quiet] as const);
  return [quantile(times, 0.5), quantile(times, 0.95)];
}

/** mlp-64 on `backend` in the app served by `app`. */
async function mlpFigures(app: Harness, where: string, backend: string, moves: number): Promise<LabFigures> {
  const page = await app.browser.newPage();
  try {
    await watchLongTasks(page);
    await page.goto(`${app.url}?backend=${backend}`);
    await waitReady(page);
    const pageStart = await takeLongest(page);
    const openMs = await page.evaluate(async () => {
      const store = (window as unknown as { __lab: Store }).__lab;
      const t = performance.now();
      await store.getState().openModel({ kind: 'bundled', id: 'mlp-64' });
      await store.getState().whenIdle();
      return performance.now() - t;
    });
    const modelOpen = await takeLongest(page);
    const backToBack = await timeMoves(page, 'fc1', 59, moves, false);
    // Another rank of fc2 first (one that shrinks it), so no plan of the idle-page moves has been scored before:
    // the store keeps results.
    await page.evaluate(async () => {
      const store = (window as unknown as { __lab: Store }).__lab;
      store.getState().setRank('fc2', 20);
      await store.getState().whenIdle();
    });
    const isolated = await timeMoves(page, 'fc1', 59, Math.ceil(moves / 2), true);
    const sweepMs = await page.evaluate(async () => {
      const t = performance.now();
      await (window as unknown as { __lab: Store }).__lab.getState().startSweep('fc2');
      return performance.now() - t;
    });
    return { where, pageStart, modelOpen, openMs, backToBack, isolated, sweepMs, work: await takeLongest(page) };
  } finally {
    await page.close();
  }
}

/**
 * The long session of tests/browser/longSession.test.ts (the same 1,000
 * seeded moves over mlp-64's layers and every factor method), replayed in
 * the page through the store: the first 980 one per animation frame (a
 * dragged slider's pace; each move also selects its layer), the last 20
 * 80 ms apart (key presses, as the test's keyboard moves come: each result
 * arrives and is drawn, its layer's charts in full, while the next move is
 * scored). One row: total ms, the number of long tasks, their median and
 * the longest, and how many exceed 100 ms.
 */
async function longSessionRow(app: Harness, run: number): Promise<string[]> {
  const page = await app.browser.newPage();
  try {
    await watchLongTasks(page);
    await page.goto(`${app.url}?model=mlp-64&backend=wasm`);
    await waitReady(page);
    await takeLongest(page);
    const methods = await page.locator('[data-testid="method-select"] option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    const layers = await page.evaluate(() => (window as unknown as { __lab: Store }).__lab.getState().layers.filter((l) => l.factorizable).map((l) => ({ name: l.name, limit: l.rankLimit })));
    const moves = longSessionMoves(methods, layers);
    const { ms, tasks } = await page.evaluate(async (list) => {
      // No named functions in here: tsx would wrap them in a helper the page does not have.
      const store = (window as unknown as { __lab: Store }).__lab;
      const w = window as unknown as { __longTasks: number[] };
      w.__longTasks.splice(0);
      const t = performance.now();
      for (let i = 0; i < list.length; i++) {
        const m = list[i];
        if ('method' in m) store.getState().setMethod(m.method);
        else store.getState().setRank(m.layer, m.rank);
        if (i < list.length - 20) await new Promise((r) => requestAnimationFrame(r));
        else await new Promise((r) => setTimeout(r, 80));
      }
      await store.getState().whenIdle();
      for (let i = 0; i < 2; i++) await new Promise((r) => requestIdleCallback(r, { timeout: 1000 }));
      return { ms: performance.now() - t, tasks: w.__longTasks.splice(0) };
    }, moves);
    const longest = Math.max(0, ...tasks);
    return [`run ${run}`, ms.toFixed(0), String(tasks.length), tasks.length ? quantile(tasks, 0.5).toFixed(0) : '-', longest.toFixed(0), String(tasks.filter((d) => d > 100).length)];
  } finally {
    await page.close();
  }
}

/** `runs` long sessions in the app served by `app`, as a titled table. */
export async function longSessionTable(app: Harness, runs: number): Promise<string> {
  const rows: string[][] = [];
  for (let run = 1; run <= runs; run++) rows.push(await longSessionRow(app, run));
  const title = "A long session in Chromium (the long-session test's 1,000 moves over every method: 980 one per frame, 20 80 ms apart)";
  return `${title}\n${table(['mlp-64, wasm, 1,000 moves', 'ms', 'long tasks (> 50 ms)', 'median long task ms', 'longest ms', 'over 100 ms'], rows)}`;
}

/** Builds the app at BEFORE_COMMIT into a temporary folder; the reason instead when it cannot. */
async function buildBefore(): Promise<{ dir: string; cleanup(): void } | { reason: string }> {
  const root = mkdtempSync(join(tmpdir(), 'lrl-before-'));
  const tree = join(root, 'tree');
  try {
    execFileSync('git', ['-C', REPO_ROOT, 'worktree', 'add', '--detach', tree, BEFORE_COMMIT], { stdio: 'ignore' });
  } catch {
    rmSync(root, { recursive: true, force: true });
    return { reason: `commit ${BEFORE_COMMIT} is not in this clone's history` };
  }
  const cleanup = () => {
    try {
      execFileSync('git', ['-C', REPO_ROOT, 'worktree', 'remove', '--force', tree], { stdio: 'ignore' });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  };
  try {
    // The dependencies have not changed since then: the worktree borrows this checkout's.
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(tree, 'node_modules'), 'dir');
    await build({ root: tree, logLevel: 'warn', build: { outDir: join(root, 'dist'), emptyOutDir: true } });
    if (!existsSync(join(root, 'dist', 'index.html'))) throw new Error('no index.html');
    return { dir: join(root, 'dist'), cleanup };
  } catch (err) {
    cleanup();
    return { reason: `building ${BEFORE_COMMIT} failed: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/** How a CNN reaches the page: issue 8's fixture as dropped files (model.json and its shard), or the bundled cnn. */
type CnnSource = { kind: 'fixture' } | { kind: 'bundled'; id: string };

/** A CNN on wasm: open time, then rank changes of each of `layers` ([name, highest rank]), p50 / p95. */
async function cnnFigures(app: Harness, label: string, source: CnnSource, layers: ReadonlyArray<readonly [string, number]>, moves: number): Promise<string[][]> {
  const page = await app.browser.newPage();
  try {
    await watchLongTasks(page);
    await page.goto(`${app.url}?backend=wasm`);
    await waitReady(page);
    if (source.kind === 'fixture') {
      const fixture = cnnFixture();
      const files = filesOf(await artifactsOf(fixture));
      fixture.dispose();
      const json = JSON.stringify(files.json);
      const shard = Buffer.from(files.shard).toString('base64');
      // The files are made first, in a task of their own: decoding them is the bench's work, not the lab's.
      await page.evaluate(([modelJson, weights]) => {
        const bytes = Uint8Array.from(atob(weights), (c) => c.charCodeAt(0));
        (window as unknown as { __files: File[] }).__files = [new File([modelJson], 'model.json'), new File([bytes], 'weights.bin')];
      }, [json, shard] as const);
    }
    await takeLongest(page);
    const openMs = await page.evaluate(async (bundled) => {
      const store = (window as unknown as { __lab: Store }).__lab;
      const t = performance.now();
      await store.getState().openModel(bundled === null ? { kind: 'files', files: (window as unknown as { __files: File[] }).__files } : { kind: 'bundled', id: bundled });
      await store.getState().whenIdle();
      return performance.now() - t;
    }, source.kind === 'bundled' ? source.id : null);
    const openLongest = await takeLongest(page);
    const rows: string[][] = [];
    for (const [layer, top] of layers) {
      const [p50, p95] = await timeMoves(page, layer, top - 1, moves, false);
      rows.push([`${label}, ${layer}`, openMs.toFixed(0), openLongest.toFixed(0), p50.toFixed(1), p95.toFixed(1), (await takeLongest(page)).toFixed(0)]);
    }
    return rows;
  } finally {
    await page.close();
  }
}

/** The interaction tables: mlp-64 before and after (wasm), after on WebGPU, and the CNN fixture. */
export async function browserInteractionTables(quick: boolean): Promise<string> {
  await useNodeBackend('wasm'); // the CNN fixture is built here, in Node
  const moves = quick ? 20 : 40;
  const figures: LabFigures[] = [];
  let note = '';
  const before = await buildBefore();
  if ('reason' in before) {
    note = `\n(before: not measured, ${before.reason})`;
  } else {
    try {
      const old = await startHarness(before.dir);
      try {
        figures.push(await mlpFigures(old, `before (${BEFORE_COMMIT}), wasm`, 'wasm', moves));
      } finally {
        await old.close();
      }
    } finally {
      before.cleanup();
    }
  }
  await build({ logLevel: 'warn' });
  const app = await startHarness();
  let cnn: string[][];
  let session = '';
  try {
    figures.push(await mlpFigures(app, 'after, wasm', 'wasm', moves));
    // WebGPU last: SwiftShader keeps the CPUs busy for a while after its page closes.
    cnn = [
      ...await cnnFigures(app, 'CNN fixture', { kind: 'fixture' }, [['fc1', 128], ['out', 10]], quick ? 8 : 16),
      // The bundled CNN: a conv rank change runs from that conv layer's cached input on.
      ...await cnnFigures(app, 'bundled cnn', { kind: 'bundled', id: 'cnn' }, [['conv1', 16], ['conv2', 32], ['fc1', 128], ['out', 10]], quick ? 8 : 16),
    ];
    session = await longSessionTable(app, quick ? 1 : 3);
    figures.push(await mlpFigures(app, 'after, webgpu', 'webgpu', 6));
  } finally {
    await app.close();
  }
  const ms = (x: number) => x.toFixed(0);
  const pair = ([a, b]: [number, number]) => `${a.toFixed(1)} / ${b.toFixed(1)}`;
  const mlp = table(
    ['mlp-64 in Chromium', 'open ms', 'longest task: page start', 'longest task: model open', 'fc1 change p50 / p95 ms (back to back)', 'p50 / p95 ms (idle page)', 'sweep of fc2 ms', 'longest task: moves + sweep'],
    figures.map((f) => [f.where, ms(f.openMs), ms(f.pageStart), ms(f.modelOpen), pair(f.backToBack), pair(f.isolated), ms(f.sweepMs), ms(f.work)]),
  );
  const conv = table(['model (wasm, 10,000 images)', 'open ms', 'longest task: open', 'rank change p50 ms', 'p95 ms', 'longest task: moves'], cnn);
  return `${mlp}${note}\n\n${session}\n\nCNNs in Chromium: issue 8's CNN shape (seeded random weights, opened as dropped files) and the bundled cnn; rank changes of each layer\n${conv}`;
}
