import * as tf from '@tensorflow/tfjs';
import type { MnistSample } from '../core/mnist';
import { throwIfCancelled } from './errors';
import { isPlainChain, type LabModel } from './labModel';
import { applyChainLayer, inputOf, layerSignature, projectInputBlock, type KernelOverride } from './forward';
import { projectionBlock, projectionBlockCount, type FactorCache } from './factors';
import { ActivationCache } from './activationCache';
import { effectiveRank, type RankPlan } from './plan';
import { serveSlice } from './slices';
import { pixelFactor, type InputScale } from './pixels';
import { LAYER_KINDS } from './layers/registry';
import { LabInputError } from './errors';

/**
 * Scores a rank plan on the whole test sample, on whichever backend runs:
 * accuracy against the labels, agreement with the original model's
 * predictions, and the relative logit error ||Z' - Z||_F / ||Z||_F. The data
 * and the original model's logits stay resident on the backend; each piece
 * of a chunk reads back, in one read-back, its four sums and the predicted
 * class of each of its images (for the per-digit view), and a cancelled
 * evaluation stops between chunks.
 */

/** Scores of one plan over `count` images; fractions in [0, 1]. */
export interface EvalResult {
  accuracy: number;
  agreement: number;
  /** ||Z' - Z||_F / ||Z||_F over the logits (pre-softmax) of all images. */
  relativeLogitError: number;
  /** Mean over the images of the cosine similarity between the compressed and the original model's logits. */
  outputCosine: number;
  /**
   * Whether `accuracy` is against real labels. Without labels (a model that
   * is not an MNIST classifier: LabModel.data) the images are labelled with
   * the original model's predictions, so accuracy equals agreement.
   */
  labelled: boolean;
  count: number;
  /** ||H'||_F of each kernel layer's inputs in the evaluated network, over all images. */
  inputNorms: Record<string, number>;
  /** ||Z||_F of the original model's logits. */
  referenceNorm: number;
  /**
   * The NN-SVD Lipschitz bound on relativeLogitError (core/lipschitz.ts)
   * for a plain-SVD plan; null where the lab cannot bound a layer (an
   * activation or layer type without a known Lipschitz constant), absent
   * for other factor methods.
   */
  lipschitzBound?: number | null;
  /** Predicted class (argmax of the logits) of each of the `count` images under the evaluated plan, in test-set order. */
  predicted: Int32Array;
  /** The original model's predicted class of each image (the same array in every result of one EvalData; do not modify). */
  originalPredicted: Int32Array;
}

/** How an EvalData keeps work between evaluations: see the EvalData constructor. */
export interface EvalOptions {
  reuse?: boolean;
  budgetBytes?: number;
  /** Multiply-adds one task may cost (default PIECE_MACS); tests lower it to take the split paths on small models. */
  taskMacs?: number;
  /** The pixel range to feed the model (the user's choice); detected at open when absent (see inputScale.ts). */
  inputScale?: InputScale;
}

/**
 * A configuration whose numbers are not numbers: NaN or +-Infinity in a
 * layer's outputs (float32 overflow, factors from a diverging solver) or in
 * the scores. Thrown instead of a result, so no NaN is ever shown or plotted
 * as a value. `layer` names the first layer whose outputs went non-finite,
 * when the lab found it.
 */
export class NonFiniteError extends LabInputError {
  constructor(readonly layer: string | null, detail: string) {
    super('non-finite', detail);
    this.name = 'NonFiniteError';
  }
}

/** How many entries of `t` are NaN or +-Infinity, as a float32 scalar (call inside tf.tidy). */
function nonFiniteCount(t: tf.Tensor): tf.Scalar {
  return tf.sum(tf.cast(tf.logicalNot(tf.isFinite(t)), 'float32'));
}

/** Reads `t` back and frees it, also when the read fails. */
async function readAndFree(t: tf.Tensor): Promise<Float32Array | Int32Array | Uint8Array> {
  try {
    return await t.data();
  } finally {
    t.dispose();
  }
}

/** "NaN", "infinite" or "NaN and infinite" values among `values`. */
function nonFiniteKind(values: ArrayLike<number>): string {
  let nan = false;
  let inf = false;
  for (let i = 0; i < values.length; i++) {
    if (Number.isNaN(values[i])) nan = true;
    else if (!Number.isFinite(values[i])) inf = true;
  }
  return nan && inf ? 'NaN and infinite' : nan ? 'NaN' : 'infinite';
}

/** Rows of a chunk a pass scores at once: its labels and the original model's outputs there. */
interface ChunkRows {
  labels: tf.Tensor1D;
  refLogits: tf.Tensor2D | null;
  refPred: tf.Tensor1D | null;
}

/** One resident slice of the test set and, once computed, the original model's outputs on it. */
interface Chunk {
  /** The images as groups of rows, each a piece of a pass from the images (see imageGroupRows). */
  x: tf.Tensor[];
  labels: tf.Tensor1D;
  refLogits: tf.Tensor2D | null;
  refPred: tf.Tensor1D | null;
}

/**
 * Multiply-adds one task of a pass may cost (a piece of rows of a chunk):
 * under ~15 ms on one wasm thread of this 2-core machine, so that no
 * main-thread task of a pass (the reference pass at open included) comes
 * near 50 ms.
 */
export const PIECE_MACS = 75e6;

/**
 * Rows [first, first + count) of `t` (axis 0). On wasm a slice copies all of
 * `t` before it takes the rows, and a gather copies only the rows but ~60x
 * slower a value: a gather for a sixteenth of the rows or fewer.
 */
function rowsOf<T extends tf.Tensor>(t: T, first: number, count: number): T {
  if (16 * count > t.shape[0]) return tf.slice(t, first, count) as T;
  return tf.gather(t, tf.range(first, first + count, 1, 'int32')) as T;
}

/**
 * A second handle on `t`'s values (the backend counts references, so each is
 * disposed on its own). tf.clone copies on wasm, and a chunk's images kept
 * as the first layer's input were copied whole at open (~95 ms on mlp-64).
 */
function alias<T extends tf.Tensor>(t: T): T {
  return tf.reshape(t, t.shape) as T;
}

/** `parts` joined along axis 0 (one copy each), which are disposed. */
function joinRows<T extends tf.Tensor>(parts: T[]): T {
  const whole = tf.concat(parts, 0) as T;
  parts.forEach((t) => t.dispose());
  return whole;
}

/**
 * Pieces of one tensor's rows, small ones joined into groups of at most
 * `groupRows` rows (or 16 pieces) as they arrive, or all into one at the
 * end. tf.concat on wasm costs about 0.3 ms per input besides the copy (625
 * one-image pieces of a 9216-wide input took 178 ms), so small pieces are
 * joined; pieces of half a group or more are not (joining mlp-64's images,
 * 5,000 x 784 a chunk, took 29 ms a chunk at open). Call outside tf.tidy.
 */
class RowParts<T extends tf.Tensor> {
  private pending: T[] = [];
  private pendingRows = 0;
  private joined: T[] = [];

  constructor(private readonly groupRows = Infinity) {}

  push(t: T): void {
    if (this.pending.length > 0 && this.pendingRows + t.shape[0] > this.groupRows) this.flush();
    // A piece of half a group or more stays as it is: joining it would copy it (the images, when the first
    // layer's input is kept) to save at most one piece a pass.
    if (2 * t.shape[0] >= this.groupRows) {
      this.flush();
      this.joined.push(t);
      return;
    }
    this.pending.push(t);
    this.pendingRows += t.shape[0];
    if (this.pending.length === 16) this.flush();
  }

  private flush(): void {
    if (this.pending.length > 0) this.joined.push(this.pending.length === 1 ? this.pending[0] : joinRows(this.pending));
    this.pending = [];
    this.pendingRows = 0;
  }

  /** The rows as groups, in order (the caller owns them). */
  groups(): T[] {
    this.flush();
    const all = this.joined;
    this.joined = [];
    return all;
  }

  /** The rows joined (the parts are disposed). */
  finish(): T {
    const all = this.groups();
    return all.length === 1 ? all[0] : joinRows(all);
  }

  dispose(): void {
    [...this.joined, ...this.pending].forEach((t) => t.dispose());
    this.joined = [];
    this.pending = [];
    this.pendingRows = 0;
  }
}

/** Rows per piece for work of `macsPerRow` per row in a chunk of `rows`, `taskMacs` a task. */
function pieceRowsFor(macsPerRow: number, rows: number, taskMacs: number): number {
  return Math.max(1, Math.min(rows, Math.floor(taskMacs / Math.max(1, macsPerRow))));
}

/**
 * What a convolution's multiply-add costs against a matrix product's on the
 * wasm backend here: issue 8's CNN ran its 3x3 convolutions about 4x slower
 * per multiply-add than its Dense layers (pieces sized without it took
 * 100-200 ms).
 */
const CONV_WEIGHT = 4;

/**
 * Multiply-adds per example of a layer (in Dense-product units), estimated
 * from its weights and output shape: each kernel (a weight of rank 2 or
 * more) applied at every output position (Dense over its leading axes, a
 * convolution over its feature map, weighted by CONV_WEIGHT), plus one per
 * output value.
 */
export function macsPerExample(layer: tf.layers.Layer): number {
  const shape = layer.outputShape;
  const out = (Array.isArray(shape[0]) ? shape[0] : shape) as (number | null)[];
  const product = (dims: (number | null)[]) => dims.reduce<number>((p, d) => p * (d ?? 1), 1);
  const kernels = layer.weights.filter((w) => w.shape.length >= 2).reduce((sum, w) => sum + product(w.shape) * (w.shape.length > 2 ? CONV_WEIGHT : 1), 0);
  return kernels * product(out.slice(1, -1)) + product(out.slice(1));
}

/**
 * Multiply-adds per image of the layers from chain index `start` on, as
 * `plan` runs them: a rank-k SVD layer costs k (m + n) of its m n (an
 * override's layer is priced as it is).
 */
function macsFrom(lab: LabModel, start: number, plan: RankPlan = {}, overrides?: ReadonlyMap<string, KernelOverride>): number {
  let sum = 0;
  for (let i = start; i < lab.chain.length; i++) {
    const info = lab.layers[i];
    const macs = macsPerExample(lab.chain[i]);
    const k = info.factorizable && !overrides?.has(info.name) ? effectiveRank(info, plan) : null;
    sum += info.factorizable && k !== null ? (macs * k * (info.kernelShape[0] + info.kernelShape[1])) / (info.kernelShape[0] * info.kernelShape[1]) : macs;
  }
  return sum;
}

/** Whether chain layer i's input projection rows(x) A_r may be cached (a factorizable layer whose kind allows it: Dense, not a convolution). */
function isProjectable(lab: LabModel, i: number): boolean {
  const info = lab.layers[i];
  return info.factorizable && LAYER_KINDS[info.kind].projectable;
}

/** Multiply-adds per image of projecting chain layer i's input onto its r columns of A (r of its m n); 0 for a layer without a projection. */
function projectionCost(lab: LabModel, i: number): number {
  const info = lab.layers[i];
  return info.factorizable && isProjectable(lab, i) ? (macsPerExample(lab.chain[i]) * info.rankLimit) / info.kernelShape[1] : 0;
}

/** Values per image of chain layer i's input. */
function inputSize(lab: LabModel, i: number): number {
  const shape = lab.chain[i].inboundNodes[0].inputShapes;
  const dims = (Array.isArray(shape[0]) ? shape[0] : shape) as (number | null)[];
  return dims.slice(1).reduce<number>((p, d) => p * (d ?? 1), 1);
}

/** Multiply-adds per image of projecting every factorizable layer's input from chain index `start` on. */
function projectionMacs(lab: LabModel, start: number): number {
  let sum = 0;
  for (let i = start; i < lab.layers.length; i++) sum += projectionCost(lab, i);
  return sum;
}

/**
 * Rows per group of a chunk's images: a piece of the reference pass (the
 * whole model plus every projection) within a task. The images are uploaded
 * in these groups because cutting rows out of a chunk on wasm is a slice,
 * which copies the whole chunk first (5,000 images of mlp-64 cut in 7
 * pieces: 250 ms of copies at open).
 */
function imageGroupRows(lab: LabModel, rows: number, taskMacs: number): number {
  return pieceRowsFor(macsFrom(lab, 0) + projectionMacs(lab, 0), rows, taskMacs);
}

/**
 * Images per chunk, the unit the activation cache keeps: as many as keep a
 * rank change of the first factorizable layer within PIECE_MACS (read from
 * its cached projection at full rank, r n a row, then the layers after it
 * at full size), but at most 16 chunks and at most 5,000 images. Per-chunk
 * work is mostly fixed cost (~25 kernel launches and a read-back): on
 * mlp-64, 9 chunks of ~1,100 images made a fc1 move 10-12 ms in Node, 2
 * chunks 7.5 ms. Heavier passes (from the images, a replaced kernel, a conv
 * prefix) split a chunk into pieces of rows (see pass), so a big chunk
 * never makes a long task.
 */
export function chunkRowsFor(lab: LabModel, count: number, taskMacs = PIECE_MACS): number {
  const first = Math.max(0, lab.layers.findIndex((l) => l.factorizable));
  const info = lab.layers[first];
  // A projectable layer reads r n a row from its projection; a convolution runs from its input (at most its full size).
  const projected = !info?.factorizable ? 0 : isProjectable(lab, first) ? (macsPerExample(lab.chain[first]) * info.rankLimit) / info.kernelShape[0] : macsPerExample(lab.chain[first]);
  const byCost = Math.floor(taskMacs / Math.max(1, projected + macsFrom(lab, first + 1)));
  return Math.max(64, Math.min(5000, Math.max(Math.ceil(count / 16), byCost)));
}

/** Pixels scaled per task while the images are uploaded. */
const SCALE_SLICE = 1 << 20;

/** dst[i] = src[offset + i] * factor for i in [from, to): a plain function, so the engine optimizes the loop. */
function scalePixels(src: Uint8Array, offset: number, dst: Float32Array, from: number, to: number, factor: number): void {
  for (let i = from; i < to; i++) dst[i] = src[offset + i] * factor;
}

/**
 * The test images shaped for one model, their labels and the original
 * model's logits, held on the backend as fixed chunks. Chunks are cut once,
 * because slicing images out of one tensor on every evaluation cost ~12 ms
 * per chunk on wasm, a third of a slider move.
 */
export class EvalData {
  readonly chunks: readonly Chunk[];
  readonly count: number;
  private refNormSq = 0;
  private refAccuracy = 0;
  /** The original model's class per image, from the reference pass. */
  private refPredicted: Int32Array = new Int32Array(0);
  /** ||input||_F^2 of each kernel layer in the original network. */
  private refInputSq: Record<string, number> = {};

  /** Layer inputs kept between evaluations (null when reuse is off: the bench's "before" path). */
  private readonly cache: ActivationCache | null;
  /** Ids of the overrides seen, for layer signatures: an uploaded override keeps its id while it lives. */
  private readonly overrideIds = new WeakMap<KernelOverride, number>();
  private nextOverrideId = 0;

  /** Multiply-adds one task of a pass may cost. */
  private readonly taskMacs: number;

  private constructor(count: number, chunks: Chunk[], options: EvalOptions, private readonly labelled: boolean) {
    this.count = count;
    this.chunks = chunks;
    this.taskMacs = options.taskMacs ?? PIECE_MACS;
    this.cache = options.reuse === false ? null : new ActivationCache(chunks.length, options.budgetBytes);
  }

  /**
   * Uploads `sample` for `lab` in chunks of chunkRowsFor(lab) images, a few
   * tasks per chunk. `options.reuse`
   * (default true) keeps layer inputs between evaluations in an
   * {@link ActivationCache} of `options.budgetBytes`; false scores every
   * plan from the images (the path before the cache, kept for the
   * benchmark's before/after table).
   */
  static async create(sample: MnistSample, lab: LabModel, options: EvalOptions = {}, signal?: AbortSignal): Promise<EvalData> {
    const taskMacs = options.taskMacs ?? PIECE_MACS;
    const rows = chunkRowsFor(lab, sample.count, taskMacs);
    const pixelsPerImage = sample.rows * sample.cols;
    const chunks: Chunk[] = [];
    // The image groups of the chunk being uploaded.
    let x: tf.Tensor[] = [];
    try {
      for (let start = 0, size = 0; start < sample.count; start += size) {
        await serveSlice();
        throwIfCancelled(signal);
        // The backend's one-time set-up on first use (kernels, buffers) lands in the reference pass's first
        // piece of rows (see pass), which is sized by cost, not in a whole chunk.
        size = Math.min(rows, sample.count - start);
        // Scaled to the model's range (lab.inputScale) here rather than by tensor ops (cast and divide of a
        // whole chunk took ~100 ms on wasm), a slice of rows per task.
        const scaled = new Float32Array(size * pixelsPerImage);
        const offset = start * pixelsPerImage;
        for (let from = 0; from < scaled.length; from += SCALE_SLICE) {
          if (from > 0) await serveSlice();
          const to = Math.min(scaled.length, from + SCALE_SLICE);
          scalePixels(sample.pixels, offset, scaled, from, to, pixelFactor(lab.inputScale));
        }
        throwIfCancelled(signal);
        const group = imageGroupRows(lab, size, taskMacs);
        x = [];
        for (let first = 0; first < size; first += group) {
          // A conv model's groups are a few images each: thousands of uploads, served in slices.
          if (first > 0) await serveSlice();
          const count = Math.min(group, size - first);
          x.push(tf.tensor(scaled.subarray(first * pixelsPerImage, (first + count) * pixelsPerImage), [count, ...lab.inputShape]));
        }
        chunks.push({
          x,
          labels: tf.tensor1d(sample.labels.subarray(start, start + size), 'int32'),
          refLogits: null,
          refPred: null,
        });
        x = [];
      }
    } catch (err) {
      tf.dispose(x);
      for (const c of chunks) {
        tf.dispose(c.x);
        c.labels.dispose();
      }
      throw err;
    }
    return new EvalData(sample.count, chunks, options, lab.data === 'mnist');
  }

  /** The original model's accuracy on these images, from the reference pass (0 before computeReference). */
  get referenceAccuracy(): number {
    return this.refAccuracy;
  }

  /** Tensors the activation cache holds (outside them, an evaluation leaves nothing allocated). */
  get cachedTensors(): number {
    return this.cache?.tensors ?? 0;
  }

  /** The chain index the last pass started from (0: from the images or the first layer's cached input), for tests and the bench. */
  get lastStart(): number {
    return this.lastStartIndex;
  }

  private lastStartIndex = 0;

  /** How many pieces of rows the last pass ran (one per chunk unless a chunk's work exceeded a task's share), for tests. */
  get lastPieces(): number {
    return this.lastPieceCount;
  }

  private lastPieceCount = 0;

  /** Projection blocks built when a rank first asked for them (rather than with the pass that kept the input), for tests. */
  get blocksBuiltLate(): number {
    return this.lateBlocks;
  }

  private lateBlocks = 0;

  /** Bytes the activation cache holds. */
  get cachedBytes(): number {
    return this.cache?.bytes ?? 0;
  }

  /** Computes and keeps the original (uncompressed) model's logits and its kernel layers' input norms; call once per model. */
  async computeReference(lab: LabModel, factors: FactorCache, signal?: AbortSignal): Promise<void> {
    // Every layer with a kernel kind: the Lipschitz bound needs their input norms, kept ones included.
    const record = new Set(lab.layers.filter((l) => l.kind !== null).map((l) => l.name));
    const run = await this.pass(lab, factors, {}, undefined, record, signal, (z, rows) => [
      tf.sum(tf.square(z)),
      tf.sum(tf.cast(tf.equal(tf.cast(tf.argMax(z, -1), 'int32'), rows.labels), 'float32')),
      nonFiniteCount(z),
    ], (chunk, logits) => {
      chunk.refLogits = logits;
      chunk.refPred = tf.tidy(() => tf.cast(tf.argMax(logits, -1), 'int32') as tf.Tensor1D);
      if (!this.labelled) {
        // No labels: the original model's predictions stand in for them (accuracy is then agreement).
        chunk.labels.dispose();
        chunk.labels = tf.clone(chunk.refPred);
      }
    });
    if (run.sums[2] > 0) throw await this.locateNonFinite(lab, factors, {}, undefined, signal, `${run.sums[2].toLocaleString('en-US')} of the original model's logits`);
    if (!Number.isFinite(run.sums[0])) {
      throw new NonFiniteError(null, `the original model's logits are finite but too large to square in float32 (their sum of squares is ${run.sums[0]}); the lab cannot measure errors against them`);
    }
    this.refNormSq = run.sums[0];
    this.refAccuracy = this.labelled ? run.sums[1] / this.count : 1;
    this.refInputSq = run.inputSq;
    this.refPredicted = run.predicted;
  }

  /**
   * Evaluates `plan` over all images, chunk by chunk, from the first layer
   * whose weights differ from a plan scored before (see ActivationCache).
   * Throws CancelledError when `signal` aborts between chunks; apart from
   * the cache, nothing stays allocated either way.
   */
  async evaluate(lab: LabModel, factors: FactorCache, plan: RankPlan, signal?: AbortSignal, overrides?: ReadonlyMap<string, KernelOverride>): Promise<EvalResult> {
    // Input norms for the Lipschitz bound: a layer's input differs from the original network's only
    // after the first changed layer, so only those are measured; the rest come from the reference pass.
    const changed = lab.layers.filter((l) => l.factorizable && (overrides?.has(l.name) || effectiveRank(l, plan) !== null));
    // A model with branches has no NN-SVD bound (its merge layers have none), and recording a layer inside a
    // branch would make every pass start from the images: nothing is recorded there.
    const record = new Set(isPlainChain(lab) ? changed.slice(1).map((l) => l.name) : []);
    const run = await this.pass(lab, factors, plan, overrides, record, signal, (z, rows) => {
      const { refLogits, refPred } = rows;
      if (!refLogits || !refPred) throw new Error('computeReference() must run before evaluate()');
      const pred = tf.cast(tf.argMax(z, -1), 'int32');
      // Cosine of each image's logits with the original's (a zero row counts as 1 against a zero row, else 0).
      const dot = tf.sum(tf.mul(z, refLogits), -1);
      const norms = tf.mul(tf.norm(z, 'euclidean', -1), tf.norm(refLogits, 'euclidean', -1));
      const cosine = tf.where(tf.greater(norms, 0), tf.div(dot, tf.maximum(norms, 1e-30)), tf.cast(tf.equal(tf.sum(tf.abs(z), -1), tf.sum(tf.abs(refLogits), -1)), 'float32'));
      return [
        tf.sum(tf.cast(tf.equal(pred, rows.labels), 'float32')),
        tf.sum(tf.cast(tf.equal(pred, refPred), 'float32')),
        tf.sum(tf.square(tf.sub(z, refLogits))),
        tf.sum(cosine),
        nonFiniteCount(z),
      ];
    });
    const inputSq: Record<string, number> = { ...this.refInputSq, ...run.inputSq };
    const [correct, agree, errSq, cosines, nonFinite] = run.sums;
    if (nonFinite > 0) throw await this.locateNonFinite(lab, factors, plan, overrides, signal, `${nonFinite.toLocaleString('en-US')} logits`);
    if (!Number.isFinite(errSq) || !Number.isFinite(cosines)) {
      throw new NonFiniteError(null, `the logits are finite but too large to square in float32 (the sum of squared logit errors is ${errSq}), so the logit error and cosine cannot be computed`);
    }
    return {
      accuracy: correct / this.count,
      agreement: agree / this.count,
      relativeLogitError: this.refNormSq > 0 ? Math.sqrt(errSq / this.refNormSq) : 0,
      outputCosine: cosines / this.count,
      labelled: this.labelled,
      count: this.count,
      inputNorms: Object.fromEntries(Object.entries(inputSq).map(([name, sq]) => [name, Math.sqrt(sq)])),
      referenceNorm: Math.sqrt(this.refNormSq),
      predicted: run.predicted,
      originalPredicted: this.refPredicted,
    };
  }

  /**
   * The error for a pass that produced `what` (non-finite logits): finds the
   * first layer whose outputs hold NaN or Infinity by running the network
   * layer by layer over the images, one group of rows per task, until one
   * shows it. Says whether that layer's own weights (its factors or
   * replacement kernel under this configuration) are already non-finite.
   * Runs only on this rare path, so slider moves pay nothing for it.
   */
  private async locateNonFinite(lab: LabModel, factors: FactorCache, plan: RankPlan, overrides: ReadonlyMap<string, KernelOverride> | undefined, signal: AbortSignal | undefined, what: string): Promise<NonFiniteError> {
    let image = 0;
    for (const chunk of this.chunks) {
      for (const x of chunk.x) {
        await serveSlice();
        throwIfCancelled(signal);
        const perLayer = await readAndFree(tf.tidy(() => {
          const outputs = new Map<number, tf.Tensor>([[-1, x]]);
          const found: tf.Scalar[] = [];
          for (let i = 0; i < lab.layers.length; i++) {
            const out = applyChainLayer(lab, factors, i, inputOf(lab, i, outputs), plan, overrides);
            outputs.set(i, out);
            found.push(nonFiniteCount(out));
          }
          return tf.stack(found);
        }));
        const first = perLayer.findIndex((n) => n > 0);
        if (first >= 0) {
          const info = lab.layers[first];
          const values = await this.layerOutputValues(lab, factors, plan, overrides, x, first);
          const weights = await this.weightsNote(lab, factors, plan, overrides, first);
          return new NonFiniteError(info.name, `layer "${info.name}" gives ${nonFiniteKind(values)} values (${what} are not numbers; first seen among test images ${image + 1}-${image + x.shape[0]})${weights}`);
        }
        image += x.shape[0];
      }
    }
    return new NonFiniteError(null, `${what} are not numbers, but no layer's outputs were when run again layer by layer`);
  }

  /** Chain layer `i`'s outputs on rows `x` under (plan, overrides), read back. */
  private async layerOutputValues(lab: LabModel, factors: FactorCache, plan: RankPlan, overrides: ReadonlyMap<string, KernelOverride> | undefined, x: tf.Tensor, i: number): Promise<Float32Array> {
    return (await readAndFree(tf.tidy(() => {
      const outputs = new Map<number, tf.Tensor>([[-1, x]]);
      for (let j = 0; j <= i; j++) outputs.set(j, applyChainLayer(lab, factors, j, inputOf(lab, j, outputs), plan, overrides));
      return outputs.get(i)!;
    }))) as Float32Array;
  }

  /** "; its weights under this configuration hold NaN" (or Infinity) when they do, else a hint that the values overflow. */
  private async weightsNote(lab: LabModel, factors: FactorCache, plan: RankPlan, overrides: ReadonlyMap<string, KernelOverride> | undefined, i: number): Promise<string> {
    const info = lab.layers[i];
    if (!info.factorizable) return '; its weights are finite, so its inputs or its arithmetic overflow float32';
    const override = overrides?.get(info.name);
    const k = effectiveRank(info, plan);
    const parts: tf.Tensor[] = override ? [...(override.factors ?? [override.kernel!]), ...(override.bias ? [override.bias] : [])] : k !== null ? factors.evalSlices(info.name, k) : [];
    if (parts.length > 0) {
      const bad = await readAndFree(tf.tidy(() => tf.stack(parts.map(nonFiniteCount))));
      if (bad.some((n) => n > 0)) return `; its ${override ? 'replacement weights' : `rank-${k} factors`} already hold values that are not numbers`;
    }
    return `; its ${override ? 'replacement weights' : k !== null ? `rank-${k} factors` : 'weights'} are finite, so the products overflow float32`;
  }

  /**
   * One pass over the chunks under (plan, overrides): runs each chunk from
   * the deepest cached layer input this plan shares with an earlier one,
   * keeps the new inputs of later factorizable layers, and sums `finish`'s scalars
   * and the squared input norms of the `record` layers over all chunks.
   * A chunk whose work from that layer on exceeds PIECE_MACS (a pass from
   * the images through a conv prefix) runs as several pieces of rows, one
   * read-back each, with the page served between them; `keepLogits`, when
   * given, receives each chunk's logits (a tensor it owns). Each read-back
   * also carries the piece's predicted classes (as float32, exact below
   * 2^24), returned as `predicted` in test-set order.
   */
  private async pass(
    lab: LabModel,
    factors: FactorCache,
    plan: RankPlan,
    overrides: ReadonlyMap<string, KernelOverride> | undefined,
    record: ReadonlySet<string>,
    signal: AbortSignal | undefined,
    finish: (z: tf.Tensor, rows: ChunkRows) => tf.Scalar[],
    keepLogits?: (chunk: Chunk, logits: tf.Tensor2D) => void,
  ): Promise<{ sums: number[]; inputSq: Record<string, number>; predicted: Int32Array }> {
    const cache = this.cache;
    const idOf = (o: KernelOverride) => {
      let id = this.overrideIds.get(o);
      if (id === undefined) this.overrideIds.set(o, (id = ++this.nextOverrideId));
      return id;
    };
    const keys: string[] = [];
    let prefix = '';
    for (let i = 0; i < lab.layers.length; i++) {
      keys.push(prefix);
      prefix += `${layerSignature(lab, i, plan, overrides, idOf)}|`;
    }
    const changeable = lab.layers.flatMap((l, i) => (l.factorizable ? [i] : []));
    // An input larger than the cache's whole budget on the whole sample is never kept (a wide conv feature
    // map: 26 x 26 x 32 floats on 10,000 images is 865 MB); its layer runs from the nearest kept input before
    // it. (Half the budget was too tight: it dropped the 369 MB input of a Dense layer 9,216 wide behind a conv
    // prefix, and that layer's rank changes ran the convolutions again, 8 s in Chromium.) Only a cut's input
    // can start a pass (see LabModel.cut).
    const keepable = lab.layers.map((_, i) => cache !== null && lab.cut[i] && inputSize(lab, i) * 4 * this.count <= cache.budgetBytes);
    // Start at the deepest factorizable layer whose input every chunk holds for this prefix, provided the
    // recorded layers before it hold theirs too (their norms come from the cache).
    let start = 0;
    if (cache) {
      for (const i of changeable) {
        if (!cache.holdsEverywhere(i, keys[i])) continue;
        const before = changeable.filter((j) => j < i && record.has(lab.layers[j].name));
        if (before.every((j) => cache.holdsEverywhere(j, keys[j]))) start = i;
      }
    }
    this.lastStartIndex = start;
    const startInfo = lab.layers[start];
    const startRank = startInfo.factorizable && !overrides?.has(startInfo.name) ? effectiveRank(startInfo, plan) : null;
    const startMacs = macsPerExample(lab.chain[start]);
    const restMacs = macsFrom(lab, start + 1, plan, overrides);
    const sums: number[] = [];
    const predicted = new Int32Array(this.count);
    // The test-set index of the chunk's first image (chunks are consecutive runs of images).
    let chunkStart = 0;
    const inputSq: Record<string, number> = {};
    const add = (name: string, v: number) => { inputSq[name] = (inputSq[name] ?? 0) + v; };
    this.lastPieceCount = 0;
    const serve = async () => {
      await serveSlice();
      throwIfCancelled(signal);
    };
    for (const [c, chunk] of this.chunks.entries()) {
      await serve();
      const from = cache?.lookup(c, start, keys[start]);
      for (const j of changeable) {
        if (j < start || (j === start && from)) {
          if (record.has(lab.layers[j].name)) add(lab.layers[j].name, cache!.lookup(c, j, keys[j])!.normSq);
        }
      }
      const rows = chunk.labels.shape[0];
      // A plain-SVD rank of the start layer reads its cached input's projection P = X A_r, block by block.
      let blocks = 0;
      let startCost = startMacs;
      if (from && startRank !== null && startInfo.factorizable && isProjectable(lab, start)) {
        const k = Math.min(startRank, factors.rankOf(startInfo.name));
        const r = factors.rankOf(startInfo.name);
        const n = startInfo.kernelShape[1];
        blocks = projectionBlockCount(k);
        // A missing block costs (m w) a row: made in pieces too, then kept whole.
        for (let j = cache!.blockCount(from); j < blocks; j++) {
          this.lateBlocks++;
          const [first, end] = projectionBlock(j);
          const width = Math.min(end, r) - first;
          const step = pieceRowsFor((startMacs * width) / n, rows, this.taskMacs);
          const parts: tf.Tensor2D[] = [];
          try {
            for (const x of from.parts) {
              const partRows = x.shape[0];
              for (let q = 0; q * step < partRows; q++) {
                if (parts.length > 0) await serve();
                const count = Math.min(step, partRows - q * step);
                parts.push(tf.tidy(() => projectInputBlock(lab, factors, start, partRows === count ? x : rowsOf(x, q * step, count), j)));
              }
            }
          } catch (err) {
            parts.forEach((t) => t.dispose());
            throw err;
          }
          cache!.addBlock(from, parts.length === 1 ? parts[0] : joinRows(parts));
        }
        // P_k B_k costs (k n) a row where the layer costs (m n).
        startCost = (startMacs * Math.min(projectionBlock(blocks - 1)[1], r)) / startInfo.kernelShape[0];
      }
      // The reference pass also projects every kept input (see `eager`): r of its m n a row.
      const eagerMacs = keepLogits === undefined ? 0 : projectionMacs(lab, start);
      const pieceRows = pieceRowsFor(startCost + restMacs + eagerMacs, rows, this.taskMacs);
      const split = pieceRows < rows;
      // The pieces: the input's own groups of rows when it has several and is read whole (the images' groups,
      // or a cached input's from a heavier pass's pieces), else runs of pieceRows rows.
      const source = from ? from.parts : chunk.x;
      const pieceList: Array<{ first: number; count: number; input?: tf.Tensor }> = [];
      if (blocks === 0 && source.length > 1) {
        let first = 0;
        for (const x of source) {
          pieceList.push({ first, count: x.shape[0], input: x });
          first += x.shape[0];
        }
      } else {
        for (let first = 0; first < rows; first += pieceRows) pieceList.push({ first, count: Math.min(pieceRows, rows - first) });
      }
      const keptParts = new Map<number, RowParts<tf.Tensor>>();
      const keptNormSq = new Map<number, number>();
      const logitParts = new RowParts<tf.Tensor2D>();
      // Projection blocks made with the pieces, per kept layer: see `eager` below.
      const blockParts = new Map<number, Array<RowParts<tf.Tensor2D>>>();
      const allParts = () => [...keptParts.values(), ...[...blockParts.values()].flat(), logitParts];
      try {
        for (const { first, count, input } of pieceList) {
          if (first > 0) await serve();
          this.lastPieceCount++;
          const whole = count === rows;
          const part = <T extends tf.Tensor>(t: T): T => (whole ? t : rowsOf(t, first, count));
          const normNames: string[] = [];
          const keptIndices: number[] = [];
          const keptHere: tf.Tensor[] = [];
          const blocksHere: Array<{ index: number; j: number; block: tf.Tensor2D }> = [];
          let logitsHere: tf.Tensor2D | null = null;
          let scalars = 0;
          // Tensors kept inside the tidy below belong to nobody until it returns: freed here if it throws.
          const dropHere = () => tf.dispose([...keptHere, ...blocksHere.map((b) => b.block), ...(logitsHere ? [logitsHere] : [])]);
          let stats: tf.Tensor;
          try {
            stats = tf.tidy(() => {
              // A projected start layer reads only its input's shape (the rows come from P).
              const startInput: tf.Tensor = input ?? (blocks > 0 ? source[0] : part(source[0]));
              // The outputs computed so far by chain index; the start layer is a cut, so its input
              // stands for its producer's output (-1: the model's input).
              const outputs = new Map<number, tf.Tensor>([[start === 0 ? -1 : lab.inputsOf[start][0], startInput]]);
              const norms: tf.Scalar[] = [];
              const keptNorms: tf.Scalar[] = [];
              for (let i = start; i < lab.layers.length; i++) {
                const info = lab.layers[i];
                const input = inputOf(lab, i, outputs);
                // Kernel layers read one tensor; only they are kept or recorded.
                const h = input as tf.Tensor;
                const isNew = !(i === start && from);
                const keep = isNew && cache !== null && info.factorizable && keepable[i];
                if (keep || (isNew && record.has(info.name))) {
                  // One reduction serves both: the recorded norm and the kept entry's.
                  const normSq = tf.sum(tf.square(h)) as tf.Scalar;
                  if (record.has(info.name)) {
                    norms.push(normSq);
                    normNames.push(info.name);
                  }
                  if (keep) {
                    keptNorms.push(normSq);
                    keptIndices.push(i);
                    keptHere.push(tf.keep(alias(h)));
                    // A kept input gets its projection now, while the input is in pieces, when its whole
                    // projection would not fit one task later (a wide Dense layer behind a conv prefix), and
                    // always in the reference pass: a rank first asked for later would otherwise build its
                    // block during a slider move (m w a row: on mlp-64 a first move past rank 32 took 30 ms
                    // instead of 13).
                    const eager = isProjectable(lab, i) && (keepLogits !== undefined || (split && rows * projectionCost(lab, i) > this.taskMacs));
                    if (eager) {
                      for (let j = 0; j < projectionBlockCount(info.rankLimit); j++) blocksHere.push({ index: i, j, block: tf.keep(projectInputBlock(lab, factors, i, h, j)) });
                    }
                  }
                }
                let product: tf.Tensor2D | undefined;
                if (i === start && blocks > 0) {
                  const k = Math.min(startRank!, factors.rankOf(info.name));
                  product = cache!.product(from!, blocks, (j) => factors.rowBlock(info.name, j, k), part);
                }
                outputs.set(i, applyChainLayer(lab, factors, i, input, plan, overrides, product));
              }
              const logits = outputs.get(lab.outputIndex)!;
              if (keepLogits) logitsHere = tf.keep(alias(logits)) as tf.Tensor2D;
              const extra = finish(logits, { labels: part(chunk.labels), refLogits: chunk.refLogits && part(chunk.refLogits), refPred: chunk.refPred && part(chunk.refPred) });
              scalars = extra.length;
              // The classes ride along in the same read-back as the sums: no extra round trip per piece.
              return tf.concat([tf.stack([...extra, ...norms, ...keptNorms]), tf.cast(tf.argMax(logits, -1), 'float32')]);
            });
          } catch (err) {
            dropHere();
            throw err;
          }
          keptIndices.forEach((index, n) => {
            // Grouped as a later pass from this input would cut it (its layer and the rest at full size).
            if (!keptParts.has(index)) keptParts.set(index, new RowParts(pieceRowsFor(macsPerExample(lab.chain[index]) + macsFrom(lab, index + 1), rows, this.taskMacs)));
            keptParts.get(index)!.push(keptHere[n]);
          });
          for (const { index, j, block } of blocksHere) {
            const made = blockParts.get(index) ?? [];
            (made[j] ??= new RowParts()).push(block);
            blockParts.set(index, made);
          }
          if (logitsHere) logitParts.push(logitsHere);
          const v = await readAndFree(stats);
          for (let i = 0; i < scalars; i++) sums[i] = (sums[i] ?? 0) + v[i];
          normNames.forEach((name, i) => add(name, v[scalars + i]));
          keptIndices.forEach((index, n) => keptNormSq.set(index, (keptNormSq.get(index) ?? 0) + v[scalars + normNames.length + n]));
          const head = scalars + normNames.length + keptIndices.length;
          for (let i = 0; i < count; i++) predicted[chunkStart + first + i] = v[head + i];
        }
      } catch (err) {
        allParts().forEach((p) => p.dispose());
        throw err;
      }
      // The cache and the chunk own what the pieces kept, joined along the rows.
      for (const [index, parts] of keptParts) {
        cache!.store(c, index, keys[index], parts.groups(), keptNormSq.get(index)!);
        const entry = cache!.lookup(c, index, keys[index])!;
        for (const made of blockParts.get(index) ?? []) cache!.addBlock(entry, made.finish());
      }
      if (keepLogits) keepLogits(chunk, logitParts.finish());
      chunkStart += rows;
    }
    cache?.enforceBudget();
    return { sums, inputSq, predicted };
  }

  dispose(): void {
    this.cache?.dispose();
    for (const c of this.chunks) {
      tf.dispose(c.x);
      c.labels.dispose();
      c.refLogits?.dispose();
      c.refPred?.dispose();
    }
  }
}
