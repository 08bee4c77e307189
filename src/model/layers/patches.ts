import * as tf from '@tensorflow/tfjs';

/**
 * A Conv2D as a matrix product (im2col). A kernel kh x kw x c_in x c_out is
 * the matrix (c_in kh kw) x c_out whose rows run channel-major, row
 * (c kh + i) kw + j holding tap (i, j) of input channel c: contiguous row
 * groups are then groups of input channels, which ALDS splits a kernel
 * into. `patches` lays every output position's receptive field out in that
 * same order, so patches(x) W is the convolution (before bias).
 */

/** What the convolution does to its input, from the layer's config. */
export interface ConvGeometry {
  kernelSize: [number, number];
  strides: [number, number];
  padding: 'same' | 'valid';
  dilation: [number, number];
  /** Input channels (c_in). */
  channels: number;
}

const pair = (v: unknown, name: string): [number, number] => {
  const a = Array.isArray(v) ? v : [v, v];
  if (a.length !== 2 || !a.every((d) => Number.isSafeInteger(d) && d >= 1)) throw new Error(`Conv2D ${name} ${JSON.stringify(v)} is not one or two positive integers`);
  return [a[0] as number, a[1] as number];
};

/**
 * The geometry of a Conv2D layer from its Keras config and kernel shape
 * [kh, kw, c_in, c_out]. Throws for what the lab does not compute
 * (channels-first data, causal padding).
 */
export function convGeometry(config: tf.serialization.ConfigDict, kernelShape: readonly number[]): ConvGeometry {
  if (config.dataFormat !== undefined && config.dataFormat !== 'channelsLast') throw new Error(`Conv2D data format ${String(config.dataFormat)} is not supported; the lab reads channels-last convolutions`);
  const padding = config.padding ?? 'valid';
  if (padding !== 'same' && padding !== 'valid') throw new Error(`Conv2D padding "${String(padding)}" is not supported`);
  return {
    kernelSize: [kernelShape[0], kernelShape[1]],
    strides: pair(config.strides ?? 1, 'strides'),
    padding,
    dilation: pair(config.dilationRate ?? 1, 'dilation rate'),
    channels: kernelShape[2],
  };
}

/** Rows of the kernel matrix: c_in kh kw. */
export function patchSize(g: ConvGeometry): number {
  return g.channels * g.kernelSize[0] * g.kernelSize[1];
}

/** Output length along one axis and the padding before it (TF's rule: odd padding goes after). */
function axis(size: number, k: number, stride: number, dilation: number, padding: ConvGeometry['padding']): { out: number; before: number; total: number } {
  const span = (k - 1) * dilation + 1;
  if (padding === 'valid') return { out: Math.max(0, Math.floor((size - span) / stride) + 1), before: 0, total: 0 };
  const out = Math.ceil(size / stride);
  const total = Math.max(0, (out - 1) * stride + span - size);
  return { out, before: Math.floor(total / 2), total };
}

/** Output height and width of the convolution on an h x w input. */
export function convOutputSize(g: ConvGeometry, h: number, w: number): [number, number] {
  return [axis(h, g.kernelSize[0], g.strides[0], g.dilation[0], g.padding).out, axis(w, g.kernelSize[1], g.strides[1], g.dilation[1], g.padding).out];
}

/**
 * The receptive fields of `x` (N x H x W x c_in) as N x oh x ow x (c_in kh
 * kw), channel-major (see the file comment). Built from slices of the
 * padded input, so it differentiates on every backend (with stride 1) and
 * needs no kh kw c_in-square identity filter. Allocates: call inside tf.tidy.
 */
export function patches(x: tf.Tensor4D, g: ConvGeometry): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  if (c !== g.channels) throw new Error(`input has ${c} channels, the convolution ${g.channels}`);
  const [kh, kw] = g.kernelSize;
  const [sh, sw] = g.strides;
  const [dh, dw] = g.dilation;
  const ay = axis(h, kh, sh, dh, g.padding);
  const ax = axis(w, kw, sw, dw, g.padding);
  const padded = ay.total + ax.total > 0 ? tf.pad(x, [[0, 0], [ay.before, ay.total - ay.before], [ax.before, ax.total - ax.before], [0, 0]]) : x;
  const taps: tf.Tensor4D[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const begin: [number, number, number, number] = [0, i * dh, j * dw, 0];
      taps.push(sh === 1 && sw === 1
        ? tf.slice(padded, begin, [n, ay.out, ax.out, c])
        : tf.stridedSlice(padded, begin, [n, i * dh + (ay.out - 1) * sh + 1, j * dw + (ax.out - 1) * sw + 1, c], [1, sh, sw, 1]) as tf.Tensor4D);
    }
  }
  // [N, oh, ow, kh kw, c] -> [N, oh, ow, c, kh kw]: channel-major rows.
  const stacked = taps.length === 1 ? tf.expandDims(taps[0], 3) : tf.stack(taps, 3);
  return tf.reshape(tf.transpose(stacked, [0, 1, 2, 4, 3]), [n, ay.out, ax.out, c * kh * kw]);
}

/**
 * Moves every tap between TF.js's kernel order kh x kw x c_in x cols
 * (row-major) and the channel-major matrix order (c_in kh kw) x cols, either
 * way, for float weights and integer levels alike. Allocates the result.
 */
function reorderTaps<T extends Float32Array | Int8Array>(values: T, kh: number, kw: number, c: number, cols: number, toMatrix: boolean): T {
  const out = new (values.constructor as new (length: number) => T)(values.length);
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      for (let ch = 0; ch < c; ch++) {
        const inKernel = ((i * kw + j) * c + ch) * cols;
        const inMatrix = ((ch * kh + i) * kw + j) * cols;
        const [src, dst] = toMatrix ? [inKernel, inMatrix] : [inMatrix, inKernel];
        for (let q = 0; q < cols; q++) out[dst + q] = values[src + q];
      }
    }
  }
  return out;
}

/** A kernel kh x kw x c_in x c_out (row-major, as TF.js stores it) as the channel-major matrix (c_in kh kw) x c_out. */
export function kernelToMatrix(kernel: Float32Array, shape: readonly number[]): Float32Array {
  const [kh, kw, c, o] = shape;
  return reorderTaps(kernel, kh, kw, c, o, true);
}

/** The inverse of kernelToMatrix: a channel-major (c_in kh kw) x cols matrix (weights or integer levels) as a kh x kw x c_in x cols kernel. */
export function matrixToKernel<T extends Float32Array | Int8Array>(matrix: T, kh: number, kw: number, c: number, cols: number): T {
  return reorderTaps(matrix, kh, kw, c, cols, false);
}

/** matrixToKernel on the backend: a (c_in kh kw) x cols tensor as a kh x kw x c_in x cols filter. Call inside tf.tidy. */
export function filterOf(matrix: tf.Tensor2D, g: ConvGeometry): tf.Tensor4D {
  const [kh, kw] = g.kernelSize;
  return tf.transpose(tf.reshape(matrix, [g.channels, kh, kw, matrix.shape[1]]), [1, 2, 0, 3]);
}
