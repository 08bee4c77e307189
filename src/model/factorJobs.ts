import { svdJacobi } from '../core/svd';
import { truncatedFactors } from '../core/factors';
import { dataAwareFactors } from '../core/dataAware';
import { robustLowRankFactors } from '../core/robustLowRank';
import { aldsOptimize, type AldsOptions } from '../core/aldsOptimize';
import { AldsSpectraCache } from '../core/aldsSpectra';
import { BudgetTooSmallError, type AldsAllocation } from '../core/alds';
import { asParamCount, asRank } from '../core/units';
import { throwIfCancelled } from './errors';

/**
 * The slow parts of the factor methods as plain-data jobs, so the browser
 * can run them in a worker (the page stays responsive and Cancel terminates
 * the work) while Node runs them inline. Every input and output is typed
 * arrays and numbers: a job crosses postMessage unchanged.
 */

/** Rank-k factors A (m x k) and B (k x n), row-major float32, with a replacement bias if the method has one. */
export interface TwoFactors {
  a: Float32Array;
  b: Float32Array;
  bias?: Float32Array;
}

/** Per-group factors of a kernel split into `groups` chunks of m / groups input rows: a[g] (m/g x rank), b[g] (rank x n). */
export interface GroupedFactors {
  groups: number;
  rank: number;
  a: Float32Array[];
  b: Float32Array[];
}

/** One ALDS layer choice as plain data: channel groups and the rank of each group (null: kept dense). */
export interface AldsChoiceData {
  name: string;
  groups: number;
  rank: number | null;
  error: number;
}

/** ALDS allocations for several budgets (null where the budget is below the smallest model). */
export interface AldsJobResult {
  allocations: Array<{ budget: number; layers: AldsChoiceData[]; maxError: number; totalParams: number } | null>;
}

/** The jobs, by kind, with what each one returns. */
export interface FactorJobs {
  /** Data-aware factors at rank k on the layer's calibration inputs x (rows x m). */
  'data-aware': { input: { kernel: Float32Array; shape: [number, number]; bias: Float32Array | null; x: Float32Array | Float64Array; rank: number }; output: TwoFactors };
  /** Robust l_p factors at rank k by IRLS. */
  lp: { input: { kernel: Float32Array; shape: [number, number]; rank: number; p: number; iterations: number }; output: TwoFactors };
  /** Truncated SVD factors of each channel group. */
  'grouped-svd': { input: { kernel: Float32Array; shape: [number, number]; groups: number; rank: number }; output: GroupedFactors };
  /** ALDS's global + local allocation for every budget given (parameters, kernels and biases of these layers). */
  alds: { input: { layers: Array<{ name: string; w: Float32Array; m: number; n: number; hasBias: boolean }>; budgets: number[]; options: Omit<AldsOptions, 'cache'> }; output: AldsJobResult };
}

export type FactorJobKind = keyof FactorJobs;
/** A job message: its kind and input. */
export type FactorJob = { [K in FactorJobKind]: { kind: K; input: FactorJobs[K]['input'] } }[FactorJobKind];

/** Runs a job somewhere (inline, or a worker in the browser); rejects with CancelledError when `signal` aborts. */
export type FactorJobFn = <K extends FactorJobKind>(kind: K, input: FactorJobs[K]['input'], signal?: AbortSignal) => Promise<FactorJobs[K]['output']>;

/** Computes a job here and now. Pure apart from the CPU time (seconds for large l_p or ALDS jobs). */
export function runFactorJob(job: FactorJob): FactorJobs[FactorJobKind]['output'] {
  switch (job.kind) {
    case 'data-aware': {
      const { kernel, shape, bias, x, rank } = job.input;
      const f = dataAwareFactors(kernel, shape, bias, x, asRank(rank));
      return { a: f.a, b: f.b, bias: f.bias };
    }
    case 'lp': {
      const { kernel, shape, rank, p, iterations } = job.input;
      const f = robustLowRankFactors(kernel, shape, asRank(rank), { p, iterations });
      return { a: f.a, b: f.b };
    }
    case 'grouped-svd':
      return groupedSvd(job.input);
    case 'alds':
      return aldsAllocations(job.input);
  }
}

function groupedSvd({ kernel, shape, groups, rank }: FactorJobs['grouped-svd']['input']): GroupedFactors {
  const [m, n] = shape;
  if (!Number.isSafeInteger(groups) || groups < 1 || m % groups !== 0) throw new RangeError(`${groups} groups do not divide ${m} inputs.`);
  const rows = m / groups;
  const a: Float32Array[] = [];
  const b: Float32Array[] = [];
  for (let g = 0; g < groups; g++) {
    const f = truncatedFactors(svdJacobi(kernel.subarray(g * rows * n, (g + 1) * rows * n), [rows, n]), asRank(rank));
    a.push(f.a);
    b.push(f.b);
  }
  return { groups, rank, a, b };
}

function aldsAllocations({ layers, budgets, options }: FactorJobs['alds']['input']): AldsJobResult {
  const cache = new AldsSpectraCache(layers);
  const allocations = budgets.map((budget) => {
    let result: AldsAllocation;
    try {
      result = aldsOptimize(layers, asParamCount(Math.floor(budget)), { ...options, cache });
    } catch (err) {
      if (err instanceof BudgetTooSmallError) return null;
      throw err;
    }
    return {
      budget,
      layers: result.layers.map((c) => ({ name: c.name, groups: c.groups, rank: c.rank, error: c.error })),
      maxError: result.maxError,
      totalParams: result.totalParams,
    };
  });
  return { allocations };
}

/** The FactorJobFn of Node and tests: runs each job inline, checking `signal` first. */
export const inlineFactorJob: FactorJobFn = async (kind, input, signal) => {
  throwIfCancelled(signal);
  return runFactorJob({ kind, input } as FactorJob) as never;
};
