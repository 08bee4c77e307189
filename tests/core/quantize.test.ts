import { describe, expect, it } from 'vitest';
import {
  affineUint8,
  dequantize,
  packInt4,
  quantizedBytes,
  quantizeSymmetric,
  symmetricLevels,
  unpackInt4,
  type ChannelAxis,
  type QuantizationBits,
} from '../../src/core/quantize';
import { NonFiniteMatrixError } from '../../src/core/svd';
import { gaussianMatrix } from './reference';

// 9 x 7 with channel magnitudes spread over four decades, so that a scale
// shared across channels would show up as a large error.
const ROWS = 9;
const COLS = 7;
const X = (() => {
  const g = gaussianMatrix(ROWS, COLS, 8);
  return Float32Array.from(g, (v, i) => v * 10 ** ((Math.floor(i / COLS) + (i % COLS)) / 4 - 2));
})();
// Dequantized values are float32 products q * scale: one more rounding of
// relative size 2^-24 on top of the scale / 2 of the grid.
const F32 = 2 ** -23;

describe.each([
  [8, 'row'],
  [8, 'column'],
  [4, 'row'],
  [4, 'column'],
] as [QuantizationBits, ChannelAxis][])('quantizeSymmetric int%i per %s', (bits, axis) => {
  const quantized = quantizeSymmetric(X, ROWS, COLS, bits, axis);
  const qmax = symmetricLevels(bits);
  const channelOf = (i: number, j: number) => (axis === 'row' ? i : j);

  it('keeps one scale per channel, max|x_c| / qmax', () => {
    expect(quantized.scales.length).toBe(axis === 'row' ? ROWS : COLS);
    const maxAbs = new Float64Array(quantized.scales.length);
    for (let i = 0; i < ROWS; i++) {
      for (let j = 0; j < COLS; j++) maxAbs[channelOf(i, j)] = Math.max(maxAbs[channelOf(i, j)], Math.abs(X[i * COLS + j]));
    }
    // Stored as float32: within one float32 rounding of the exact ratio.
    quantized.scales.forEach((s, c) => expect(Math.abs(s - maxAbs[c] / qmax)).toBeLessThanOrEqual(F32 * s));
  });

  it('stays on the grid -qmax..qmax and reaches it at each channel maximum', () => {
    const reached = new Set<number>();
    for (let i = 0; i < ROWS; i++) {
      for (let j = 0; j < COLS; j++) {
        const q = quantized.q[i * COLS + j];
        expect(Math.abs(q)).toBeLessThanOrEqual(qmax);
        if (Math.abs(q) === qmax) reached.add(channelOf(i, j));
      }
    }
    expect(reached.size).toBe(quantized.scales.length);
  });

  it('round-trips every entry within scale / 2', () => {
    const back = dequantize(quantized);
    for (let i = 0; i < ROWS; i++) {
      for (let j = 0; j < COLS; j++) {
        const x = X[i * COLS + j];
        const half = quantized.scales[channelOf(i, j)] / 2;
        expect(Math.abs(back[i * COLS + j] - x)).toBeLessThanOrEqual(half + F32 * Math.abs(x));
      }
    }
  });

  it('is odd: q(-x) = -q(x)', () => {
    const negated = quantizeSymmetric(X.map((v) => -v), ROWS, COLS, bits, axis);
    negated.q.forEach((q, i) => expect(q).toBe(-quantized.q[i] || 0));
  });
});

describe('quantizeSymmetric by hand', () => {
  it('rounds halves away from zero on an int4 channel of scale 1', () => {
    const x = Float32Array.of(7, 2.5, -2.5, 0.49, -7, 1.5);
    const { q, scales } = quantizeSymmetric(x, 1, 6, 4, 'row');
    expect(Array.from(scales)).toEqual([1]);
    expect(Array.from(q)).toEqual([7, 3, -3, 0, -7, 2]);
  });

  it('gives an all-zero channel scale 1 and zeros, leaving the others alone', () => {
    const x = Float32Array.of(0, 1, 0, -1, 0, 4); // 3 x 2: column 0 is zero
    const quantized = quantizeSymmetric(x, 3, 2, 8, 'column');
    expect(quantized.scales[0]).toBe(1);
    expect(quantized.scales[1]).toBeCloseTo(4 / 127, 7);
    expect(Array.from(quantized.q)).toEqual([0, 32, 0, -32, 0, 127]);
    expect(Array.from(dequantize(quantized)).filter((_, i) => i % 2 === 0)).toEqual([0, 0, 0]);
  });

  it('refuses NaN, other bit widths and shapes that do not fit', () => {
    expect(() => quantizeSymmetric(Float32Array.of(1, Number.NaN), 1, 2, 8, 'row')).toThrow(NonFiniteMatrixError);
    expect(() => quantizeSymmetric(Float32Array.of(1, 2), 1, 2, 3 as QuantizationBits, 'row')).toThrow(RangeError);
    expect(() => quantizeSymmetric(Float32Array.of(1, 2, 3), 1, 2, 8, 'row')).toThrow(RangeError);
  });
});

describe('int4 packing', () => {
  it('round-trips all 16 values -8..7, in both nibble positions', () => {
    const values = Int8Array.from({ length: 16 }, (_, i) => i - 8);
    const reversed = values.slice().reverse();
    for (const q of [values, reversed]) expect(Array.from(unpackInt4(packInt4(q), 16))).toEqual(Array.from(q));
  });

  it('puts element 2i in the low nibble and 2i+1 in the high nibble, two\'s complement', () => {
    expect(Array.from(packInt4(Int8Array.of(1, -1, -8, 7)))).toEqual([0xf1, 0x78]);
  });

  it('pads an odd count with a zero high nibble and unpacks only the requested length', () => {
    const packed = packInt4(Int8Array.of(3, -2, 5));
    expect(Array.from(packed)).toEqual([0xe3, 0x05]);
    expect(Array.from(unpackInt4(packed, 3))).toEqual([3, -2, 5]);
  });

  it('refuses values outside -8..7 and buffers too short for the length', () => {
    expect(() => packInt4(Int8Array.of(8))).toThrow(RangeError);
    expect(() => packInt4(Int8Array.of(-9))).toThrow(RangeError);
    expect(() => unpackInt4(new Uint8Array(2), 5)).toThrow(RangeError);
  });
});

describe('quantizedBytes', () => {
  it('counts the payload and 4 bytes per scale', () => {
    expect(quantizedBytes(784, 64, 8, 64)).toBe(784 * 64 + 256); // 50432
    expect(quantizedBytes(784, 64, 4, 64)).toBe(784 * 32 + 256); // 25344
    expect(quantizedBytes(3, 3, 4, 3)).toBe(5 + 12); // 9 nibbles round up to 5 bytes
    expect(quantizedBytes(1, 1, 8, 0)).toBe(1);
  });
});

describe('affineUint8 (TF.js weight-manifest quantization)', () => {
  it('decodes as data * scale + min within scale / 2, with min at 0 and max at 255', () => {
    const { data, scale, min } = affineUint8(X);
    let lo = Infinity;
    let hi = -Infinity;
    X.forEach((x) => {
      lo = Math.min(lo, x);
      hi = Math.max(hi, x);
    });
    expect(min).toBe(lo);
    expect(scale).toBeCloseTo((hi - lo) / 255, 12);
    X.forEach((x, i) => expect(Math.abs(data[i] * scale + min - x)).toBeLessThanOrEqual(scale / 2 + 1e-12 * Math.abs(x)));
    expect(Math.min(...data)).toBe(0);
    expect(Math.max(...data)).toBe(255);
  });

  it('stores a constant tensor exactly, and refuses empty or NaN tensors', () => {
    const { data, scale, min } = affineUint8(Float32Array.of(-0.5, -0.5, -0.5));
    expect(Array.from(data, (v) => v * scale + min)).toEqual([-0.5, -0.5, -0.5]);
    expect(() => affineUint8(new Float32Array(0))).toThrow(RangeError);
    expect(() => affineUint8(Float32Array.of(0, Number.POSITIVE_INFINITY))).toThrow(NonFiniteMatrixError);
  });
});
