/**
 * Memoization for selectors that derive arrays from the store. React's
 * useSyncExternalStore (behind useLab) needs a selector to return the same
 * object while its inputs are the same, and the teaching views' derived
 * pictures cost milliseconds each: each memo keeps its last arguments and
 * result, compared by identity, so a slider move recomputes only what
 * depends on the rank.
 */

/**
 * `compute` with a one-entry cache: called again only when some argument
 * differs (!==) from the previous call's. Pure functions only; the cached
 * result is shared by every caller (do not modify it).
 */
export function memoLast<A extends readonly unknown[], R>(compute: (...args: A) => R): (...args: A) => R {
  let last: { args: A; result: R } | null = null;
  return (...args: A) => {
    if (last && last.args.length === args.length && last.args.every((a, i) => a === args[i])) return last.result;
    const result = compute(...args);
    last = { args, result };
    return result;
  };
}
