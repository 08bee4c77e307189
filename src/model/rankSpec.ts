import { asRank, type Rank } from '../core/units';
import { maxRank } from '../core/compression';
import { LabInputError } from './errors';
import type { LayerInfo } from './labModel';
import type { RankPlan } from './plan';

/**
 * Text form of a rank plan, shared by the CLI (`--ranks fc1=16,fc2=8`) and
 * the share link (`?ranks=...`): comma-separated `layer=k` pairs, or a single
 * number meaning that rank on every factorizable layer. Parsing checks every
 * name and bound against the model and refuses anything else with a message.
 */

/** Parses `spec` for `layers`; throws LabInputError('rank') naming the bad part. */
export function parseRankSpec(spec: string, layers: readonly LayerInfo[]): RankPlan {
  const trimmed = spec.trim();
  const factorizable = layers.filter((l) => l.factorizable && l.kernelShape);
  const plan: Record<string, Rank> = {};
  if (/^\d+$/.test(trimmed)) {
    for (const l of factorizable) plan[l.name] = clampCheck(l, Number(trimmed), true);
    return plan;
  }
  for (const part of trimmed.split(',').filter((p) => p.length > 0)) {
    const m = /^([^=\s]+)=(\d+)$/.exec(part.trim());
    if (!m) {
      throw new LabInputError('rank', `"${part.slice(0, 40)}" is not of the form layer=rank (e.g. fc1=16).`);
    }
    const layer = factorizable.find((l) => l.name === m[1]);
    if (!layer) {
      const names = factorizable.map((l) => l.name).join(', ') || 'none';
      throw new LabInputError('rank', `"${m[1].slice(0, 40)}" is not a factorizable layer of this model (factorizable: ${names}).`);
    }
    plan[layer.name] = clampCheck(layer, Number(m[2]), false);
  }
  return plan;
}

function clampCheck(layer: LayerInfo, k: number, clamp: boolean): Rank {
  const [m, n] = layer.kernelShape!;
  const top = layer.rankLimit;
  if (clamp) return asRank(Math.max(1, Math.min(k, top)));
  if (k < 1 || k > top) {
    const why = top < maxRank(m, n) ? `the lab computed the top ${top} singular directions of its ${m}x${n} kernel` : `its ${m}x${n} kernel allows 1..${top}`;
    throw new LabInputError('rank', `Rank ${k} for layer "${layer.name}" is out of range: ${why}.`);
  }
  return asRank(k);
}

/** The inverse of parseRankSpec for plans that name layers. */
export function formatRankSpec(plan: RankPlan): string {
  return Object.entries(plan).map(([name, k]) => `${name}=${k}`).join(',');
}
