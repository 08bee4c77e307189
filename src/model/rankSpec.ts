import { asRank, type Rank } from '../core/units';
import { maxRank } from '../core/compression';
import { LabInputError } from './errors';
import type { FactorizableLayer, LayerInfo } from './labModel';
import type { GroupPlan, RankPlan } from './plan';

/**
 * Text form of a rank plan, shared by the CLI (`--ranks fc1=16,fc2=8`) and
 * the share link (`?ranks=...`): comma-separated `layer=k` pairs, or a single
 * number meaning that rank on every factorizable layer. Parsing checks every
 * name and bound against the model and refuses anything else with a message.
 */

/** Parses `spec` for `layers`; throws LabInputError('rank') naming the bad part. */
export function parseRankSpec(spec: string, layers: readonly LayerInfo[]): RankPlan {
  const trimmed = spec.trim();
  const factorizable = layers.filter((l): l is FactorizableLayer => l.factorizable);
  const plan: Record<string, Rank> = {};
  if (/^\d+$/.test(trimmed)) {
    // One number for every layer: capped at each layer's largest rank ("as much as it has"), but a
    // number no layer can take (0, or above the largest layer's limit) is refused like a pair would be.
    const k = Number(trimmed);
    const widest = factorizable.reduce<FactorizableLayer | null>((w, l) => (w === null || l.rankLimit > w.rankLimit ? l : w), null);
    if (widest && (k < 1 || k > widest.rankLimit)) checkRank(widest, k);
    for (const l of factorizable) plan[l.name] = asRank(Math.min(k, l.rankLimit));
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
    plan[layer.name] = checkRank(layer, Number(m[2]));
  }
  return plan;
}

/**
 * `k` as a rank of `layer`, or LabInputError('rank') with the one message both
 * forms of a spec (and the plan file) give for a rank outside 1..rankLimit.
 */
export function checkRank(layer: FactorizableLayer, k: number): Rank {
  const [m, n] = layer.kernelShape;
  const top = layer.rankLimit;
  if (!Number.isSafeInteger(k) || k < 1 || k > top) {
    const why = top < maxRank(m, n) ? `the lab computed the top ${top} singular directions of its ${m}x${n} kernel` : `its ${m}x${n} kernel allows 1..${top}`;
    throw new LabInputError('rank', `Rank ${k} for layer "${layer.name}" is out of range: ${why}.`);
  }
  return asRank(k);
}

/** The inverse of parseRankSpec for plans that name layers. */
export function formatRankSpec(plan: RankPlan): string {
  return Object.entries(plan).map(([name, k]) => `${name}=${k}`).join(',');
}

/**
 * Parses ALDS channel groups, `layer=k` pairs (`fc1=28,fc2=2`), for the
 * share link: every name a factorizable layer, every k a divisor of its
 * input channels. Throws LabInputError('rank') naming the bad part.
 */
export function parseGroupSpec(spec: string, layers: readonly LayerInfo[]): GroupPlan {
  const groups: Record<string, number> = {};
  for (const part of spec.trim().split(',').filter((p) => p.length > 0)) {
    const m = /^([^=\s]+)=(\d+)$/.exec(part.trim());
    const layer = m ? layers.find((l): l is FactorizableLayer => l.name === m[1] && l.factorizable) : undefined;
    if (!m || !layer) throw new LabInputError('rank', `"${part.slice(0, 40)}" is not of the form layer=groups for a factorizable layer (e.g. fc1=4).`);
    const k = Number(m[2]);
    const inputs = layer.channels;
    if (k < 1 || inputs % k !== 0) throw new LabInputError('rank', `${k} channel groups do not divide the ${inputs} input channels of layer "${layer.name}".`);
    if (k > 1) groups[layer.name] = k;
  }
  return groups;
}

/** The inverse of parseGroupSpec; layers with one group are left out. */
export function formatGroupSpec(groups: GroupPlan): string {
  return Object.entries(groups).filter(([, k]) => k > 1).map(([name, k]) => `${name}=${k}`).join(',');
}
