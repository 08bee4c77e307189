import { truncatedFactors } from '../../core/factors';
import { quantizeFactors } from '../../core/quantizeFactors';
import { UNIFORM_RANKS, type FactorMethod } from './context';

/**
 * Post-training SVD + quantization: the truncated SVD's U and V^T stored as
 * `bits`-bit integers per channel, the singular values in float. Scored as
 * the dequantized factors, so the accuracy shown is the stored model's.
 */
export function quantizedSvdMethod(bits: 8 | 4): FactorMethod {
  return {
    hint: `SVD factors stored as int${bits} per channel, singular values float`,
    storage: bits === 8
      ? '; the download stores both factors as TF.js uint8-quantized weights, with float per-channel scales in BatchNormalization layers.'
      : ' (4-bit packed); the download stores one byte per int4 value, since TF.js has no 4-bit weights.',
    grouped: false,
    quantizedBits: bits,
    // The comparison draws int8, the paper's main setting; int4 is reached from the method select.
    compare: bits === 8 ? UNIFORM_RANKS : undefined,
    async factors(ctx, l, rank) {
      const q = quantizeFactors(truncatedFactors(ctx.svds.get(l.name)!, rank), bits);
      return { export: { kind: 'quantized', u: q.u, singularValues: q.singularValues, vt: q.vt }, scoring: { factors: { a: q.a, b: q.b, rank } }, bytes: q.bytes };
    },
  };
}
