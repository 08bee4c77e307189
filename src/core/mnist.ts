/**
 * MNIST data in two byte formats, plus the seeded sampling that picks the
 * calibration images. Pure TypeScript (no TF.js, DOM or Node imports) so the
 * app, the CLI, the build scripts and the tests all read data the same way.
 *
 * - IDX: the original LeCun distribution (`*-idx1-ubyte` labels,
 *   `*-idx3-ubyte` images), big-endian header. Only read, by the scripts.
 * - LRMN: the lab's own compact sample file shipped under `public/data/`:
 *   16-byte header (ASCII "LRMN", then little-endian uint32 count, rows,
 *   cols), `count*rows*cols` uint8 pixels row-major image after image, then
 *   `count` uint8 labels. One fetch, no parsing library, exact length known.
 *   The lab ships it gzip-compressed (MNIST_FILES: 7.85 MB of test images
 *   travel as about 1.6 MB); src/model/mnistFile.ts decompresses it.
 */

import { mulberry32, sampleClassBalanced } from './sampling';

/** A bad data file: wrong magic, wrong length, impossible label, ... */
export class MnistFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MnistFormatError';
  }
}

/** A parsed IDX file: `dims` from the header (e.g. [60000, 28, 28]) and the
 * row-major uint8 payload. `data` is a view into the input bytes, not a copy. */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/**
 * A set of MNIST images with labels, as stored in an LRMN file.
 * `pixels` has length `count*rows*cols` (uint8 intensities 0..255, row-major,
 * image after image); `labels` has length `count` with digits 0..9.
 */
export interface MnistSample {
  count: number;
  rows: number;
  cols: number;
  pixels: Uint8Array;
  labels: Uint8Array;
}

/**
 * The sample files under `public/data/` (written by `npm run data`): gzip-compressed
 * LRMN, named with `.bin.gz` so no host mistakes them for already-encoded responses.
 */
export const MNIST_FILES = { test: 'mnist-test.bin.gz', calib: 'mnist-calib.bin.gz' } as const;

/** Whether `bytes` start with gzip's magic number (1f 8b): a compressed file, not yet LRMN. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

const IDX_UBYTE = 0x08;
const LRMN_MAGIC = 'LRMN';
const LRMN_HEADER_BYTES = 16;
const NUM_CLASSES = 10;

/**
 * Parses an IDX file whose element type is unsigned byte (magic 0x00000801
 * for MNIST labels, 0x00000803 for images). Returns the dims and a view of
 * the payload (no copy). Throws MnistFormatError when the magic is not an
 * unsigned-byte IDX header or the payload length does not match the dims,
 * which usually means a truncated download or a gzipped file (gunzip it first).
 */
export function parseIdx(bytes: Uint8Array): IdxArray {
  if (bytes.length < 4) {
    throw new MnistFormatError(`IDX file is ${bytes.length} bytes, too short for a header; is it the right file?`);
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const gz = bytes[0] === 0x1f && bytes[1] === 0x8b ? ' It looks gzipped: gunzip it first.' : '';
    throw new MnistFormatError(`Not an IDX file: first two bytes must be zero.${gz}`);
  }
  if (bytes[2] !== IDX_UBYTE) {
    throw new MnistFormatError(
      `IDX element type 0x${bytes[2].toString(16)} is not supported; only unsigned bytes (0x08), as in MNIST.`,
    );
  }
  const ndims = bytes[3];
  const headerBytes = 4 + 4 * ndims;
  if (ndims === 0 || bytes.length < headerBytes) {
    throw new MnistFormatError(`IDX header declares ${ndims} dims but the file is ${bytes.length} bytes.`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < ndims; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const expected = dims.reduce((a, b) => a * b, 1);
  const actual = bytes.length - headerBytes;
  if (actual !== expected) {
    throw new MnistFormatError(
      `IDX dims [${dims.join(', ')}] need ${expected} payload bytes but the file has ${actual}; ` +
        'the file is truncated or corrupt, download it again.',
    );
  }
  return { dims, data: bytes.subarray(headerBytes) };
}

function checkLabels(labels: Uint8Array): void {
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= NUM_CLASSES) {
      throw new MnistFormatError(`Label ${i} is ${labels[i]}, but MNIST labels are digits 0..9.`);
    }
  }
}

/**
 * Serialises a sample to the LRMN byte layout described at the top of this
 * file. Returns a fresh buffer of `16 + count*(rows*cols + 1)` bytes. Throws
 * MnistFormatError if array lengths disagree with the counts or a label is
 * outside 0..9, so a bad file can never be written.
 */
export function encodeMnistSample(s: MnistSample): Uint8Array {
  const imageBytes = s.count * s.rows * s.cols;
  if (s.pixels.length !== imageBytes || s.labels.length !== s.count) {
    throw new MnistFormatError(
      `Sample says ${s.count} images of ${s.rows}x${s.cols} but has ${s.pixels.length} pixels ` +
        `and ${s.labels.length} labels.`,
    );
  }
  checkLabels(s.labels);
  const out = new Uint8Array(LRMN_HEADER_BYTES + imageBytes + s.count);
  for (let i = 0; i < 4; i++) out[i] = LRMN_MAGIC.charCodeAt(i);
  const view = new DataView(out.buffer);
  view.setUint32(4, s.count, true);
  view.setUint32(8, s.rows, true);
  view.setUint32(12, s.cols, true);
  out.set(s.pixels, LRMN_HEADER_BYTES);
  out.set(s.labels, LRMN_HEADER_BYTES + imageBytes);
  return out;
}

/**
 * Reads an LRMN file (e.g. `data/mnist-test.bin.gz` once gunzipped).
 * `pixels` and `labels` of the result are views into `bytes`, not copies.
 * Throws MnistFormatError on a wrong magic, a length that is not exactly
 * header + pixels + labels, zero-sized images, or a label outside 0..9.
 */
export function decodeMnistSample(bytes: Uint8Array | ArrayBuffer): MnistSample {
  const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  if (b.length < LRMN_HEADER_BYTES) {
    throw new MnistFormatError(`MNIST sample file is ${b.length} bytes, shorter than its 16-byte header.`);
  }
  const magic = String.fromCharCode(b[0], b[1], b[2], b[3]);
  if (magic !== LRMN_MAGIC) {
    const gz = isGzip(b) ? ' It is gzip-compressed: decompress it first (decodeMnistFile in src/model/mnistFile.ts does).' : '';
    throw new MnistFormatError(
      `Not an MNIST sample file (magic "${magic}", expected "LRMN"); regenerate it with \`npm run data\`.${gz}`,
    );
  }
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const count = view.getUint32(4, true);
  const rows = view.getUint32(8, true);
  const cols = view.getUint32(12, true);
  if (rows === 0 || cols === 0) {
    throw new MnistFormatError(`MNIST sample file has ${rows}x${cols} images; both sides must be positive.`);
  }
  const imageBytes = count * rows * cols;
  const expected = LRMN_HEADER_BYTES + imageBytes + count;
  if (b.length !== expected) {
    throw new MnistFormatError(
      `MNIST sample file should be ${expected} bytes for ${count} images of ${rows}x${cols}, ` +
        `but is ${b.length}; it is truncated or corrupt, regenerate it with \`npm run data\`.`,
    );
  }
  const pixels = b.subarray(LRMN_HEADER_BYTES, LRMN_HEADER_BYTES + imageBytes);
  const labels = b.subarray(LRMN_HEADER_BYTES + imageBytes);
  checkLabels(labels);
  return { count, rows, cols, pixels, labels };
}

/** The first `count` images of a sample (views of its arrays, no copy). */
export function firstImages(sample: MnistSample, count: number): MnistSample {
  const n = Math.min(count, sample.count);
  const size = sample.rows * sample.cols;
  return { ...sample, count: n, pixels: sample.pixels.subarray(0, n * size), labels: sample.labels.subarray(0, n) };
}

/** Values the synthetic inputs of one model hold in all (16 M bytes: 106 images of 224 x 224 x 3). */
const SYNTHETIC_VALUES = 16 * 2 ** 20;

/**
 * Seeded synthetic inputs for a model whose input is not an MNIST image:
 * `count` inputs of `shape` (without the batch axis: [H, W, C], [H, W] or
 * [N]) as a sample whose rows x cols is one input (rows = shape[0]). Each
 * input is its own smooth pattern, per channel a random level plus three
 * plane waves of random direction, frequency and amplitude, with a little
 * pixel noise, in 0..255: uniform noise alone makes every input look alike
 * to a network (a random CNN gave one class to all of them). At most
 * SYNTHETIC_VALUES values in all, at least 16 inputs. The labels are zeros:
 * such a sample has none, and the lab compares with the original model's
 * outputs instead.
 */
export function syntheticSample(shape: readonly number[], count: number, seed: number): MnistSample {
  const size = shape.reduce((p, d) => p * d, 1);
  if (!Number.isSafeInteger(size) || size < 1) throw new RangeError(`An input shape must be positive integers, got [${shape.join(', ')}].`);
  const [h, w, c] = shape.length >= 3 ? [shape[0], shape[1], size / (shape[0] * shape[1])] : shape.length === 2 ? [shape[0], shape[1], 1] : [1, size, 1];
  const n = Math.max(16, Math.min(count, Math.floor(SYNTHETIC_VALUES / size)));
  const rng = mulberry32(seed);
  const pixels = new Uint8Array(n * size);
  for (let img = 0; img < n; img++) {
    for (let ch = 0; ch < c; ch++) {
      const level = 255 * rng();
      const waves = Array.from({ length: 3 }, () => {
        const angle = 2 * Math.PI * rng();
        const cycles = 0.5 + 4 * rng();
        return { fy: (cycles * Math.sin(angle)) / h, fx: (cycles * Math.cos(angle)) / w, phase: 2 * Math.PI * rng(), amp: 80 * rng() };
      });
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          let v = level + 16 * (rng() - 0.5);
          for (const wave of waves) v += wave.amp * Math.sin(2 * Math.PI * (wave.fy * y + wave.fx * x) + wave.phase);
          pixels[img * size + (y * w + x) * c + ch] = Math.max(0, Math.min(255, Math.round(v)));
        }
      }
    }
  }
  return { count: n, rows: shape[0], cols: size / shape[0], pixels, labels: new Uint8Array(n) };
}

/**
 * Images `start..end-1` of a sample as one row-major Float32Array of shape
 * [end-start, rows*cols], intensities scaled from 0..255 to [0, 1] (the
 * input range the bundled models were trained on). Allocates the result.
 * Throws RangeError if the range is not inside 0..count.
 */
export function pixelsToFloat(sample: MnistSample, start: number, end: number): Float32Array {
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start || end > sample.count) {
    throw new RangeError(`Image range ${start}..${end} is outside 0..${sample.count}.`);
  }
  const size = sample.rows * sample.cols;
  const src = sample.pixels.subarray(start * size, end * size);
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = src[i] / 255;
  return out;
}

/**
 * Builds a sample from parsed IDX images ([n, rows, cols]) and labels ([n]),
 * keeping the images at `indices` in that order (all of them, in file order,
 * when `indices` is omitted). Copies the pixels. Throws MnistFormatError if
 * the two files do not describe the same number of images.
 */
export function gatherMnistSample(images: IdxArray, labels: IdxArray, indices?: ArrayLike<number>): MnistSample {
  if (images.dims.length !== 3 || labels.dims.length !== 1 || images.dims[0] !== labels.dims[0]) {
    throw new MnistFormatError(
      `Images [${images.dims.join(', ')}] and labels [${labels.dims.join(', ')}] do not match; ` +
        'pass an idx3 image file and the idx1 label file of the same split.',
    );
  }
  const [n, rows, cols] = images.dims;
  const size = rows * cols;
  const picks = indices ?? Array.from({ length: n }, (_, i) => i);
  const pixels = new Uint8Array(picks.length * size);
  const out = new Uint8Array(picks.length);
  for (let k = 0; k < picks.length; k++) {
    const i = picks[k];
    if (!Number.isInteger(i) || i < 0 || i >= n) throw new RangeError(`Image index ${i} is outside 0..${n - 1}.`);
    pixels.set(images.data.subarray(i * size, (i + 1) * size), k * size);
    out[k] = labels.data[i];
  }
  checkLabels(out);
  return { count: picks.length, rows, cols, pixels, labels: out };
}

/**
 * How `public/data/mnist-calib.bin.gz` is drawn: this many images from the
 * TRAINING split (never the test split, so calibration cannot leak into the
 * reported accuracy), 100 per digit, with this PRNG seed.
 */
export const MNIST_CALIBRATION = { count: 1000, seed: 0x5eed_1234 } as const;

/**
 * Indices into the training split (length MNIST_CALIBRATION.count, distinct,
 * class-balanced, in shuffled order) of the calibration images. A pure
 * function of `trainLabels`, so `src/cli/makeData.ts` and the tests agree.
 */
export function calibrationIndices(trainLabels: Uint8Array): Uint32Array {
  const rng = mulberry32(MNIST_CALIBRATION.seed);
  return sampleClassBalanced(trainLabels, NUM_CLASSES, MNIST_CALIBRATION.count, rng);
}
