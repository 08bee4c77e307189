import type { MethodContext } from '../methods/context';
import type { FactorMethodName } from '../methods/registry';
import type { GroupPlan, RankPlan } from '../plan';

/** What applying a rule sets: ranks, channel groups, and the factor method it implies (ALDS: its own). */
export interface RuleOutcome {
  plan: RankPlan;
  groups: GroupPlan;
  method?: FactorMethodName;
  /** A line for the UI and the CLI, e.g. the chosen (k, j) per layer or the search's result. */
  detail: string;
}

/**
 * A rule's one knob: the UI's number field (label, default, bounds, step),
 * what the CLI and the share link accept (the same bounds), and the range
 * the target rule searches, inside those bounds.
 */
export interface Knob {
  readonly label: string;
  readonly value: number;
  readonly min: number;
  readonly max: number;
  readonly step: number;
  /** Where the target rule searches; `increasing`: a larger knob gives a larger model (tau, budget), not a smaller one (eps). */
  readonly search: { readonly lo: number; readonly hi: number; readonly increasing: boolean };
}

/**
 * A rank rule: one knob that sets every layer's rank at once. One file per
 * rule, one line in rules/registry.ts.
 */
export interface RankRule {
  /** What the rule does, in a line. */
  readonly hint: string;
  readonly knob: Knob;
  /** The knob values the comparison scores the rule at (with plain SVD factors unless the rule implies a method). */
  readonly compareValues: readonly number[];
  /**
   * The range the target rule searches on this model, where the model makes
   * part of the knob's search range meaningless (an ALDS budget below the
   * model's smallest configuration); absent: the knob's search range.
   */
  searchRange?(ctx: MethodContext): { lo: number; hi: number; increasing: boolean };
  /**
   * The ranks (and groups, method) at knob `value`, already checked against
   * the knob's bounds. Throws LabInputError where the model cannot take the
   * value; CancelledError when `signal` aborts.
   */
  outcome(ctx: MethodContext, value: number, signal?: AbortSignal): Promise<RuleOutcome>;
  /**
   * Why the rule can lose to the plainest choice, when it optimises
   * something other than accuracy: set, the rule's line compares it with
   * uniform-rank SVD at no more bytes on the calibration images and, where
   * it loses by more than noise, says so with this reason.
   */
  readonly lossReason?: string;
}
