/**
 * Target-accuracy search (the lab's issue 4): every rank rule has one knob
 * that trades size for accuracy (tau of the energy rule, eps of the
 * output-error rule, the parameter budget of ALDS), and the user asks for
 * "the smallest model that still reaches 97 %". Each accuracy measurement
 * is a full evaluation of the compressed network, so the search spends a
 * fixed, small number of them.
 */

/** One measured point: the knob value tried and the accuracy measured there. */
export interface KnobPoint {
  readonly knob: number;
  readonly accuracy: number;
}

/** Result of {@link searchKnob}. */
export interface KnobSearchResult {
  /** True when some measured point reached the target. */
  readonly feasible: boolean;
  /**
   * When feasible: the measured point reaching the target nearest the
   * small-model end of the range. Otherwise: the most accurate point seen.
   */
  readonly knob: number;
  readonly accuracy: number;
  /** How many times accuracyAt was awaited. */
  readonly evaluations: number;
  /** Every measured point, in order. */
  readonly history: readonly KnobPoint[];
}

/** Options of {@link searchKnob}. */
export interface KnobSearchOptions {
  /** Bisection steps after the two end points, a non-negative integer; default 10. */
  readonly iterations?: number;
  /**
   * True (default) when a larger knob gives a larger, more accurate model
   * (tau, budget); false when it gives a smaller one (eps).
   */
  readonly increasing?: boolean;
  /** Bisect over integers only (a parameter budget); stops once the ends are adjacent. */
  readonly integer?: boolean;
  /** Called after each measurement, e.g. to plot points while the search runs. */
  readonly onEvaluate?: (point: KnobPoint) => void;
}

/**
 * Finds the knob value in [lo, hi] giving the smallest model whose accuracy
 * is >= target, by bisection. Assumes accuracy is monotone in the knob, in
 * the direction `increasing` says, and that model size moves with accuracy
 * (true of tau, eps and budget by construction). Measures the large-model
 * end first (if it misses the target the result is infeasible after one
 * evaluation), then the small-model end (if it meets the target it is the
 * answer), then `iterations` midpoints: at most iterations + 2 evaluations.
 * When accuracy is not monotone (noise of a small evaluation set, or
 * fine-tuning effects), bisection may skip a better region, but the answer
 * is still a point that was measured to meet the target, never an
 * interpolation. `accuracyAt` may be async; calls are sequential. Throws
 * RangeError for lo >= hi, non-finite bounds or target, non-integer bounds
 * with `integer`, a bad iteration count, or a NaN accuracy.
 */
export async function searchKnob(
  lo: number,
  hi: number,
  accuracyAt: (knob: number) => Promise<number> | number,
  target: number,
  options: KnobSearchOptions = {},
): Promise<KnobSearchResult> {
  const { iterations = 10, increasing = true, integer = false } = options;
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(lo < hi)) {
    throw new RangeError(`The knob range must be finite with lo < hi, got [${lo}, ${hi}].`);
  }
  if (integer && (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hi))) {
    throw new RangeError(`An integer knob needs integer bounds, got [${lo}, ${hi}].`);
  }
  if (!Number.isFinite(target)) throw new RangeError(`The target accuracy must be finite, got ${target}.`);
  if (!Number.isSafeInteger(iterations) || iterations < 0) {
    throw new RangeError(`iterations must be a non-negative integer, got ${iterations}.`);
  }
  const history: KnobPoint[] = [];
  const measure = async (knob: number): Promise<number> => {
    const accuracy = await accuracyAt(knob);
    if (Number.isNaN(accuracy)) throw new RangeError(`The accuracy at knob ${knob} is NaN.`);
    const point = { knob, accuracy };
    history.push(point);
    options.onEvaluate?.(point);
    return accuracy;
  };
  const done = (feasible: boolean, knob: number, accuracy: number): KnobSearchResult => ({
    feasible,
    knob,
    accuracy,
    evaluations: history.length,
    history,
  });

  const large = increasing ? hi : lo;
  const small = increasing ? lo : hi;
  const largeAccuracy = await measure(large);
  if (!(largeAccuracy >= target)) return done(false, large, largeAccuracy);
  const smallAccuracy = await measure(small);
  if (smallAccuracy >= target) return done(true, small, smallAccuracy);

  // Invariant: `meets` was measured >= target, `misses` below it. Every
  // later probe lies strictly between them, so `meets` is always the
  // passing point nearest the small-model end, even if monotonicity fails.
  let meets = large;
  let meetsAccuracy = largeAccuracy;
  let misses = small;
  for (let step = 0; step < iterations; step++) {
    if (integer && Math.abs(meets - misses) <= 1) break;
    const mid = integer ? Math.floor((meets + misses) / 2) : (meets + misses) / 2;
    // Floating-point ends can meet after ~50 halvings; more steps would repeat a point.
    if (mid === meets || mid === misses) break;
    const accuracy = await measure(mid);
    if (accuracy >= target) {
      meets = mid;
      meetsAccuracy = accuracy;
    } else {
      misses = mid;
    }
  }
  return done(true, meets, meetsAccuracy);
}
