import { robustLowRankFactors } from '../core/robustLowRank';
import { dataAwareFromSubspace } from '../core/dataAware';
import { aldsOptimize, BudgetTooSmallError, type AldsAllocation, type AldsOptions } from '../core/alds';
import { AldsSpectraCache } from '../core/aldsSpectra';
import { asParamCount, asRank } from '../core/units';
import { outputErrorTable, type OutputErrorTable } from '../core/rankRules';
import type { Svd } from '../core/svd';
import { throwIfCancelled } from './errors';

/**
 * The slow parts of the factor methods that are not one big SVD (those go
 * through the lab's SvdFn, GPU or worker) as plain-data jobs: the l_p IRLS
 * loop, the ALDS search over groupings, the output-error tables and
 * data-aware's per-rank projection (an SVD of W V_k, tens of ms on a 784 x 64
 * kernel: too long for the page's main thread). The browser runs them in a
 * worker (the page stays responsive and Cancel terminates the work), Node
 * inline. Inputs and outputs are typed arrays and numbers, so a job
 * crosses postMessage unchanged.
 */

/** Rank-k factors A (m x k) and B (k x n), row-major float32, with a replacement bias if the method has one. */
export interface TwoFactors {
  a: Float32Array;
  b: Float32Array;
  bias?: Float32Array;
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
  /** Robust l_p factors at rank k by IRLS, warm-started from `start` (n x k, W's top-k right singular vectors) with subspace-iteration steps. */
  lp: { input: { kernel: Float32Array; shape: [number, number]; rank: number; p: number; iterations: number; start: Float64Array }; output: TwoFactors };
  /** ALDS's global + local allocation for every budget given (parameters, kernels and biases of these layers). */
  alds: {
    input: {
      layers: Array<{ name: string; w: Float32Array; m: number; n: number; hasBias: boolean; channels: number }>;
      budgets: number[];
      options: Omit<AldsOptions, 'cache'>;
      /** Names the layers' weights: a later job with the same key reuses their group spectra (where it runs in the same place). */
      cacheKey?: string;
    };
    output: AldsJobResult;
  };
  /**
   * Data-aware factors at rank k from the top-k right singular vectors of the layer's calibration outputs
   * (`basis`, n x k, and their spectrum) and the calibration inputs' column means: core dataAwareFromSubspace.
   */
  'data-aware': {
    input: { kernel: Float32Array; shape: [number, number]; bias: Float32Array | null; meanInput: Float64Array; basis: Float64Array; spectrum: Float64Array; rank: number };
    output: TwoFactors;
  };
  /** A layer's relative output error at every rank on its calibration inputs x (rows x m), from its kernel and (top-k) SVD: core outputErrorTable. */
  'output-error': { input: { x: Float32Array | Float64Array; kernel: Float32Array; svd: Svd }; output: OutputErrorTable };
}

export type FactorJobKind = keyof FactorJobs;
/** A job message: its kind and input. */
export type FactorJob = { [K in FactorJobKind]: { kind: K; input: FactorJobs[K]['input'] } }[FactorJobKind];

/** Runs a job somewhere (inline, or a worker in the browser); rejects with CancelledError when `signal` aborts. */
export type FactorJobFn = <K extends FactorJobKind>(kind: K, input: FactorJobs[K]['input'], signal?: AbortSignal) => Promise<FactorJobs[K]['output']>;

/** Computes a job here and now. Pure apart from the CPU time (seconds for large l_p or ALDS jobs). */
export function runFactorJob(job: FactorJob): FactorJobs[FactorJobKind]['output'] {
  switch (job.kind) {
    case 'lp': {
      const { kernel, shape, rank, p, iterations, start } = job.input;
      const f = robustLowRankFactors(kernel, shape, asRank(rank), { p, iterations, start, solver: 'subspace' });
      return { a: f.a, b: f.b };
    }
    case 'alds':
      return aldsAllocations(job.input);
    case 'data-aware': {
      const { kernel, shape, bias, meanInput, basis, spectrum, rank } = job.input;
      const f = dataAwareFromSubspace(kernel, shape, bias, meanInput, { basis, spectrum }, asRank(rank));
      return f.bias === undefined ? { a: f.a, b: f.b } : { a: f.a, b: f.b, bias: f.bias };
    }
    case 'output-error':
      return outputErrorTable(job.input.x, job.input.kernel, job.input.svd);
  }
}

/** The last ALDS job's layers and group spectra, by cacheKey: one model's SVDs of every grouping are computed once. */
let spectraMemo: { key: string; layers: FactorJobs['alds']['input']['layers']; cache: AldsSpectraCache } | null = null;

function aldsAllocations(input: FactorJobs['alds']['input']): AldsJobResult {
  const { budgets, options, cacheKey } = input;
  if (cacheKey === undefined || spectraMemo?.key !== cacheKey) {
    spectraMemo = cacheKey === undefined ? null : { key: cacheKey, layers: input.layers, cache: new AldsSpectraCache(input.layers) };
  }
  // The cache is tied to the layers array it was built for, so a reused cache keeps its own copy.
  const layers = spectraMemo?.layers ?? input.layers;
  const cache = spectraMemo?.cache ?? new AldsSpectraCache(layers);
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
