/**
 * Weight quantization for the lab's (low-rank) kernels: symmetric int8/int4
 * per channel, 4-bit packing, byte counts, and the one affine uint8 format
 * TF.js's own weight manifest can express.
 *
 * Symmetric per channel: for each channel c (a row or a column),
 * scale_c = max|x_c| / qmax with qmax = 2^(bits-1) - 1 (127 or 7), and
 * q = round(x / scale_c) in [-qmax, qmax]; x ~= q scale_c with an error of
 * at most scale_c / 2 per entry. The grid is symmetric (-qmax..qmax, not
 * -qmax-1) so that q(-x) = -q(x) and zero is exact; rounding is half away
 * from zero for the same reason (Math.round alone rounds -2.5 to -2 but
 * 2.5 to 3). Scales are float32, the precision they are stored in, and the
 * rounding uses that stored scale, so the bound holds for what is stored.
 */
import { NonFiniteMatrixError } from './svdFinish';
import { asBytes, type Bytes } from './units';

/** Bits per quantized weight. */
export type QuantizationBits = 8 | 4;

/** Which index runs over channels: 'row' = one scale per row, 'column' = one per column. */
export type ChannelAxis = 'row' | 'column';

/** A rows x cols matrix stored as integers with one float32 scale per channel. */
export interface SymmetricQuantized {
  /** rows x cols, row-major; entries in [-(2^(bits-1) - 1), 2^(bits-1) - 1], one per byte (int4 unpacked). */
  readonly q: Int8Array;
  /** One scale per channel (rows or cols of them), > 0, in the units of the original entries per step. */
  readonly scales: Float32Array;
  readonly bits: QuantizationBits;
  readonly rows: number;
  readonly cols: number;
  readonly axis: ChannelAxis;
}

/** The largest magnitude on the symmetric grid: 127 for int8, 7 for int4. */
export function symmetricLevels(bits: QuantizationBits): number {
  if (bits !== 8 && bits !== 4) throw new RangeError(`Quantization supports 8 or 4 bits, got ${bits}.`);
  return 2 ** (bits - 1) - 1;
}

// The smallest positive float32 (2^-149): the scale of a channel whose
// max|x| / qmax would underflow float32, so that the division stays finite.
const SMALLEST_FLOAT32 = 2 ** -149;

/**
 * Symmetric per-channel quantization of the row-major rows x cols matrix
 * `x`. For W (m inputs x n outputs) per output channel is axis 'column'.
 * An all-zero channel gets scale 1 and zeros. Pure; allocates q (rows cols
 * bytes) and the scales. Throws RangeError on a bad shape or bit width and
 * NonFiniteMatrixError on NaN or Infinity.
 */
export function quantizeSymmetric(
  x: Float32Array,
  rows: number,
  cols: number,
  bits: QuantizationBits,
  axis: ChannelAxis,
): SymmetricQuantized {
  checkShape(x.length, rows, cols);
  const qmax = symmetricLevels(bits);
  const channels = axis === 'row' ? rows : cols;
  const maxAbs = new Float64Array(channels);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const v = x[i * cols + j];
      if (!Number.isFinite(v)) throw new NonFiniteMatrixError(i, j, v);
      const c = axis === 'row' ? i : j;
      maxAbs[c] = Math.max(maxAbs[c], Math.abs(v));
    }
  }
  const scales = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    scales[c] = maxAbs[c] === 0 ? 1 : Math.max(Math.fround(maxAbs[c] / qmax), SMALLEST_FLOAT32);
  }
  const q = new Int8Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const ratio = x[i * cols + j] / scales[axis === 'row' ? i : j];
      // The float32 scale can sit a hair under max|x| / qmax; the clamp keeps
      // the extreme entry on the grid, costing it far less than scale / 2.
      const level = Math.sign(ratio) * Math.round(Math.abs(ratio));
      q[i * cols + j] = Math.max(-qmax, Math.min(qmax, level));
    }
  }
  return { q, scales, bits, rows, cols, axis };
}

/**
 * q scale_c for every entry: the rows x cols float32 matrix a quantized one
 * stands for (row-major). Pure; allocates the result.
 */
export function dequantize(quantized: SymmetricQuantized): Float32Array {
  const { q, scales, rows, cols, axis } = quantized;
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) out[i * cols + j] = q[i * cols + j] * scales[axis === 'row' ? i : j];
  }
  return out;
}

/**
 * Two signed 4-bit values per byte, two's complement: element 2i in the low
 * nibble (bits 0-3), element 2i+1 in the high nibble (bits 4-7), the order
 * ONNX's INT4 and GGML's 4-bit blocks use too. An odd-length input leaves
 * the last high nibble 0. Accepts all 16 values -8..7 (the symmetric
 * quantizer uses -7..7 only); throws RangeError on anything else.
 */
export function packInt4(q: Int8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(q.length / 2));
  for (let i = 0; i < q.length; i++) {
    const v = q[i];
    if (v < -8 || v > 7) throw new RangeError(`Entry ${i} is ${v}, outside the int4 range -8..7.`);
    out[i >> 1] |= (v & 0x0f) << ((i & 1) * 4);
  }
  return out;
}

/**
 * The first `length` signed 4-bit values of a {@link packInt4} buffer, as
 * an Int8Array in -8..7. `length` is needed because an odd count and an even
 * one pack to the same number of bytes. Throws RangeError when `packed` is
 * too short.
 */
export function unpackInt4(packed: Uint8Array, length: number): Int8Array {
  if (!Number.isSafeInteger(length) || length < 0 || Math.ceil(length / 2) > packed.length) {
    throw new RangeError(`${packed.length} packed bytes cannot hold ${length} int4 values.`);
  }
  const out = new Int8Array(length);
  for (let i = 0; i < length; i++) {
    const nibble = (packed[i >> 1] >> ((i & 1) * 4)) & 0x0f;
    out[i] = nibble >= 8 ? nibble - 16 : nibble;
  }
  return out;
}

/**
 * Bytes to store a rows x cols matrix at `bits` per entry with `channels`
 * float32 scales: ceil(rows cols bits / 8) + 4 channels. The int4 payload
 * is packed over the whole matrix (a channel may start mid-byte).
 */
export function quantizedBytes(rows: number, cols: number, bits: QuantizationBits, channels: number): Bytes {
  checkShape(rows * cols, rows, cols);
  symmetricLevels(bits);
  if (!Number.isSafeInteger(channels) || channels < 0) throw new RangeError(`Channel count must be >= 0, got ${channels}.`);
  return asBytes(Math.ceil((rows * cols * bits) / 8) + 4 * channels);
}

/**
 * A tensor in TF.js's quantized weight format, `quantization: { dtype:
 * 'uint8', scale, min }` in model.json: TF.js decodes entry v as
 * v * scale + min (then stores it as float32).
 */
export interface AffineUint8 {
  /** One byte per entry, same order as the input. */
  readonly data: Uint8Array;
  /** Step between levels, > 0, in the units of the entries (a JSON number: float64). */
  readonly scale: number;
  /** The value of level 0, in the units of the entries. */
  readonly min: number;
}

/**
 * Affine uint8 quantization of a whole tensor, the format TF.js can load:
 * min = min(x), scale = (max(x) - min) / 255, data = round((x - min) / scale).
 * Error per entry <= scale / 2 (before TF.js's float32 rounding). A
 * constant tensor gets scale 1 and data 0 (exact). The format has ONE scale
 * and min per tensor: per-channel int8 cannot be written into model.json,
 * so the download path must use this per tensor (a factor's columns then
 * share one grid) or split a factor into several tensors. Throws
 * NonFiniteMatrixError (row 0, column = index) on NaN or Infinity and
 * RangeError on an empty tensor.
 */
export function affineUint8(x: Float32Array | Float64Array): AffineUint8 {
  if (x.length === 0) throw new RangeError('Cannot quantize an empty tensor.');
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) throw new NonFiniteMatrixError(0, i, x[i]);
    min = Math.min(min, x[i]);
    max = Math.max(max, x[i]);
  }
  const scale = max > min ? (max - min) / 255 : 1;
  const data = new Uint8Array(x.length);
  for (let i = 0; i < x.length; i++) data[i] = Math.min(255, Math.round((x[i] - min) / scale));
  return { data, scale, min };
}

function checkShape(length: number, rows: number, cols: number): void {
  if (!Number.isSafeInteger(rows) || !Number.isSafeInteger(cols) || rows < 1 || cols < 1) {
    throw new RangeError(`A quantized matrix needs a positive shape, got [${rows}, ${cols}].`);
  }
  if (length !== rows * cols) throw new RangeError(`Shape [${rows}, ${cols}] needs ${rows * cols} entries, got ${length}.`);
}
