import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { firstImages } from '../core/mnist';
import { asRank } from '../core/units';
import { LabSession } from '../model/session';
import type { RankPlan } from '../model/plan';
import { quantile, table } from './benchTable';
import { REPO_ROOT, nodeSvd, readModelFromDisk, readSample } from './nodeEnv';
import { artifactsOf, cnnFixture } from './fixtureModels';

/**
 * Evaluation before and after the activation cache, in one run (Node, TF.js
 * wasm): the same session code with reuse off (every plan scored from the
 * images, the path before) and on (scored from the first changed layer,
 * a plain-SVD layer's rank from its cached projection). Per model: open
 * time, p50/p95 of rank changes of the first and of the last factorized
 * layer, and a sweep of the first layer. Prints a table; asserts nothing.
 */

interface Case {
  model: string;
  images: number;
  artifacts: () => Promise<{ artifacts: tf.io.ModelArtifacts; name: string }>;
  /** Rank changes timed per layer, before and after (the CNN's full passes are slow before). */
  changes: [number, number];
  sweep: number;
}

const CASES: readonly Case[] = [
  { model: 'mlp-64', images: 10_000, artifacts: () => readModelFromDisk(join(REPO_ROOT, 'public', 'models', 'mlp-64', 'model.json')), changes: [15, 30], sweep: 32 },
  { model: 'mlp-512', images: 10_000, artifacts: () => readModelFromDisk(join(REPO_ROOT, 'public', 'models', 'mlp-512', 'model.json')), changes: [9, 30], sweep: 32 },
  // The bundled CNN: its first layer is conv1, so "first layer" is a conv rank change (from the images).
  { model: 'cnn', images: 10_000, artifacts: () => readModelFromDisk(join(REPO_ROOT, 'public', 'models', 'cnn', 'model.json')), changes: [5, 20], sweep: 16 },
  {
    model: 'cnn fixture', images: 2_000, changes: [3, 20], sweep: 16,
    artifacts: async () => {
      const m = cnnFixture();
      try {
        return { artifacts: await artifactsOf(m), name: 'cnn-fixture' };
      } finally {
        m.dispose();
      }
    },
  },
];

async function timed(run: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await run();
  return performance.now() - t;
}

/** One row: a model under one path (reuse off or on). */
async function row(c: Case, reuse: boolean): Promise<string[]> {
  const { artifacts, name } = await c.artifacts();
  const sample = firstImages(await readSample('test'), c.images);
  let session: LabSession | null = null;
  const openMs = await timed(async () => { session = await LabSession.open(artifacts, name, sample, nodeSvd, undefined, undefined, undefined, { reuse }); });
  const s = session!;
  try {
    const layers = s.layers.filter((l) => l.factorizable);
    const [first, last] = [layers[0], layers[layers.length - 1]];
    const base: Record<string, ReturnType<typeof asRank>> = Object.fromEntries(layers.map((l) => [l.name, asRank(Math.min(8, l.rankLimit))]));
    const count = c.changes[reuse ? 1 : 0];
    const walk = async (layer: typeof first): Promise<number[]> => {
      await s.evaluate(base);
      const times: number[] = [];
      for (let i = 0; i < count; i++) {
        const plan: RankPlan = { ...base, [layer.name]: asRank(1 + ((i * 7) % Math.min(layer.rankLimit, 24))) };
        times.push(await timed(() => s.evaluate(plan)));
      }
      return times;
    };
    const firstTimes = await walk(first);
    const lastTimes = await walk(last);
    const sweepMs = await timed(async () => {
      for (let k = 1; k <= Math.min(c.sweep, first.rankLimit); k++) await s.evaluate({ ...base, [first.name]: asRank(k) });
    });
    const ms = (x: number) => x.toFixed(1);
    console.error(`  evaluation ${c.model} ${reuse ? 'after' : 'before'}: first p50 ${ms(quantile(firstTimes, 0.5))} ms, last p50 ${ms(quantile(lastTimes, 0.5))} ms`);
    return [c.model, `${c.images}`, reuse ? 'after (cache)' : 'before', ms(openMs),
      `${ms(quantile(firstTimes, 0.5))} / ${ms(quantile(firstTimes, 0.95))}`, `${ms(quantile(lastTimes, 0.5))} / ${ms(quantile(lastTimes, 0.95))}`,
      `${Math.min(c.sweep, first.rankLimit)} ranks ${sweepMs.toFixed(0)}`, `${count}`];
  } finally {
    s.dispose();
  }
}

/** The before/after table for the bundled MLPs and the CNN fixture. */
export async function evaluationTable(): Promise<string> {
  const rows: string[][] = [];
  for (const c of CASES) for (const reuse of [false, true]) rows.push(await row(c, reuse));
  return table(['model', 'images', 'path', 'open ms', 'first layer p50 / p95 ms', 'last layer p50 / p95 ms', 'sweep of first layer ms', 'changes'], rows);
}
