import type { InputScale } from '../model/pixels';
import type { ScaleChoice } from '../model/inputScale';
import type { StateCreator } from 'zustand';
import type { Rank } from '../core/units';
import type { BundledModel } from '../model/manifest';
import type { LayerInfo } from '../model/labModel';
import type { EvalResult } from '../model/evaluate';
import type { GroupPlan, PlanSize, RankPlan } from '../model/plan';
import type { CompareRow } from '../model/compare';
import type { FactorMethodName } from '../model/methods/registry';
import type { KnobRule } from '../model/rules/registry';
import type { RuleName } from '../model/rules/target';
import type { BackendInfo, ModelSource } from './env';
import type { Runtime } from './runtime';

/**
 * The shape of the lab's one store, as the slices that build it. Components
 * read it through selectors; everything here is plain data.
 */

/** Progress of long work, for a progress bar with a Cancel button. */
export interface Progress {
  label: string;
  done: number;
  total: number;
}

/** Which model is open, how it got there, and the last error. */
export interface SessionSlice {
  /** booting: nothing yet; loading: a model is being opened (the previous one stays usable); ready; failed: nothing could be loaded. */
  phase: 'booting' | 'loading' | 'ready' | 'failed';
  backend: BackendInfo | null;
  bundled: BundledModel[];
  modelName: string | null;
  /** Bundled model id, null for a model opened from files or a URL. */
  modelId: string | null;
  layers: LayerInfo[];
  /** Singular values per factorized layer (descending), for the spectrum view. */
  spectra: Record<string, Float64Array>;
  loadProgress: Progress | null;
  error: string | null;
  /** Loads the manifest and test set, then opens `model` at `ranks` with `method` (and ALDS `groups`) from a share link. */
  boot(initial?: { model?: string; ranks?: string; method?: FactorMethodName; groups?: string; scale?: InputScale }): Promise<void>;
  /** Opens `source` at `ranks`, feeding it pixels at `scale` (detected when absent). */
  openModel(source: ModelSource, ranks?: string, scale?: InputScale): Promise<void>;
  /** How the open model is fed (its pixel range and how that was decided); null before one is open. */
  inputScale: ScaleChoice | null;
  /**
   * Why accuracy does not apply to the open model (not an MNIST classifier:
   * it is scored against the original's predictions, so "accuracy" values
   * are top-1 agreement with it); null for an MNIST classifier.
   */
  noAccuracy: string | null;
  /** What the open model is scored on: the MNIST test images, or seeded synthetic inputs of its own shape; null before one is open. */
  scoredOn: 'MNIST test images' | 'seeded synthetic inputs' | null;
  /** Opens the same model again, fed pixels at `scale`, at the ranks on screen. */
  setInputScale(scale: InputScale): Promise<void>;
  cancelLoad(): void;
  /** Shows `message` in the error banner (a failure outside the store's own work, such as reading a dropped folder). */
  reportError(message: string): void;
  dismissError(): void;
}

/** One evaluated configuration, a point on the size/accuracy chart. */
export interface HistoryPoint {
  /** planKey of the configuration: which rank each layer ran at. */
  key: string;
  bytes: number;
  accuracy: number;
}

/** The ranks on screen, their sizes, and the evaluation results that belong to them. */
export interface EvalSlice {
  plan: RankPlan;
  selectedLayer: string | null;
  size: PlanSize | null;
  /** How factors are computed at the chosen ranks (issue 4's factor methods); svd by default. */
  method: FactorMethodName;
  /** Channel groups per layer the ALDS rule chose; used while method is 'alds'. */
  groups: GroupPlan;
  /** A rule being applied (ALDS search, target-accuracy search), for a progress bar with Cancel. */
  ruleRun: Progress | null;
  /** What the last applied rule chose, in a line (e.g. ALDS's (k, j) per layer). */
  ruleDetail: string | null;
  /** Result for the configuration `key` (method and ranks); shown only while `key` is the one on screen. */
  current: { key: string; result: EvalResult; bytes: number } | null;
  original: EvalResult | null;
  evaluating: boolean;
  history: HistoryPoint[];
  setRank(layer: string, k: number): void;
  setMethod(method: FactorMethodName): void;
  /**
   * Sets every layer's rank by a rule: energy tau, output-error eps, ALDS
   * budget share (also its groups and method), or a target accuracy on the
   * calibration images searched over `base`'s knob. Cancellable.
   */
  applyRule(rule: RuleName, value: number, base?: KnobRule): Promise<void>;
  cancelRule(): void;
  selectLayer(layer: string): void;
  /** Resolves when no evaluation is running or queued; for tests and the CLI-like flows. */
  whenIdle(): Promise<void>;
  /** Tensors the open session keeps between evaluations on purpose (layer inputs, uploaded weights); leak checks count the others. */
  cachedTensors(): number;
}

/** A rank sweep of one layer with the others fixed at `baseKey`. */
export interface SweepState {
  layer: string;
  /** The factor method the sweep scored. */
  method: FactorMethodName;
  baseKey: string;
  status: 'running' | 'done' | 'cancelled' | 'failed';
  done: number;
  total: number;
  points: Array<{ rank: Rank; accuracy: number; bytes: number }>;
}

/** The rank sweep of one layer and its controls. */
export interface SweepSlice {
  sweep: SweepState | null;
  startSweep(layer?: string): Promise<void>;
  cancelSweep(): void;
}

/** The download of the compressed model. */
export interface ExportSlice {
  /** Size in bytes of the last download (model.json + shard) and the plan it was for. */
  lastDownload: { key: string; bytes: number; fileName: string } | null;
  exporting: boolean;
  download(): Promise<void>;
}

/** The whole store. */
/** The method comparison (issue 4): every method's curve of accuracy vs bytes on the open model. */
export interface CompareSlice {
  compare: { status: 'running' | 'done' | 'cancelled' | 'failed'; done: number; total: number; label: string; rows: CompareRow[] } | null;
  startCompare(): Promise<void>;
  cancelCompare(): void;
  /** Downloads the comparison rows as CSV. */
  exportCompareCsv(): void;
}

export type LabState = SessionSlice & EvalSlice & SweepSlice & ExportSlice & CompareSlice;

/** A slice creator with access to the shared runtime. */
export type LabSlice<T> = (rt: Runtime) => StateCreator<LabState, [], [], T>;

