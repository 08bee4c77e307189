/**
 * The order and the sizes of a block one-sided Jacobi SVD: which column
 * blocks meet in which round, and how many workgroups each round needs. Pure
 * arithmetic shared by the WebGPU dispatcher (src/gpu/blockJacobi.ts) and
 * its tests; no device involved.
 */

/**
 * Round-robin tournament ("circle method") over `count` players, count even:
 * count - 1 rounds of count / 2 disjoint pairs; every pair meets exactly
 * once. Player 0 stays put and the others rotate one seat per round, which is
 * what makes the pairs of a round disjoint, so they can run in parallel.
 */
export function roundRobinRounds(count: number): Array<Array<[number, number]>> {
  if (!Number.isSafeInteger(count) || count < 2 || count % 2 !== 0) {
    throw new RangeError(`A round-robin needs an even number of at least 2 players, got ${count}.`);
  }
  const seats = Array.from({ length: count }, (_, i) => i);
  const rounds: Array<Array<[number, number]>> = [];
  for (let round = 0; round < count - 1; round++) {
    const pairs: Array<[number, number]> = [];
    for (let k = 0; k < count / 2; k++) {
      const a = seats[k];
      const b = seats[count - 1 - k];
      pairs.push(a < b ? [a, b] : [b, a]);
    }
    rounds.push(pairs);
    // Rotate every seat but the first one position clockwise.
    seats.splice(1, 0, seats.pop()!);
  }
  return rounds;
}

/** How a q-column work matrix is cut into blocks for block Jacobi. */
export interface BlockLayout {
  /** Columns per block. */
  blockSize: number;
  /** Number of blocks, even (a block of zero columns is added when needed). */
  blocks: number;
  /** Columns including zero padding: blocks * blockSize >= q. */
  paddedColumns: number;
  /** Rounds per sweep: blocks - 1. */
  rounds: number;
  /** Block pairs per round, one workgroup each: blocks / 2. */
  pairsPerRound: number;
}

/** Cuts q columns into an even number of blocks of `blockSize` (at least 2 blocks). */
export function blockLayout(q: number, blockSize: number): BlockLayout {
  if (!Number.isSafeInteger(q) || q < 1) throw new RangeError(`Need at least one column, got ${q}.`);
  let blocks = Math.max(2, Math.ceil(q / blockSize));
  if (blocks % 2 === 1) blocks += 1;
  return { blockSize, blocks, paddedColumns: blocks * blockSize, rounds: blocks - 1, pairsPerRound: blocks / 2 };
}

/** Dispatches one block Jacobi SVD records for `sweeps` sweeps: one per round plus one bookkeeping pass per sweep. */
export function dispatchesPerSweeps(layout: BlockLayout, sweeps: number): number {
  return sweeps * (layout.rounds + 1);
}

/** The flat table of block pairs, round after round, as the shader reads it (u32 pairs). */
export function pairTable(layout: BlockLayout): Uint32Array {
  const rounds = roundRobinRounds(layout.blocks);
  const table = new Uint32Array(layout.rounds * layout.pairsPerRound * 2);
  rounds.forEach((pairs, r) => pairs.forEach(([a, b], k) => {
    const at = (r * layout.pairsPerRound + k) * 2;
    table[at] = a;
    table[at + 1] = b;
  }));
  return table;
}
