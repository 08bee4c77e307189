import * as tf from '@tensorflow/tfjs';
import { symmetricLevels, type SymmetricQuantized } from '../core/quantize';
import type { FactorLayers, FactorSite, IntegerKernel, QuantizedExportFactors } from './exportLayers';

/**
 * Quantized SVD factors in a stock TF.js LayersModel, exact up to float32
 * rounding. The lab's kernel is
 *   W' = deq(U) diag(s) deq(V^T) = Q_U diag(scaleU s) Q_V diag(scaleV),
 * with Q_U, Q_V integer matrices. TF.js's weight manifest can store a tensor
 * as uint8 with ONE affine (scale, min) per tensor, which cannot express a
 * scale per column, but it can store the integer matrices themselves
 * (scale 1, min -qmax: byte = q + qmax, one byte per value, int4 too). The
 * per-channel scales then run as their own layers between the two integer
 * matmuls, where they are per-channel multiplications:
 *   map `<name>_u` (kernel Q_U) -> scale by scaleU s `<name>_s`
 *   -> mix `<name>_v` (kernel Q_V) -> scale by scaleV, add bias `<name>_b`
 *   -> Activation `<name>` (left out for a linear layer).
 * The scales are BatchNormalization layers in inference mode, the one stock
 * layer with a per-channel multiply and add. Neither scale can be folded
 * into a neighbouring kernel without making it non-integer.
 */

/**
 * BatchNormalization computes gamma (x - mean) / sqrt(variance + epsilon) +
 * beta. With epsilon = 2^-10 and variance = 1 - 2^-10, both exact in
 * float32, variance + epsilon is exactly 1 on every backend, so the layer
 * is x gamma + beta with gamma stored as is (no square root to round).
 */
const EXACT_EPSILON = 2 ** -10;
const EXACT_VARIANCE = 1 - EXACT_EPSILON;

/** A per-channel x * scale (+ shift) layer over `scale.length` channels, as stock BatchNormalization. */
function channelScale(site: FactorSite, name: string, scale: Float32Array, shift: tf.Tensor1D | null): [tf.layers.Layer, tf.Tensor[]] {
  const channels = scale.length;
  const layer = tf.layers.batchNormalization({ axis: -1, epsilon: EXACT_EPSILON, center: shift !== null, scale: true, name });
  const gamma = site.own(tf.tensor1d(scale));
  const mean = site.own(tf.zeros([channels]));
  const variance = site.own(tf.fill([channels], EXACT_VARIANCE));
  // TF.js orders BatchNormalization weights gamma, beta, moving mean, moving variance.
  return [layer, shift ? [gamma, shift, mean, variance] : [gamma, mean, variance]];
}

function checkQuantized(site: FactorSite, f: QuantizedExportFactors): number {
  const { u, vt, singularValues } = f;
  const k = u.cols;
  const fits = (x: SymmetricQuantized, rows: number, cols: number) =>
    x.rows === rows && x.cols === cols && x.axis === 'column' && x.q.length === rows * cols && x.scales.length === cols;
  if (!fits(u, site.m, k) || !fits(vt, k, site.n) || singularValues.length !== k) {
    throw new RangeError(
      `${site.name}: quantized factors U ${u.rows}x${u.cols} (${u.axis}), ${singularValues.length} singular values, ` +
      `V^T ${vt.rows}x${vt.cols} (${vt.axis}) do not fit a ${site.m}x${site.n} kernel with per-column scales.`,
    );
  }
  return k;
}

/**
 * The stock layers for quantized factors (see the file comment), with Q_U
 * and Q_V registered as integer kernels for the shard. Every tensor made is
 * registered with `site.own`. Throws RangeError when the factors do not fit
 * the layer or are not quantized per column.
 */
export function quantizedFactorLayers(site: FactorSite, f: QuantizedExportFactors): FactorLayers {
  const k = checkQuantized(site, f);
  const { u, vt, singularValues } = f;
  const uScaled = new Float32Array(k);
  for (let c = 0; c < k; c++) uScaled[c] = u.scales[c] * singularValues[c];
  const first = site.form.map(k, `${site.name}_u`);
  const second = site.form.mix(site.n, `${site.name}_v`, 'linear', false);
  // Q_U in the map layer's own layout (a conv filter's order differs from the matrix's): the shard stores it so.
  const uLevels = site.form.mapValues(u.q, k);
  const layers: FactorLayers['layers'] = [
    [first, [site.own(tf.tensor(Float32Array.from(uLevels.values), uLevels.shape))]],
    channelScale(site, `${site.name}_s`, uScaled, null),
    [second, [site.own(tf.tensor(Float32Array.from(vt.q), site.form.mixShape(k, site.n)))]],
    channelScale(site, `${site.name}_b`, vt.scales, site.bias),
  ];
  if (site.activation !== 'linear') layers.push([tf.layers.activation({ activation: site.activation as never, name: site.name }), []]);
  return {
    layers,
    integerKernels: new Map([
      [`${site.name}_u/kernel`, { q: uLevels.values, qmax: symmetricLevels(u.bits) }],
      [`${site.name}_v/kernel`, { q: vt.q, qmax: symmetricLevels(vt.bits) }],
    ]),
  };
}

const BYTES_PER_VALUE: Partial<Record<string, number>> = { float32: 4, int32: 4, bool: 1 };

/**
 * Rewrites TF.js's saved weights so that each kernel in `kernels` (by
 * weight name) is stored as one uint8 per value, q + qmax, with the
 * manifest entry `quantization: { dtype: 'uint8', scale: 1, min: -qmax }`
 * that TF.js's decodeWeights turns back into q exactly. Other weights are
 * copied unchanged; offsets follow the specs' order as TF.js reads them.
 * Pure: returns new specs and a new buffer. Throws when a named kernel is
 * missing, is not float32, or does not hold exactly its integers (which
 * would mean the file decodes to something else than the model held).
 */
export function storeIntegerKernels(
  specs: readonly tf.io.WeightsManifestEntry[],
  data: ArrayBuffer,
  kernels: ReadonlyMap<string, IntegerKernel>,
): { specs: tf.io.WeightsManifestEntry[]; data: ArrayBuffer } {
  const chunks: Uint8Array[] = [];
  const outSpecs: tf.io.WeightsManifestEntry[] = [];
  let offset = 0;
  for (const spec of specs) {
    const size = spec.shape.reduce((p, d) => p * d, 1);
    const width = BYTES_PER_VALUE[spec.dtype];
    if (width === undefined || spec.quantization) throw new Error(`Cannot re-pack weight ${spec.name} (${spec.dtype}).`);
    const bytes = new Uint8Array(data, offset, size * width);
    offset += size * width;
    const integers = kernels.get(spec.name);
    if (!integers) {
      chunks.push(bytes);
      outSpecs.push(spec);
      continue;
    }
    const values = new Float32Array(data.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    const onGrid = integers.q.every((q) => Math.abs(q) <= integers.qmax);
    if (spec.dtype !== 'float32' || !onGrid || values.length !== integers.q.length || values.some((v, i) => v !== integers.q[i])) {
      throw new Error(`Weight ${spec.name} does not hold the integer kernel (levels within +-${integers.qmax}) it should.`);
    }
    chunks.push(Uint8Array.from(integers.q, (q) => q + integers.qmax));
    outSpecs.push({ ...spec, quantization: { dtype: 'uint8', scale: 1, min: -integers.qmax } });
  }
  const missing = [...kernels.keys()].filter((name) => !specs.some((s) => s.name === name));
  if (missing.length > 0) throw new Error(`No saved weight named ${missing.join(', ')}.`);
  const out = new Uint8Array(chunks.reduce((s, c) => s + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return { specs: outSpecs, data: out.buffer };
}
