import type { LayerInfo } from '../model/labModel';
import type { EvalResult } from '../model/evaluate';
import { effectiveRank, type PlanSize, type RankPlan } from '../model/plan';

/**
 * One evaluation as the CLI prints it: a line of text per configuration, or
 * one JSON object per line with --json (for scripts and tests).
 */
export function formatEvalReport(
  model: string,
  layers: readonly LayerInfo[],
  plan: RankPlan,
  size: PlanSize,
  result: EvalResult,
  json: boolean,
  /** A configuration scored as replacement kernels (other methods): its own bytes and description. */
  custom?: { bytes: number; detail: string },
): string {
  const ranks: Record<string, number | 'dense'> = {};
  for (const l of layers.filter((x) => x.factorizable)) ranks[l.name] = effectiveRank(l, plan) ?? 'dense';
  const bytes = custom ? custom.bytes : size.bytes;
  if (json) {
    return JSON.stringify({
      model, ranks: custom ? custom.detail : ranks,
      // Null without labels (a model that is not an MNIST classifier): agreement and cosine compare with the original.
      accuracy: result.labelled ? result.accuracy : null,
      agreement: result.agreement,
      outputCosine: result.outputCosine,
      relativeLogitError: result.relativeLogitError,
      lipschitzBound: result.lipschitzBound ?? null,
      images: result.count,
      params: size.params,
      bytes,
      originalBytes: size.originalBytes,
    });
  }
  const rankText = custom ? custom.detail : Object.entries(ranks).map(([n, k]) => `${n}=${k}`).join(' ');
  return [
    `${model} [${rankText}]`,
    result.labelled ? `accuracy ${(100 * result.accuracy).toFixed(2)}%` : 'accuracy n/a',
    `agreement ${(100 * result.agreement).toFixed(2)}%`,
    `output cosine ${result.outputCosine.toFixed(4)}`,
    `rel. logit error ${result.relativeLogitError.toFixed(4)}${typeof result.lipschitzBound === 'number' ? ` (Lipschitz bound ${result.lipschitzBound.toFixed(4)})` : ''}`,
    custom ? `${bytes} bytes (${(size.originalBytes / bytes).toFixed(2)}x smaller)` : `${size.params} params, ${size.bytes} bytes (${size.ratio.toFixed(2)}x smaller)`,
    `on ${result.count} images`,
  ].join(' | ');
}
