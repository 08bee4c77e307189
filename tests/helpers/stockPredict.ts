import * as tf from '@tensorflow/tfjs';

/**
 * Stock `model.predict` over many images, in chunks made straight from the
 * pixel array. predict()'s own batching (32 by default) slices one big input
 * tensor per batch, and the wasm backend's slice kernel copies the whole
 * input each time: 313 copies of 31 MB for the 10,000 MNIST test images.
 * On a machine slow to fault in fresh memory that took 20 s per call and
 * most of the test suite's time. Same numbers either way: predict runs the
 * layers in inference mode on each row independently.
 */

/** Images per chunk: one predict() call, one batch, a few MB of input. */
const CHUNK = 1000;

/**
 * The model's outputs for `count` images of `pixels` (uint8 0..255,
 * row-major, each the size of the model's input), fed as float32 / 255 in
 * the model's input shape; row-major count x outputs. Disposes every tensor.
 */
export function stockOutputs(model: tf.LayersModel, pixels: Uint8Array, count: number): Float32Array {
  const shape = model.inputs[0].shape.slice(1) as number[];
  const size = shape.reduce((a, b) => a * b, 1);
  const parts: Float32Array[] = [];
  for (let first = 0; first < count; first += CHUNK) {
    const rows = Math.min(CHUNK, count - first);
    parts.push(tf.tidy(() => {
      const x = tf.div(tf.tensor(pixels.subarray(first * size, (first + rows) * size), [rows, ...shape], 'float32'), 255);
      return (model.predict(x, { batchSize: rows }) as tf.Tensor).dataSync() as Float32Array;
    }));
  }
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/** The predicted class (argmax of the outputs) of each of `count` images, as stockOutputs feeds them. */
export function stockClasses(model: tf.LayersModel, pixels: Uint8Array, count: number): Int32Array {
  const outputs = stockOutputs(model, pixels, count);
  const classes = outputs.length / count;
  const pred = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (outputs[i * classes + c] > outputs[i * classes + best]) best = c;
    pred[i] = best;
  }
  return pred;
}

/** Share of the `count` images whose stock class equals their label. */
export function stockAccuracyOn(model: tf.LayersModel, pixels: Uint8Array, labels: Uint8Array, count: number): number {
  const pred = stockClasses(model, pixels, count);
  let right = 0;
  for (let i = 0; i < count; i++) if (pred[i] === labels[i]) right++;
  return right / count;
}
