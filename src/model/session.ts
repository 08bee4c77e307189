import * as tf from '@tensorflow/tfjs';
import { syntheticSample, type MnistSample } from '../core/mnist';
import type { Svd } from '../core/svd';
import { DEFAULT_DECOMPOSITION, loadLabModel, type DecompositionPolicy, type LabModel, type LayerInfo } from './labModel';
import { decomposeModel, type FactorCache, type SvdFn } from './factors';
import { EvalData, type EvalOptions, type EvalResult } from './evaluate';
import { exportCompressedModel, type ExportFactors, type ExportedModel } from './exportModel';
import type { RankPlan } from './plan';
import type { KernelOverride } from './forward';
import { throwIfCancelled } from './errors';
import { detectInputScale, type ScaleChoice } from './inputScale';
import { UploadCache, type ReplacementWeights } from './uploads';

export type { ReplacementWeights } from './uploads';

import { nnSvdBound } from './lipschitzBound';

/** Synthetic inputs a model that does not take MNIST images is scored on (fewer for large inputs: see syntheticSample), and their seed. */
export const SYNTHETIC_INPUTS = 1000;
export const SYNTHETIC_SEED = 9;
/** The calibration inputs such a model's data-aware methods and rules fit to: another seed. */
export const SYNTHETIC_CALIBRATION_INPUTS = 200;
export const SYNTHETIC_CALIBRATION_SEED = 10;

/**
 * Everything the lab holds for one opened model: the validated LayersModel,
 * its cached SVD factors, and the test data with the original model's
 * logits. The app's store and the CLI both drive compression through this
 * class, so they run the same code. Opening is all-or-nothing: if any step
 * fails or is cancelled, whatever was built is disposed and the error
 * propagates, leaving the caller's previous session untouched.
 */

/** Progress of opening a model, for a progress bar. */
export interface OpenProgress {
  stage: 'load' | 'decompose' | 'reference';
  done: number;
  total: number;
  detail: string;
}

/** One open model with its factors and test data; see the file comment. Owns tensors until dispose(). */
export class LabSession {
  private constructor(
    readonly lab: LabModel,
    readonly factors: FactorCache,
    readonly data: EvalData,
    private readonly evaluation: EvalOptions,
    /** The pixel range the model is fed, and how it was decided. */
    readonly inputScale: ScaleChoice,
  ) {
    this.uploads = new UploadCache(2 * lab.layers.filter((l) => l.factorizable).length);
  }

  /** Replacement weights uploaded for factor methods other than plain SVD, kept between evaluations. */
  readonly uploads: UploadCache;

  /** Layer descriptions, plain data. */
  get layers(): LayerInfo[] {
    return this.lab.layers;
  }

  /** Singular values of a factorized layer (float64, descending), for charts and bounds. */
  singularValues(layer: string): Float64Array | undefined {
    return this.factors.byLayer.get(layer)?.singularValues;
  }

  /** The SVD of `layer`'s kernel taken when the model was opened (full, or the top-k the lab computes), or undefined for a layer kept as it is. */
  kernelSvd(layer: string): Svd | undefined {
    return this.factors.byLayer.get(layer)?.svd;
  }

  /**
   * Loads, validates and decomposes a model and prepares evaluation on
   * `sample`. `svd` is where the decomposition runs (worker or inline).
   */
  static async open(
    artifacts: tf.io.ModelArtifacts,
    name: string,
    sample: MnistSample,
    svd: SvdFn,
    onProgress?: (p: OpenProgress) => void,
    signal?: AbortSignal,
    policy: DecompositionPolicy = DEFAULT_DECOMPOSITION,
    evaluation: EvalOptions = {},
  ): Promise<LabSession> {
    onProgress?.({ stage: 'load', done: 0, total: 1, detail: name });
    const lab = await loadLabModel(artifacts, name, policy);
    // A model whose input is not an MNIST image is scored on seeded synthetic inputs of its own shape.
    if (lab.data === 'synthetic') sample = syntheticSample(lab.inputShape, SYNTHETIC_INPUTS, SYNTHETIC_SEED);
    let factors: FactorCache | null = null;
    let data: EvalData | null = null;
    try {
      const scale: ScaleChoice = evaluation.inputScale !== undefined
        ? { scale: evaluation.inputScale, how: 'chosen' }
        : await detectInputScale(lab, sample, signal);
      lab.inputScale = scale.scale;
      factors = await decomposeModel(lab, svd, (done, total, layer) =>
        onProgress?.({ stage: 'decompose', done, total, detail: layer }), signal);
      onProgress?.({ stage: 'reference', done: 0, total: 1, detail: 'original model on the test set' });
      data = await EvalData.create(sample, lab, evaluation, signal);
      await data.computeReference(lab, factors, signal);
      throwIfCancelled(signal);
      return new LabSession(lab, factors, data, evaluation, scale);
    } catch (err) {
      data?.dispose();
      factors?.dispose();
      lab.model.dispose();
      throw err;
    }
  }

  /** Scores `plan` on the whole test sample (see EvalData.evaluate), with the NN-SVD Lipschitz bound next to the measured error. */
  async evaluate(plan: RankPlan, signal?: AbortSignal): Promise<EvalResult> {
    const result = await this.data.evaluate(this.lab, this.factors, plan, signal);
    const frobenius = (layer: string) => Math.sqrt(this.kernelWeights(layer).kernel.reduce((s, v) => s + v * v, 0));
    return { ...result, lipschitzBound: nnSvdBound(this.lab, plan, result, (l) => this.singularValues(l) ?? null, frobenius) };
  }

  /**
   * Scores the model with some factorizable layers' weights replaced by plain
   * arrays (row-major m x n kernel, optional bias): how methods other than
   * plain SVD are compared. The tensors made here are freed before it returns.
   */
  evaluateKernels(kernels: ReadonlyMap<string, ReplacementWeights>, signal?: AbortSignal): Promise<EvalResult> {
    return this.evaluateOn(this.data, {}, kernels, signal);
  }

  /** `data` scored under `plan`, or with `kernels` replacing some layers (the plan is then ignored). */
  private evaluateOn(data: EvalData, plan: RankPlan, kernels: ReadonlyMap<string, ReplacementWeights> | undefined, signal?: AbortSignal): Promise<EvalResult> {
    if (!kernels) return data.evaluate(this.lab, this.factors, plan, signal);
    return this.withOverrides(kernels, (overrides) => data.evaluate(this.lab, this.factors, {}, signal, overrides));
  }

  /** Runs `score` with `kernels` as tensors, uploaded once and kept for later evaluations (see UploadCache); released whatever happens. */
  private async withOverrides<T>(kernels: ReadonlyMap<string, ReplacementWeights>, score: (o: Map<string, KernelOverride>) => Promise<T>): Promise<T> {
    const overrides = new Map<string, KernelOverride>();
    try {
      for (const [name, k] of kernels) {
        const info = this.lab.layers.find((l) => l.name === name);
        if (!info?.factorizable) throw new Error(`no factorizable layer ${name}`);
        overrides.set(name, this.uploads.acquire(k, info.kernelShape[0], info.kernelShape[1]));
      }
      return await score(overrides);
    } finally {
      for (const o of overrides.values()) this.uploads.release(o);
    }
  }

  /** Tensors the session keeps between evaluations on purpose (activation cache, uploaded replacement weights); leak checks count the rest. */
  get cachedTensors(): number {
    return this.data.cachedTensors + this.uploads.tensors + this.factors.keptTensors;
  }

  /**
   * A scorer of plans on another sample (the calibration images, for rules
   * that target an accuracy without looking at the test set). The caller
   * disposes it; it holds that sample's tensors and reference logits.
   */
  async scorerOn(sample: MnistSample): Promise<{ original: number; accuracy(plan: RankPlan, kernels?: ReadonlyMap<string, ReplacementWeights>, signal?: AbortSignal): Promise<number>; dispose(): void }> {
    const data = await EvalData.create(sample, this.lab, this.evaluation);
    try {
      await data.computeReference(this.lab, this.factors);
    } catch (err) {
      data.dispose();
      throw err;
    }
    return {
      // The original model's accuracy there, from the reference pass.
      original: data.referenceAccuracy,
      // With `kernels` (a factor method's replacement kernels) the plan is ignored, as in evaluateKernels.
      accuracy: async (plan, kernels, signal) => (await this.evaluateOn(data, plan, kernels, signal)).accuracy,
      dispose: () => data.dispose(),
    };
  }

  /** A kernel layer's kernel matrix (row-major m x n) and bias as plain arrays. */
  kernelWeights(layer: string): { kernel: Float32Array; bias: Float32Array | null } {
    const weights = this.lab.kernelWeights.get(layer);
    if (!weights) throw new Error(`no kernel layer ${layer}`);
    return weights;
  }

  /** The compressed model as the two files of a standard TF.js LayersModel. */
  exportModel(plan: RankPlan, baseName: string, factorOverrides?: ReadonlyMap<string, ExportFactors>): Promise<ExportedModel> {
    return exportCompressedModel(this.lab, this.factors, plan, baseName, factorOverrides);
  }

  /** Tensors alive on the backend right now; for leak checks in tests and the debug hook. */
  static liveTensors(): number {
    return tf.memory().numTensors;
  }

  /** Frees every tensor the session holds. The session is unusable afterwards. */
  dispose(): void {
    this.uploads.dispose();
    this.data.dispose();
    this.factors.dispose();
    this.lab.model.dispose();
  }
}
