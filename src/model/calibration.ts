import * as tf from '@tensorflow/tfjs';
import type { MnistSample } from '../core/mnist';
import type { LabModel } from './labModel';
import { LAYER_KINDS } from './layers/registry';
import { inputOf } from './forward';
import { pixelFactor } from './pixels';
import { serveSlice } from './slices';
import { mulberry32, seededPermutation } from '../core/sampling';

/**
 * The inputs each factorizable layer of the original model sees on the calibration
 * images (1,000 drawn from the training set; never the test set). The
 * data-aware methods and the output-error rank rule fit to these.
 */

/** Calibration inputs of one factorizable layer, as rows of its kernel matrix's m: N x m row-major, float64. */
export interface LayerInputs {
  x: Float64Array;
  rows: number;
  cols: number;
}

/**
 * Most rows a layer's calibration inputs keep. A Dense layer has a row per
 * image (1,000); a convolution one per image and output position (conv1 of
 * the bundled CNN: 576,000 rows of 25), of which a seeded uniform sample
 * of this many is kept: enough for the m x m statistics of a kernel with m
 * in the hundreds, 26 MB at m = 400.
 */
export const CALIBRATION_ROWS = 8192;

/** Images run through the model at once while collecting. */
const BATCH_IMAGES = 100;

/** The sorted rows of `total` that a layer keeps: all of them, or a seeded sample of CALIBRATION_ROWS. */
function keptRows(total: number, seed: number): Uint32Array | null {
  if (total <= CALIBRATION_ROWS) return null;
  return seededPermutation(total, mulberry32(seed)).slice(0, CALIBRATION_ROWS).sort();
}

/**
 * Runs the original model over `sample` (inference mode) in batches and
 * returns, per factorizable layer name, the rows that layer receives (its
 * kind's input rows, at most CALIBRATION_ROWS of them, see above). Reads
 * back with await (a synchronous read of a GPU tensor would hold the page
 * until the GPU is done); every tensor it makes is freed before it returns.
 */
export async function collectLayerInputs(lab: LabModel, sample: MnistSample): Promise<Map<string, LayerInputs>> {
  const out = new Map<string, LayerInputs>();
  const picks = new Map<string, Uint32Array | null>();
  for (let start = 0; start < sample.count; start += BATCH_IMAGES) {
    // On the cpu and wasm backends data() resolves as a microtask: without this, all ten batches ran in one
    // main-thread task when a method first needed them (51-64 ms on mlp-64 in the long session).
    if (start > 0) await serveSlice();
    const end = Math.min(sample.count, start + BATCH_IMAGES);
    const rows = new Map<string, tf.Tensor2D>();
    tf.tidy(() => {
      const pixels = tf.tensor2d(sample.pixels.subarray(start * sample.rows * sample.cols, end * sample.rows * sample.cols), [end - start, sample.rows * sample.cols], 'int32');
      const x = tf.reshape(tf.mul(tf.cast(pixels, 'float32'), pixelFactor(lab.inputScale)), [end - start, ...lab.inputShape]);
      const outputs = new Map<number, tf.Tensor>([[-1, x]]);
      for (const [i, layer] of lab.chain.entries()) {
        const info = lab.layers[i];
        const h = inputOf(lab, i, outputs);
        if (info.factorizable && !Array.isArray(h)) {
          const all = LAYER_KINDS[info.kind].inputRows(layer, h, info.kernelShape[0]);
          const perImage = all.shape[0] / (end - start);
          if (!picks.has(info.name)) picks.set(info.name, keptRows(perImage * sample.count, 1 + i));
          const pick = picks.get(info.name)!;
          const local = pick ? rowsWithin(pick, start * perImage, end * perImage) : null;
          rows.set(info.name, tf.keep(local ? tf.gather(all, local) : all));
        }
        outputs.set(i, layer.apply(h, { training: false }) as tf.Tensor);
      }
    });
    try {
      for (const [name, t] of rows) {
        const [count, cols] = t.shape;
        const pick = picks.get(name);
        const total = pick ? pick.length : sample.count * (count / (end - start));
        let entry = out.get(name);
        if (!entry) out.set(name, (entry = { x: new Float64Array(total * cols), rows: 0, cols }));
        entry.x.set(await t.data(), entry.rows * cols);
        entry.rows += count;
      }
    } finally {
      rows.forEach((t) => t.dispose());
    }
  }
  return out;
}

/** The entries of sorted `rows` in [from, to), less `from`, as an int32 tensor's values. */
function rowsWithin(rows: Uint32Array, from: number, to: number): Int32Array {
  let lo = 0;
  while (lo < rows.length && rows[lo] < from) lo++;
  let hi = lo;
  while (hi < rows.length && rows[hi] < to) hi++;
  return Int32Array.from(rows.subarray(lo, hi), (r) => r - from);
}

/**
 * Y = X W: a layer's outputs (rows x n, row-major float32, before bias) on
 * its calibration inputs, for data-aware factors. Runs on the TF.js
 * backend (a 1,000 x 784 x 512 product in JS would hold the page for about
 * a second); every tensor is freed before it returns.
 */
export async function calibrationOutputs(inputs: LayerInputs, kernel: Float32Array, n: number): Promise<Float32Array> {
  // In pieces of rows, the page served between them: the whole product (1,000 x 784 x 64 on mlp-64's fc1)
  // was one 100-300 ms task on wasm here, a stall in the middle of a slider drag.
  const { rows, cols } = inputs;
  const step = Math.max(1, Math.floor(OUTPUT_PIECE_MACS / Math.max(1, cols * n)));
  const out = new Float32Array(rows * n);
  const w = tf.tensor2d(kernel, [cols, n]);
  try {
    for (let first = 0; first < rows; first += step) {
      if (first > 0) await serveSlice();
      const count = Math.min(step, rows - first);
      const y = tf.tidy(() => tf.matMul(tf.tensor2d(Float32Array.from(inputs.x.subarray(first * cols, (first + count) * cols)), [count, cols]), w));
      try {
        out.set((await y.data()) as Float32Array, first * n);
      } finally {
        y.dispose();
      }
    }
  } finally {
    w.dispose();
  }
  return out;
}

/** Multiply-adds per piece of calibrationOutputs: a few ms on one wasm thread. */
const OUTPUT_PIECE_MACS = 10e6;
