import * as tf from '@tensorflow/tfjs';
import type { KernelOverride } from './forward';

/**
 * Replacement weights of one factorizable layer as plain arrays: low-rank factors
 * A (m x rank) and B (rank x n), row-major, or a dense kernel (m x n) where
 * the method has no low-rank form; with a replacement bias (n) if any.
 */
export interface ReplacementWeights {
  kernel?: Float32Array;
  factors?: { a: Float32Array; b: Float32Array; rank: number };
  bias?: Float32Array;
}

/**
 * Replacement weights uploaded to the backend, kept between evaluations so
 * that a rank change of one layer does not upload the others again (their
 * factor arrays are the same objects: the method context caches them).
 * Keyed by the source arrays' identity. An entry in use by an evaluation is
 * never freed; past `capacity` entries, the least recently used idle ones
 * are disposed first. The lab sizes capacity at two per factorizable layer (the
 * slider's and a sweep's), so it holds at most that many layers' factors.
 */
interface Upload {
  source: ReplacementWeights;
  override: KernelOverride;
  inUse: number;
}

export class UploadCache {
  private readonly entries = new Map<Float32Array, Upload>();
  /** Entries replaced while an evaluation still used them: freed by their last release(). */
  private readonly retired = new Set<Upload>();
  /** Uploads made so far (for tests: a rank change of one layer uploads only that layer). */
  uploads = 0;

  constructor(private readonly capacity: number) {}

  /** The override for `weights` of an m x n layer, uploading it unless held; call release() with it when done. */
  acquire(weights: ReplacementWeights, m: number, n: number): KernelOverride {
    const key = weights.factors?.a ?? weights.kernel;
    if (!key) throw new Error('replacement weights need factors or a kernel');
    let entry = this.entries.get(key);
    if (entry && !sameSource(entry.source, weights)) {
      if (entry.inUse === 0) free(entry.override);
      else this.retired.add(entry);
      this.entries.delete(key);
      entry = undefined;
    }
    if (entry) {
      this.entries.delete(key);
    } else {
      const bias = weights.bias ? tf.tensor1d(weights.bias) : undefined;
      const override: KernelOverride = weights.factors
        ? { factors: [tf.tensor2d(weights.factors.a, [m, weights.factors.rank]), tf.tensor2d(weights.factors.b, [weights.factors.rank, n])], bias }
        : { kernel: tf.tensor2d(weights.kernel!, [m, n]), bias };
      entry = { source: weights, override, inUse: 0 };
      this.uploads++;
    }
    entry.inUse++;
    this.entries.set(key, entry);
    return entry.override;
  }

  /** Ends one use of `override`, then evicts idle entries past capacity. */
  release(override: KernelOverride): void {
    for (const e of this.entries.values()) if (e.override === override) e.inUse--;
    for (const e of this.retired) {
      if (e.override !== override || --e.inUse > 0) continue;
      free(e.override);
      this.retired.delete(e);
    }
    let excess = this.entries.size - this.capacity;
    for (const [key, e] of this.entries) {
      if (excess <= 0) break;
      if (e.inUse > 0) continue;
      free(e.override);
      this.entries.delete(key);
      excess--;
    }
  }

  /** Tensors held. */
  get tensors(): number {
    let n = 0;
    for (const e of [...this.entries.values(), ...this.retired]) n += (e.override.factors ? 2 : 1) + (e.override.bias ? 1 : 0);
    return n;
  }

  dispose(): void {
    for (const e of [...this.entries.values(), ...this.retired]) free(e.override);
    this.entries.clear();
    this.retired.clear();
  }
}

function sameSource(a: ReplacementWeights, b: ReplacementWeights): boolean {
  return a.kernel === b.kernel && a.factors?.a === b.factors?.a && a.factors?.b === b.factors?.b && a.factors?.rank === b.factors?.rank && a.bias === b.bias;
}

function free(o: KernelOverride): void {
  o.kernel?.dispose();
  o.factors?.forEach((t) => t.dispose());
  o.bias?.dispose();
}
