import { zipSync, strToU8 } from 'fflate';
import type { EvalResult } from '../model/evaluate';
import type { ExportedModel } from '../model/exportModel';
import type { FactorMethodName } from '../model/methods/registry';
import type { GroupPlan, RankPlan } from '../model/plan';
import type { HistoryPoint } from './types';

/**
 * What the lab's exports write, as pure functions: the configuration's
 * file name, the one-zip download, and the CSV of every evaluation of the
 * session. The zip is written with fflate, a small maintained zip writer
 * (a few KiB, no dependencies, synchronous and streaming APIs), so the lab
 * does not carry its own hand-written zip and CRC-32 code.
 */

/** Longest file name base the lab writes (file systems allow 255 bytes; the extension and a browser's " (1)" fit after it). */
export const MAX_FILE_BASE = 120;

/** `text` with every character outside [A-Za-z0-9._-] as "_", so any file system takes it. */
function fileSafe(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '');
}

/**
 * The download's name for a configuration, without extension: model, method,
 * then `layer_rank` (`layer_groupsxrank` for ALDS groups) for every layer
 * the plan factorizes, e.g. "mlp-64-svd-fc1_16-fc2_16". Layers at full rank
 * (absent from the plan) are left out. File-safe and at most MAX_FILE_BASE
 * characters: a longer one is cut and ends in a short hash of the whole
 * name, so two long configurations still get different names.
 */
export function configFileName(model: string, method: FactorMethodName, plan: RankPlan, groups: GroupPlan = {}): string {
  const parts = Object.entries(plan).map(([layer, k]) => {
    const g = method === 'alds' ? groups[layer] ?? 1 : 1;
    return `${layer}_${g > 1 ? `${g}x${k}` : k}`;
  });
  const full = fileSafe([model || 'model', method.replace('+', '-'), ...parts].join('-')) || 'model';
  if (full.length <= MAX_FILE_BASE) return full;
  return `${full.slice(0, MAX_FILE_BASE - 9)}-${fnv1a(full)}`;
}

/** 32-bit FNV-1a hash as 8 hex digits: a short, stable tag for a cut name. */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/** The download as one zip: model.json and the weight shard it names, at the zip's top level. */
export function zipExportedModel(exported: ExportedModel): Uint8Array {
  return zipSync({
    'model.json': strToU8(exported.modelJson),
    [exported.weightsFileName]: new Uint8Array(exported.weights),
  }, { level: 6 });
}

/** A CSV field, quoted when it holds a comma, quote or line break. */
function csvField(value: string | number): string {
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * Every evaluation of the session as CSV, one row per history point in the
 * order they were made: the method, each factorizable layer's rank ("dense"
 * where it keeps its weights) and ALDS channel groups, the stored bytes and
 * the scores. `results` supplies agreement, output cosine and logit error by
 * the point's key (empty where unknown).
 */
export function evaluationsCsv(model: string, layerNames: readonly string[], history: readonly HistoryPoint[], results: ReadonlyMap<string, EvalResult>): string {
  const header = ['model', 'method', ...layerNames.flatMap((n) => [`${n} rank`, `${n} groups`]), 'stored bytes', 'accuracy', 'agreement', 'output cosine', 'relative logit error'];
  const rows = history.map((h) => {
    const bar = h.key.indexOf('|');
    const method = bar < 0 ? 'svd' : h.key.slice(0, bar);
    const ranks = new Map(h.key.slice(bar + 1).split(',').map((p) => p.split('=') as [string, string]));
    const r = results.get(h.key);
    const perLayer = layerNames.flatMap((n) => {
      const [groups, rank] = (ranks.get(n) ?? '').includes('x') ? ranks.get(n)!.split('x') : ['1', ranks.get(n) ?? ''];
      return [rank, rank === 'dense' ? '' : groups];
    });
    return [model, method, ...perLayer, h.bytes, h.accuracy.toFixed(6), r ? r.agreement.toFixed(6) : '', r ? r.outputCosine.toFixed(6) : '', r ? r.relativeLogitError.toFixed(6) : ''];
  });
  return [header, ...rows].map((row) => row.map(csvField).join(',')).join('\n') + '\n';
}
