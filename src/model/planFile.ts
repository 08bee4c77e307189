import { LabInputError } from './errors';
import { checkRank, parseGroupSpec } from './rankSpec';
import { FACTOR_METHOD_NAMES, isFactorMethodName, type FactorMethodName } from './methods/registry';
import type { FactorizableLayer, LayerInfo } from './labModel';
import type { GroupPlan, RankPlan } from './plan';
import type { Rank } from '../core/units';

/**
 * A rank plan as a JSON file, written by the lab's "Export plan" and read by
 * `compress --plan plan.json`:
 *   { "model": "mlp-64", "method": "svd", "ranks": { "fc1": 16, "fc2": 16 }, "groups": { "fc1": 28 } }
 * `model` names the model the plan was made on (a reminder: the layers are
 * what is checked), `method` is a factor method's name (svd when absent),
 * `ranks` gives layer -> rank (layers left out stay dense), `groups` ALDS's
 * channel groups (only with method "alds"). Every error says what to fix.
 */

/** A parsed plan file: ranks and groups checked against a model's layers. */
export interface PlanFile {
  model: string | null;
  method: FactorMethodName;
  plan: RankPlan;
  groups: GroupPlan;
}

const KEYS = ['model', 'method', 'ranks', 'groups'];

/** The JSON text of a plan file (two-space indented, keys in a fixed order); `groups` only when some layer has more than one. */
export function formatPlanFile(model: string, method: FactorMethodName, plan: RankPlan, groups: GroupPlan = {}): string {
  const grouped = Object.fromEntries(Object.entries(groups).filter(([, g]) => g > 1));
  const body: Record<string, unknown> = { model, method, ranks: { ...plan } };
  if (method === 'alds' && Object.keys(grouped).length > 0) body.groups = grouped;
  return `${JSON.stringify(body, null, 2)}\n`;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Parses plan-file `text` for `layers`; `source` names the file in messages.
 * Throws LabInputError('rank') for text that is not JSON, a field of the
 * wrong type, an unknown field, method or layer, a rank outside the layer's
 * range (the same message as --ranks), or groups that do not divide a
 * layer's input channels.
 */
export function parsePlanFile(text: string, layers: readonly LayerInfo[], source = 'the plan file'): PlanFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new LabInputError('rank', `${source} is not valid JSON (${err instanceof Error ? err.message : String(err)}); it should read like {"model": "mlp-64", "method": "svd", "ranks": {"fc1": 16}}.`);
  }
  if (!isRecord(json)) throw new LabInputError('rank', `${source} must hold a JSON object with "ranks", like {"method": "svd", "ranks": {"fc1": 16}}.`);
  const unknown = Object.keys(json).filter((k) => !KEYS.includes(k));
  if (unknown.length > 0) throw new LabInputError('rank', `${source} has unknown field(s) ${unknown.map((k) => `"${k.slice(0, 40)}"`).join(', ')}; a plan has ${KEYS.join(', ')}.`);
  const { model, method = 'svd', ranks, groups } = json;
  if (model !== undefined && typeof model !== 'string') throw new LabInputError('rank', `"model" in ${source} must be a text (the model's name).`);
  if (typeof method !== 'string' || !isFactorMethodName(method)) {
    throw new LabInputError('rank', `"method" in ${source} must be one of ${FACTOR_METHOD_NAMES.join(', ')}, not ${JSON.stringify(method).slice(0, 40)}.`);
  }
  if (!isRecord(ranks)) throw new LabInputError('rank', `"ranks" in ${source} must be an object of layer: rank, like {"fc1": 16}.`);
  const factorizable = layers.filter((l): l is FactorizableLayer => l.factorizable);
  const names = factorizable.map((l) => l.name).join(', ') || 'none';
  const plan: Record<string, Rank> = {};
  for (const [name, k] of Object.entries(ranks)) {
    const layer = factorizable.find((l) => l.name === name);
    if (!layer) {
      const made = typeof model === 'string' ? ` (the plan was made on ${model.slice(0, 40)})` : '';
      throw new LabInputError('rank', `${source} names layer "${name.slice(0, 40)}", which is not a factorizable layer of this model${made}; factorizable: ${names}.`);
    }
    if (typeof k !== 'number') throw new LabInputError('rank', `The rank of "${name}" in ${source} must be a whole number, not ${JSON.stringify(k).slice(0, 40)}.`);
    plan[name] = checkRank(layer, k);
  }
  let grouping: GroupPlan = {};
  if (groups !== undefined) {
    if (method !== 'alds') throw new LabInputError('rank', `${source} gives "groups", which only the alds method uses; drop them or set "method": "alds".`);
    if (!isRecord(groups) || Object.values(groups).some((g) => typeof g !== 'number' || !Number.isSafeInteger(g))) {
      throw new LabInputError('rank', `"groups" in ${source} must be an object of layer: number of channel groups, like {"fc1": 28}.`);
    }
    grouping = parseGroupSpec(Object.entries(groups).map(([n, g]) => `${n}=${g}`).join(','), layers);
  }
  return { model: typeof model === 'string' ? model : null, method, plan, groups: grouping };
}
