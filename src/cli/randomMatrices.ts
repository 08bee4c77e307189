/**
 * Seeded random matrices for benchmarks and tests: a PRNG (mulberry32), its
 * Gaussian stream, Gaussian matrices, and the orthonormality defect of a
 * basis. Plain float64 code with no imports, so the tests' reference maths
 * (tests/core/reference.ts) can use it without depending on src/core.
 * All matrices are row-major Float64Arrays with explicit dimensions.
 */

/** Uniform [0, 1) generator from a 32-bit seed (mulberry32); deterministic across runs. */
export function seededUniform(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples by Box-Muller from a seeded uniform stream. */
export function seededGaussian(seed: number): () => number {
  const uniform = seededUniform(seed);
  return () => {
    const u1 = 1 - uniform(); // in (0, 1], so the log is finite
    const u2 = uniform();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  };
}

/** rows x cols matrix of independent standard normal entries. */
export function gaussianMatrix(rows: number, cols: number, seed: number): Float64Array {
  const next = seededGaussian(seed);
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < out.length; i++) out[i] = next();
  return out;
}

/** max_{c,d} |(X^T X - I)_{cd}| for a row-major rows x cols matrix X. */
export function orthonormalityDefect(x: Float64Array, rows: number, cols: number): number {
  let worst = 0;
  for (let c = 0; c < cols; c++) {
    for (let d = c; d < cols; d++) {
      let dotCd = 0;
      for (let k = 0; k < rows; k++) dotCd += x[k * cols + c] * x[k * cols + d];
      worst = Math.max(worst, Math.abs(dotCd - (c === d ? 1 : 0)));
    }
  }
  return worst;
}
