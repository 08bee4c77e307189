/**
 * The shared list of SVD test matrices, one row per case, so that the same
 * list runs against the CPU svdJacobi in Node today and against a GPU path
 * in the browser later (tfjs-core's describeWithFlags pattern). Each case
 * builds its matrix and the singular values it must have, either known by
 * construction (A = Q1 diag(s) Q2^T) or from the independent Gram-matrix
 * eigen-solver in reference.ts for random matrices (from its Hestenes
 * Jacobi for graded ones, where squaring would lose the small values).
 */
import { gaussianMatrix, gradedMatrix, gramSingularValues, hestenesSingularValues, matrixWithSpectrum } from './reference';

/** A test matrix and its expected singular values. */
export interface SvdCaseData {
  /** Row-major m x n. */
  readonly data: Float64Array;
  /** Expected singular values, descending, length min(m, n). */
  readonly expected: Float64Array;
}

/** One row of the case table. */
export interface SvdCase {
  readonly name: string;
  readonly m: number;
  readonly n: number;
  readonly build: () => SvdCaseData;
}

/** Spectrum of length r decaying geometrically from 1 to 1 / cond. */
function geometric(r: number, cond: number): number[] {
  return Array.from({ length: r }, (_, i) => cond ** (-i / Math.max(1, r - 1)));
}

function padded(values: readonly number[], r: number): Float64Array {
  const out = new Float64Array(r);
  out.set(values.slice(0, r));
  return out;
}

function known(m: number, n: number, s: readonly number[], seed: number): () => SvdCaseData {
  return () => ({
    data: matrixWithSpectrum(m, n, s, seed),
    expected: padded(s, Math.min(m, n)),
  });
}

function random(m: number, n: number, seed: number): () => SvdCaseData {
  return () => {
    const data = gaussianMatrix(m, n, seed);
    return { data, expected: gramSingularValues(data, m, n) };
  };
}

function scaled(m: number, n: number, s: readonly number[], factor: number, seed: number): () => SvdCaseData {
  return () => {
    const spectrum = s.map((x) => x * factor);
    return { data: matrixWithSpectrum(m, n, spectrum, seed), expected: padded(spectrum, Math.min(m, n)) };
  };
}

function graded(m: number, n: number, cond: number, seed: number): () => SvdCaseData {
  return () => {
    const data = gradedMatrix(m, n, cond, seed);
    return { data, expected: hestenesSingularValues(data, m, n) };
  };
}

const repeated = [3, 3, 3, 2, 2, 2, 2, 1, 1, 1, 1, 1, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125, 0.125, 0.125];

/** The case table: shapes and spectra the lab's kernels and edge cases call for. */
export const SVD_CASES: readonly SvdCase[] = [
  { name: 'random Gaussian 50x30', m: 50, n: 30, build: random(50, 30, 1) },
  { name: 'random Gaussian 30x50', m: 30, n: 50, build: random(30, 50, 2) },
  { name: 'square 64x64, cond 1e2', m: 64, n: 64, build: known(64, 64, geometric(64, 1e2), 3) },
  { name: 'ill-conditioned cond 1e6, 40x25', m: 40, n: 25, build: known(40, 25, geometric(25, 1e6), 4) },
  { name: 'ill-conditioned cond 1e4, 25x40', m: 25, n: 40, build: known(25, 40, geometric(25, 1e4), 5) },
  { name: 'rank-deficient rank 5 of 40x20', m: 40, n: 20, build: known(40, 20, [5, 4, 3, 2, 1], 6) },
  { name: 'rank-deficient rank 3 of 10x30', m: 10, n: 30, build: known(10, 30, [2, 1, 0.5], 7) },
  { name: 'repeated singular values 30x20', m: 30, n: 20, build: known(30, 20, repeated, 8) },
  { name: 'tall kernel 784x64', m: 784, n: 64, build: random(784, 64, 9) },
  { name: 'wide 64x784', m: 64, n: 784, build: random(64, 784, 10) },
  { name: '1xn row 1x17', m: 1, n: 17, build: random(1, 17, 11) },
  { name: 'nx1 column 23x1', m: 23, n: 1, build: random(23, 1, 12) },
  { name: 'all-zero 7x5', m: 7, n: 5, build: () => ({ data: new Float64Array(35), expected: new Float64Array(5) }) },
  { name: '1x1', m: 1, n: 1, build: () => ({ data: Float64Array.of(-2.5), expected: Float64Array.of(2.5) }) },
  { name: 'huge entries 1e250, 12x9', m: 12, n: 9, build: scaled(12, 9, geometric(9, 1e3), 1e250, 13) },
  { name: 'tiny entries 1e-250, 9x12', m: 9, n: 12, build: scaled(9, 12, geometric(9, 1e3), 1e-250, 14) },
  { name: 'graded rows cond 1e8, 160x96', m: 160, n: 96, build: graded(160, 96, 1e8, 15) },
  { name: 'graded rows cond 1e14, 160x96', m: 160, n: 96, build: graded(160, 96, 1e14, 16) },
];

/** The cases with graded rows, where the GPU block Jacobi without QR preconditioning needed 15 to 21 sweeps. */
export const GRADED_CASE_NAMES: readonly string[] = SVD_CASES.filter((c) => c.name.startsWith('graded')).map((c) => c.name);
