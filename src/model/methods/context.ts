import type { Svd } from '../../core/svd';
import { syntheticSample, type MnistSample } from '../../core/mnist';
import type { Rank } from '../../core/units';
import { throwIfCancelled } from '../errors';
import { inlineSvd, type SvdFn } from '../factors';
import { inlineFactorJob, type FactorJobFn } from '../factorJobs';
import { collectLayerInputs, type LayerInputs } from '../calibration';
import { SharedWork } from '../sharedWork';
import type { ExportFactors } from '../exportModel';
import { SYNTHETIC_CALIBRATION_INPUTS, SYNTHETIC_CALIBRATION_SEED, type LabSession, type ReplacementWeights } from '../session';
import type { FactorizableLayer } from '../labModel';

/**
 * What a factor method or a rank rule needs from one open model, gathered
 * once: the SVDs the session took at open, each factorizable layer's inputs
 * on the calibration images (training set, never the test set), the
 * engines slow work runs on, and `work`, the context's cache of factor work.
 */
export interface MethodContext {
  /** Unique in this page or process: names the context's weights for the ALDS job's spectra cache. */
  id: string;
  session: LabSession;
  /** The factorizable layers, in the model's order. */
  layers: FactorizableLayer[];
  svds: Map<string, Svd>;
  /** Each factorizable layer's inputs on the calibration images. */
  calibration: Map<string, LayerInputs>;
  /** The calibration images themselves (training set), for rules that score a plan. */
  sample: MnistSample;
  /** The lab's SVD engine (GPU or worker in the browser): data-aware and grouped factors take their SVDs from it. */
  svd: SvdFn;
  /** Where slow factor work without a big SVD runs (l_p IRLS, the ALDS search): a worker in the browser, inline in Node. */
  run: FactorJobFn;
  /**
   * The context's factor work, shared between its callers (see SharedWork):
   * rank-independent work (per-layer SVDs, output-error curves, ALDS
   * allocations) pinned for the context's life, per-rank factors evicted
   * least recently used.
   */
  work: SharedWork;
}

/** What a layer stores under a method at one rank: the download's factors, the weights the evaluator runs (no bias), and their kernel bytes. */
export interface LayerFactors {
  export: ExportFactors;
  scoring: Omit<ReplacementWeights, 'bias'>;
  bytes: number;
}

/**
 * A factor method: how a layer's kernel becomes factors at a rank (and, for
 * grouped methods, in channel groups). One file per method, one line in
 * methods/registry.ts.
 */
export interface FactorMethod {
  /** What the method computes, in a line, for the UI's hint and the CLI's usage. */
  readonly hint: string;
  /** How the download stores the factors where that differs from two float Dense layers ('' when it does not). */
  readonly storage: string;
  /** Whether the plan's channel groups apply (ALDS); other methods factor each layer whole. */
  readonly grouped: boolean;
  /** The integer width its factors are stored at (storedSize.ts counts them so); absent for float factors. */
  readonly quantizedBits?: 8 | 4;
  /** The comparison's curve of this method: its knob label and the uniform ranks it scores; absent when the comparison reaches it through a rule. */
  readonly compare?: { readonly knob: string; readonly ranks: readonly number[] };
  /**
   * The layer's factors at `rank` in `groups` channel groups, or null for
   * plain SVD, which the session slices from its own SVD. Computed once per
   * (context, layer, rank, groups); CancelledError when `signal` aborts.
   */
  readonly factors: ((ctx: MethodContext, layer: FactorizableLayer, rank: Rank, groups: number, signal: AbortSignal) => Promise<LayerFactors>) | null;
}

/** The comparison's curve of a rank-based method: the same rank k in every layer. */
export const UNIFORM_RANKS = { knob: 'rank k (all layers)', ranks: [2, 4, 8, 16, 32, 64, 128] } as const;

let contexts = 0;

/**
 * A context for `session`, with its layer inputs on the `calibration`
 * images. `svd` and `run` say where slow work goes (inline by default;
 * the browser passes its worker or GPU). Throws CancelledError when
 * `signal` aborts.
 */
export async function createMethodContext(
  session: LabSession,
  calibration: MnistSample,
  options: { svd?: SvdFn; run?: FactorJobFn; signal?: AbortSignal } = {},
): Promise<MethodContext> {
  const { svd = inlineSvd, run = inlineFactorJob, signal } = options;
  const layers = session.layers.filter((l): l is FactorizableLayer => l.factorizable);
  const svds = new Map<string, Svd>();
  for (const l of layers) {
    throwIfCancelled(signal);
    // The SVD taken when the model was opened, by the same engine and top-k policy; a kernel is decomposed once per model.
    const known = session.kernelSvd(l.name);
    if (!known) throw new Error(`layer ${l.name} has no SVD from when the model was opened`);
    svds.set(l.name, known);
  }
  // A model that does not take MNIST images fits to seeded synthetic inputs of its own shape instead.
  if (session.lab.data === 'synthetic') calibration = syntheticSample(session.lab.inputShape, SYNTHETIC_CALIBRATION_INPUTS, SYNTHETIC_CALIBRATION_SEED);
  const inputs = await collectLayerInputs(session.lab, calibration);
  return { id: `${session.lab.name}#${++contexts}`, session, layers, svds, calibration: inputs, sample: calibration, svd, run, work: new SharedWork() };
}
