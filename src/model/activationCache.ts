import * as tf from '@tensorflow/tfjs';

/**
 * The inputs of the layers where a plan can change (factorizable layers), kept on
 * the backend between evaluations of one sample, so that a plan is scored
 * from the first layer whose weights differ from an earlier plan's: the
 * layers before it are not run again. An entry is one chunk's input to
 * chain layer `index`, valid for the prefix signature `key` (what layers
 * 0..index-1 computed). With it may sit `projected` = input x A_r of a
 * plain-SVD layer, shared by every rank of that layer.
 *
 * Budget: `budgetBytes` (default 512 MiB) over the tensors the cache owns:
 * enough for a Dense layer 9,216 wide behind a conv prefix on all 10,000
 * test images (369 MB), so its rank changes never run the convolutions again.
 * Past it, projections are evicted first (one matmul rebuilds them), then
 * the inputs of the earliest layers (a deeper input saves more work). The
 * budget is enforced after each evaluation, so one evaluation's new entries
 * may exceed it briefly. dispose() frees everything.
 */

interface Entry {
  key: string;
  /**
   * The input, as consecutive groups of rows (one tensor unless a pass made
   * it in pieces: joining a wide input whole took ~100 ms on wasm). The
   * cache's own tensors, disposed with the entry.
   */
  parts: tf.Tensor[];
  /** ||x||_F^2, for the Lipschitz bound's input norms. */
  normSq: number;
  /** Column blocks of the input's projection P = x A_r, computed as ranks ask for them. */
  projected: tf.Tensor2D[];
}

export const DEFAULT_ACTIVATION_BUDGET = 512 * 2 ** 20;

export class ActivationCache {
  private readonly chunks: Array<Map<number, Entry>>;

  constructor(chunkCount: number, readonly budgetBytes = DEFAULT_ACTIVATION_BUDGET) {
    this.chunks = Array.from({ length: chunkCount }, () => new Map());
  }

  /** The entry for (chunk, index) if it holds prefix `key`. */
  lookup(chunk: number, index: number, key: string): Entry | undefined {
    const e = this.chunks[chunk].get(index);
    return e && e.key === key ? e : undefined;
  }

  /** Whether every chunk holds (index, key). */
  holdsEverywhere(index: number, key: string): boolean {
    return this.chunks.every((_, c) => this.lookup(c, index, key) !== undefined);
  }

  /** Keeps `parts` (already tf.keep'd; the cache disposes them) as chunk's input to layer `index` under `key`, replacing what was there. */
  store(chunk: number, index: number, key: string, parts: tf.Tensor[], normSq: number): void {
    this.drop(chunk, index);
    this.chunks[chunk].set(index, { key, parts, normSq, projected: [] });
  }

  /** How many column blocks of the entry's projection P = x A_r are held (blocks 0..n-1). */
  blockCount(entry: Entry): number {
    return entry.projected.length;
  }

  /** Appends the entry's next projection block (the cache owns it from now on). */
  addBlock(entry: Entry, block: tf.Tensor2D): void {
    entry.projected.push(block);
  }

  /**
   * P_k B_k over rows `part` of the entry's input: the sum over the first
   * `count` blocks P_j (all held; see addBlock) of part(P_j) times
   * `rowsOfB(j)` (B's matching rows, those past k zeroed). No block is
   * sliced along its columns or concatenated: on the wasm backend both copy
   * row by row in JavaScript, which cost more than the products. The result
   * is a new tensor (call inside tf.tidy).
   */
  product(entry: Entry, count: number, rowsOfB: (j: number) => tf.Tensor2D, part: (p: tf.Tensor2D) => tf.Tensor2D = (p) => p): tf.Tensor2D {
    if (count > entry.projected.length) throw new Error(`projection block ${entry.projected.length} is missing`);
    const terms = entry.projected.slice(0, count).map((p, j) => tf.matMul(part(p), rowsOfB(j)) as tf.Tensor2D);
    return terms.length === 1 ? terms[0] : tf.addN(terms) as tf.Tensor2D;
  }

  /** Bytes of the tensors the cache owns. */
  get bytes(): number {
    let total = 0;
    for (const e of this.entries()) total += [...e.parts, ...e.projected].reduce((s, t) => s + t.size * 4, 0);
    return total;
  }

  /** Tensors the cache owns (for leak checks: everything else an evaluation makes is freed). */
  get tensors(): number {
    let n = 0;
    for (const e of this.entries()) n += e.parts.length + e.projected.length;
    return n;
  }

  /** Evicts projections, then the earliest layers' inputs, until the owned bytes fit the budget. */
  enforceBudget(): void {
    if (this.bytes <= this.budgetBytes) return;
    const indices = [...new Set(this.chunks.flatMap((m) => [...m.keys()]))].sort((a, b) => a - b);
    for (const index of [...indices].reverse()) {
      for (const m of this.chunks) {
        const e = m.get(index);
        if (e && e.projected.length > 0) {
          e.projected.forEach((p) => p.dispose());
          e.projected = [];
        }
      }
      if (this.bytes <= this.budgetBytes) return;
    }
    for (const index of indices) {
      this.chunks.forEach((_, c) => this.drop(c, index));
      if (this.bytes <= this.budgetBytes) return;
    }
  }

  dispose(): void {
    this.chunks.forEach((m, c) => [...m.keys()].forEach((index) => this.drop(c, index)));
  }

  private drop(chunk: number, index: number): void {
    const e = this.chunks[chunk].get(index);
    if (!e) return;
    e.parts.forEach((t) => t.dispose());
    e.projected.forEach((p) => p.dispose());
    this.chunks[chunk].delete(index);
  }

  private *entries(): Iterable<Entry> {
    for (const m of this.chunks) yield* m.values();
  }
}
