/**
 * The per-layer quantities of ALDS (Liebenwein et al., "Compressing Neural
 * Networks: Towards Determining the Optimal Layer-wise Decomposition",
 * NeurIPS 2021): a Dense kernel W (m inputs x n outputs, row-major) is cut
 * into k channel groups along its inputs (k divides m; group g is the g-th
 * contiguous block of m/k rows), and each group W_g is factorized on its own
 * at a common rank j. Stored parameters: j (m/k + n) per group, j (m + k n)
 * in all, against m n dense. Error: the relative spectral error of the
 * stacked grouped factors, eps(k, j) = ||W - [trunc_j(W_1); ...;
 * trunc_j(W_k)]||_2 / s_1(W) (groupedError.ts), 0 once j >= rank of the
 * groups. The paper's max_g s_{j+1}(W_g) / s_1(W) is only its lower bound;
 * the true error is up to sqrt(k) times that (2.1x on mlp-64's fc2 here,
 * 3.7x on mlp-512's output layer in 64 groups), and an allocation that
 * minimises the bound can spend the budget where the error is not.
 *
 * The groups' SVDs are computed once per (layer, k) in an
 * {@link AldsSpectraCache}, and each rank's error (a Lanczos solve) only
 * when an allocation asks for it, memoized there too.
 */
import { denseParams } from './compression';
import { GroupedErrors, type ErrorMeasure } from './groupedError';
import { svdJacobi, type Svd } from './svd';
import { asParamCount, asRelativeError, type ParamCount, type RelativeError } from './units';

/** A layer ALDS may compress: kernel `w` (m x n, row-major) and whether it has an n-vector bias. */
export interface AldsLayer {
  readonly name: string;
  readonly w: Float32Array | Float64Array;
  readonly m: number;
  readonly n: number;
  readonly hasBias: boolean;
  /** Input channels, when the rows come in blocks of m / channels per channel (a convolution's kh kw taps): groups then hold whole channels. m when absent. */
  readonly channels?: number;
}

/** Singular values of the k input-channel groups of one kernel. */
export interface GroupSpectra {
  /** Number of groups k. */
  readonly groups: number;
  /** m / k: input rows per group. */
  readonly rowsPerGroup: number;
  /** k spectra, each min(m/k, n) values, descending, in the units of W's entries. */
  readonly spectra: readonly Float64Array[];
  /** s_1(W): the largest singular value of the whole kernel, the errors' common scale. */
  readonly sigmaMax: number;
}

/**
 * How many divisors of m ALDS tries as group counts, the smallest first.
 * Past a handful, groups get so thin (a few rows each) that rank j costs
 * nearly j k n parameters; 16 covers every divisor of the MNIST widths
 * (784 has 15) while bounding the SVDs of a highly composite m.
 */
export const MAX_GROUP_COUNTS_TRIED = 16;

/** Divisors of m in ascending order, at most `limit` of them (the smallest). m must be a positive integer. */
export function channelDivisors(m: number, limit: number = MAX_GROUP_COUNTS_TRIED): number[] {
  if (!Number.isSafeInteger(m) || m < 1) throw new RangeError(`An input width must be a positive integer, got ${m}.`);
  const out: number[] = [];
  for (let d = 1; d <= m && out.length < limit; d++) if (m % d === 0) out.push(d);
  return out;
}

/**
 * Singular values of the k groups of the m x n kernel `w` (see the module
 * comment for the grouping), float64 by svdJacobi, plus s_1(W). Pass
 * `options.sigmaMax` when s_1(W) is already known, to skip the SVD of the
 * whole kernel that k > 1 otherwise needs. Pure. Throws RangeError when k
 * does not divide m or the shapes disagree.
 */
export function groupSpectra(
  w: Float32Array | Float64Array,
  m: number,
  n: number,
  k: number,
  options: { readonly sigmaMax?: number } = {},
): GroupSpectra {
  const svds = groupSvds(w, m, n, k);
  const sigmaMax = options.sigmaMax ?? (k === 1 ? svds[0].s[0] : svdJacobi(w, [m, n]).s[0]);
  return { groups: k, rowsPerGroup: m / k, spectra: svds.map((svd) => svd.s), sigmaMax };
}

/**
 * The thin SVDs (svdJacobi, float64) of the k groups of the m x n kernel
 * `w`, group g being its g-th block of m / k contiguous rows. Pure. Throws
 * RangeError when k does not divide m or the shapes disagree.
 */
export function groupSvds(w: Float32Array | Float64Array, m: number, n: number, k: number): Svd[] {
  if (w.length !== m * n) throw new RangeError(`A ${m}x${n} kernel needs ${m * n} entries, got ${w.length}.`);
  if (!Number.isSafeInteger(k) || k < 1 || m % k !== 0) {
    throw new RangeError(`The group count must divide the input width ${m}, got ${k}.`);
  }
  const rows = m / k;
  // Contiguous input rows are a contiguous slice of a row-major kernel.
  return Array.from({ length: k }, (_, g) => svdJacobi(w.subarray(g * rows * n, (g + 1) * rows * n), [rows, n]));
}

/** What one layer stores and loses at (k groups, rank j). */
export interface GroupedOption {
  /** Stored parameters, bias included. */
  readonly params: ParamCount;
  /** eps(k, j); 0 when kept dense. */
  readonly error: RelativeError;
  /** True when j (m + k n) >= m n, so the dense kernel is kept instead. */
  readonly keptDense: boolean;
}

/**
 * Everything the allocation needs about one layer at one group count: the
 * shape and the raw errors eps(k, j) for j = 1..groupRank. Built by
 * {@link groupedProfile}; read through {@link groupedOption}.
 */
export interface GroupedProfile {
  readonly m: number;
  readonly n: number;
  readonly hasBias: boolean;
  readonly groups: number;
  /** min(m/k, n): the largest rank a group admits. */
  readonly groupRank: number;
  /** eps(k, j) for 1 <= j <= groupRank: non-increasing in j, 0 at groupRank; computed on first use and memoized. */
  errorAt(j: number): number;
  /** Whether eps(k, j) <= eps: the same answer as errorAt(j) <= eps, but computing the error only where its cheap bounds cannot tell. */
  errorWithin(j: number, eps: number, measure?: ErrorMeasure): boolean;
}

/**
 * The profile of one layer cut into `svds.length` groups with these thin
 * SVDs (see {@link GroupedProfile}); sigmaMax = s_1(W). Its errors are the
 * true grouped errors, each computed when first asked for.
 */
export function groupedProfile(layer: AldsLayer, svds: readonly Svd[], sigmaMax: number): GroupedProfile {
  const errors = new GroupedErrors(svds, sigmaMax);
  const groupRank = Math.min(layer.m / svds.length, layer.n);
  return {
    m: layer.m,
    n: layer.n,
    hasBias: layer.hasBias,
    groups: svds.length,
    groupRank,
    errorAt: (j) => (j >= groupRank ? 0 : errors.at(j)),
    errorWithin: (j, eps, measure) => (j >= groupRank ? eps >= 0 : errors.within(j, eps, measure)),
  };
}

/**
 * Parameters and error of the layer at rank j (1 <= j <= groupRank) in its
 * profile's grouping. When j (m + k n) >= m n the factors would not shrink
 * the kernel, so the layer is kept dense at its dense size with error 0
 * (the lab's rule, see isKeptDense in compression.ts). Parameters are then
 * non-decreasing and errors non-increasing in j. Throws RangeError on j out
 * of range.
 */
export function groupedOption(profile: GroupedProfile, j: number): GroupedOption {
  const { params, keptDense } = groupedParams(profile, j);
  return { params, error: asRelativeError(keptDense ? 0 : profile.errorAt(j)), keptDense };
}

/** {@link groupedOption} without the error (nothing computed): what the layer stores at rank j. */
export function groupedParams(profile: GroupedProfile, j: number): { params: ParamCount; keptDense: boolean } {
  const { m, n, hasBias, groups, groupRank } = profile;
  if (!Number.isSafeInteger(j) || j < 1 || j > groupRank) {
    throw new RangeError(`A rank for ${groups} groups of a ${m}x${n} kernel lies in 1..${groupRank}, got ${j}.`);
  }
  const factored = j * (m + groups * n);
  if (factored >= m * n) return { params: denseParams(m, n, hasBias), keptDense: true };
  return { params: asParamCount(factored + (hasBias ? n : 0)), keptDense: false };
}

/**
 * Lazily computed, memoized {@link GroupedProfile}s of a fixed list of
 * layers, one per (layer index, group count). s_1(W) comes from the k = 1
 * SVD and is reused for every other k. `svdCount` counts the SVDs run, so a
 * caller (or a test) can see the cache working.
 */
export class AldsSpectraCache {
  readonly layers: readonly AldsLayer[];
  private readonly profiles = new Map<string, GroupedProfile>();
  private readonly sigmaMax = new Map<number, number>();
  private svds = 0;

  /** Checks the layers' shapes; computes nothing yet. Throws RangeError on a bad shape. */
  constructor(layers: readonly AldsLayer[]) {
    for (const { name, w, m, n } of layers) {
      if (!Number.isSafeInteger(m) || !Number.isSafeInteger(n) || m < 1 || n < 1 || w.length !== m * n) {
        throw new RangeError(`Layer "${name}" needs a non-empty m x n kernel with m n entries, got [${m}, ${n}] and ${w.length}.`);
      }
    }
    this.layers = layers;
  }

  /** Number of SVDs computed so far (each group of each (layer, k) counts one). */
  get svdCount(): number {
    return this.svds;
  }

  /** The profile of layer `index` cut into `groups` groups; computed on first use. */
  profile(index: number, groups: number): GroupedProfile {
    const layer = this.layers[index];
    if (layer === undefined) throw new RangeError(`There is no layer ${index}; there are ${this.layers.length}.`);
    const key = `${index}:${groups}`;
    const cached = this.profiles.get(key);
    if (cached !== undefined) return cached;
    if (groups !== 1 && !this.sigmaMax.has(index)) this.profile(index, 1);
    const svds = groupSvds(layer.w, layer.m, layer.n, groups);
    this.svds += groups;
    if (groups === 1) this.sigmaMax.set(index, svds[0].s[0]);
    const profile = groupedProfile(layer, svds, this.sigmaMax.get(index)!);
    this.profiles.set(key, profile);
    return profile;
  }
}
