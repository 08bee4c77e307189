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
import type { LayerMatrices } from '../model/layerMatrices';
import type { MnistSample } from '../core/mnist';
import type { GreyImage } from '../core/imageSvd';
import type { Svd } from '../core/svd';
import type { SvdFn } from '../model/factors';
import type { UrlState } from './urlState';

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
  /**
   * For each layer whose spectrum came from the top-k (randomized) SVD, its
   * a-posteriori bound: each value lies within this fraction of itself of a
   * true singular value (core/randomizedSvd.ts singularValueBound). Absent
   * for layers with a full SVD.
   */
  spectrumBounds: Record<string, number>;
  loadProgress: Progress | null;
  error: string | null;
  /**
   * Loads the manifest and test set, then opens the share link's `model` at
   * `ranks` with `method` (and ALDS `groups`), a `preset` expanded first;
   * refused parts are reported in `error` and the rest opens.
   */
  boot(initial?: UrlState): Promise<void>;
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
  /** Opens preset `name`'s model (unless open) at its ranks and method, then applies its rule if it has one. */
  applyPreset(name: string): Promise<void>;
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
  /** The configuration `key` whose evaluation gave NaN or Infinity, and the message naming the layer and method: shown as "not a number", never plotted. */
  nonFinite: { key: string; message: string } | null;
  /** What happened to the backend, for a notice next to its badge (the GPU was lost and the lab restarted it); null when nothing did. */
  backendNotice: string | null;
  /**
   * After the GPU device was lost (`reason`, the browser's words): stops the
   * work on it, frees the session, starts a backend with `restart`, opens the
   * model again and puts back the user's method, ranks, channel groups and
   * results; says so in backendNotice.
   */
  recoverBackend(reason: string, restart: () => Promise<{ backend: BackendInfo; svd: SvdFn }>): Promise<void>;
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
  /** Unique in the store's life: tells a sweep's later progress from another sweep. */
  id: number;
  layer: string;
  /** The factor method the sweep scored. */
  method: FactorMethodName;
  baseKey: string;
  status: 'running' | 'done' | 'cancelled' | 'failed';
  done: number;
  total: number;
  points: Array<{ rank: Rank; accuracy: number; bytes: number }>;
}

/** The singular values of the channel groups ALDS cut one layer into, for the spectrum view. */
export interface GroupSpectraState {
  layer: string;
  /** Number of channel groups k. */
  groups: number;
  /** k spectra, each descending, min(m/k, n) values. */
  spectra: Float64Array[];
  /** The session's `spectra` record they were computed under: another model open makes them stale. */
  of: Record<string, Float64Array>;
}

/** Rank sweeps (the running one and the ones kept for the rank chart) and chart data computed on demand. */
export interface SweepSlice {
  /** The last sweep started (running or finished); null before the first one of the open model. */
  sweep: SweepState | null;
  /**
   * Sweeps kept for the rank chart, oldest first, at most SWEEPS_KEPT: a new
   * sweep of the same layer, method and other ranks replaces the old one.
   * The running sweep is in it too.
   */
  sweeps: SweepState[];
  startSweep(layer?: string): Promise<void>;
  cancelSweep(): void;
  /** Forgets the finished sweeps (the running one stays). */
  clearSweeps(): void;
  /** ALDS group spectra of the last layer asked for; null until asked. */
  groupSpectra: GroupSpectraState | null;
  /** Computes (once per model, layer and group count) the singular values of `layer`'s `groups` channel groups on the lab's SVD engine. */
  loadGroupSpectra(layer: string, groups: number): Promise<void>;
}

/** The download of the compressed model, and the exports of the plan and of every evaluation. */
export interface ExportSlice {
  /**
   * The last download (one zip named after its configuration, `fileName`):
   * bytes of model.json + weights, and of each, for the plan `key`.
   */
  lastDownload: { key: string; bytes: number; weightBytes: number; jsonBytes: number; fileName: string } | null;
  exporting: boolean;
  download(): Promise<void>;
  /** Saves the plan on screen as the JSON file `compress --plan` reads. */
  exportPlan(): void;
  /** Saves every evaluation of the session (method, ranks, bytes, scores) as CSV. */
  exportEvaluationsCsv(): void;
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

/** Lesson mode (src/store/lessonSlice.ts): the step on screen, presentation mode, and the actions that move through it. */
export interface LessonSlice {
  /** Index into LESSON_STEP_IDS of the step on screen; null when no lesson runs. */
  lessonStep: number | null;
  /** Presentation mode: large type, only the step's own controls; meaningful only while a lesson runs. */
  presenting: boolean;
  /** Starts the lesson at `step` (clamped to the lesson; 0 when absent). */
  startLesson(step?: number): void;
  /** Goes to the next step; stays on the last one. */
  nextStep(): void;
  /** Goes to the previous step; stays on the first one. */
  prevStep(): void;
  /** Leaves the lesson (and presentation mode); the lab stays as the lesson left it. */
  exitLesson(): void;
  /** Turns presentation mode on or off; turning it on starts the lesson when none runs. */
  setPresenting(on: boolean): void;
}

/** A configuration as Undo/Redo restore it: ranks, factor method and ALDS's channel groups. */
export interface ConfigSnapshot {
  plan: RankPlan;
  method: FactorMethodName;
  groups: GroupPlan;
}

/** Undo/Redo of rank and method changes (a slider drag is one step), and Reset. */
export interface HistorySlice {
  /** Configurations before each change, oldest first, at most UNDO_LIMIT. */
  undoStack: ConfigSnapshot[];
  /** Configurations undone, the next Redo last; cleared by any new change. */
  redoStack: ConfigSnapshot[];
  undo(): void;
  redo(): void;
  /** Every layer back to full rank, method svd: one undo step. */
  resetConfiguration(): void;
}

/** The teaching views (issue 10, views 2-5): what they draw from, as plain data, and their own controls. */
export interface ViewsSlice {
  /**
   * Kernel and SVD of every factorizable layer of the open model (references to the
   * session's arrays, no copies), `firstLayer` the one that reads the pixels where it is
   * factorizable; `layers` is the state's layers array they belong to.
   */
  viewMatrices: { layers: LayerInfo[]; byLayer: Record<string, LayerMatrices>; firstLayer: string | null };
  /** The MNIST test images and labels the store loaded (a reference), null before boot. */
  viewSample: MnistSample | null;
  /** The warm-up picture (public/data/picture.pgm) and its SVD, taken once when it loads; null until then. */
  picture: { image: GreyImage; svd: Svd } | null;
  /** Why the picture could not be loaded, or null. */
  pictureError: string | null;
  /** Rank of the image warm-up's own slider (1..128 for the picture; the digit uses min(k, 28)). */
  warmupRank: number;
  /** Index of the test image the views reconstruct and compress (0..count-1). */
  viewDigit: number;
  /** Loads the picture and takes its SVD once (later calls do nothing); failures land in pictureError. */
  loadPicture(): Promise<void>;
  setWarmupRank(k: number): void;
  setViewDigit(index: number): void;
}

export type LabState = SessionSlice & EvalSlice & SweepSlice & ExportSlice & CompareSlice & LessonSlice & HistorySlice & ViewsSlice;

/** A slice creator with access to the shared runtime. */
export type LabSlice<T> = (rt: Runtime) => StateCreator<LabState, [], [], T>;

