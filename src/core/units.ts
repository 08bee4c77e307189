/**
 * Branded number types for quantities the lab keeps apart: a rank, a count of
 * parameters, a size in bytes, a compression ratio and a relative error are
 * all plain `number`s at run time, and mixing them up (passing a byte count
 * where a parameter count belongs, a ratio where a rank belongs) type-checks
 * silently without a brand. The brand costs nothing at run time; the `as*`
 * constructors are the only places that check a value and attach it.
 *
 * Constructors are deliberately cheap (a couple of comparisons) so they can
 * sit on hot paths such as a rank slider or a sweep over ranks.
 */

/** Rank k of a truncated factorization: a positive integer (k >= 1). */
export type Rank = number & { readonly __brand: 'Rank' };

/** Number of stored scalar parameters (weights and biases): a non-negative integer. */
export type ParamCount = number & { readonly __brand: 'ParamCount' };

/** A size in bytes: a non-negative integer. */
export type Bytes = number & { readonly __brand: 'Bytes' };

/**
 * Compression ratio original / compressed (dimensionless, > 0). Above 1 means
 * the compressed form is smaller; below 1 means it is larger.
 */
export type CompressionRatio = number & { readonly __brand: 'CompressionRatio' };

/**
 * Error measured relative to a reference norm, e.g. ||A - A_k||_F / ||A||_F:
 * a finite, non-negative, dimensionless number (0 = exact; it may exceed 1).
 */
export type RelativeError = number & { readonly __brand: 'RelativeError' };

/**
 * Checks that `k` is a positive integer and brands it as a {@link Rank}.
 * Throws RangeError otherwise (0, negatives, fractions, NaN, Infinity).
 */
export function asRank(k: number): Rank {
  if (!Number.isSafeInteger(k) || k < 1) {
    throw new RangeError(`A rank must be a positive integer, got ${k}.`);
  }
  return k as Rank;
}

/**
 * Checks that `count` is a non-negative integer and brands it as a
 * {@link ParamCount}. Throws RangeError otherwise.
 */
export function asParamCount(count: number): ParamCount {
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new RangeError(`A parameter count must be a non-negative integer, got ${count}.`);
  }
  return count as ParamCount;
}

/**
 * Checks that `bytes` is a non-negative integer and brands it as
 * {@link Bytes}. Throws RangeError otherwise.
 */
export function asBytes(bytes: number): Bytes {
  if (!Number.isSafeInteger(bytes) || bytes < 0) {
    throw new RangeError(`A byte count must be a non-negative integer, got ${bytes}.`);
  }
  return bytes as Bytes;
}

/**
 * Checks that `ratio` is finite and strictly positive and brands it as a
 * {@link CompressionRatio}. Throws RangeError otherwise.
 */
export function asCompressionRatio(ratio: number): CompressionRatio {
  // `!(ratio > 0)` also rejects NaN, which a plain `ratio <= 0` would let through.
  if (!(ratio > 0) || ratio === Infinity) {
    throw new RangeError(`A compression ratio must be finite and positive, got ${ratio}.`);
  }
  return ratio as CompressionRatio;
}

/**
 * Checks that `error` is finite and non-negative and brands it as a
 * {@link RelativeError}. Throws RangeError otherwise.
 */
export function asRelativeError(error: number): RelativeError {
  if (!(error >= 0) || error === Infinity) {
    throw new RangeError(`A relative error must be finite and non-negative, got ${error}.`);
  }
  return error as RelativeError;
}

/**
 * Thrown when a rank exceeds what a matrix admits: k > min(m, n) for an
 * m x n matrix (or k > r for an SVD with r singular values). It is a
 * RangeError so callers that already catch RangeError keep working.
 */
export class RankOutOfRangeError extends RangeError {
  /** The rank that was asked for. */
  readonly rank: number;
  /** The largest rank the matrix admits, min(m, n). */
  readonly maxRank: number;

  constructor(rank: number, maxRank: number, what: string) {
    super(
      `Rank ${rank} is larger than the maximum rank ${maxRank} of ${what}; ` +
        `choose a rank between 1 and ${maxRank}.`,
    );
    this.name = 'RankOutOfRangeError';
    this.rank = rank;
    this.maxRank = maxRank;
  }
}
