/**
 * Seeded randomness for everything that must come out the same on every run:
 * picking the calibration images, shuffling training batches. Math.random
 * cannot be seeded, so the scripts and the tests share this tiny generator.
 */

/** A source of uniform numbers in [0, 1); successive calls advance its state. */
export type Rng = () => number;

/**
 * Mulberry32: a 32-bit-state generator, fast and good enough for shuffling
 * and sampling (not for cryptography). The same `seed` (any integer; only its
 * low 32 bits count) always gives the same sequence, on every JS engine,
 * because it only uses 32-bit integer arithmetic.
 */
export function mulberry32(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A uniform integer in 0..n-1 drawn from `rng`. */
function randomBelow(rng: Rng, n: number): number {
  return Math.min(n - 1, Math.floor(rng() * n));
}

/**
 * Shuffles `items` in place (Fisher-Yates) and returns it. Each of the n!
 * orders is equally likely for a good `rng`; draws n-1 numbers from it.
 */
export function shuffleInPlace<T extends { length: number; [i: number]: number }>(items: T, rng: Rng): T {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomBelow(rng, i + 1);
    const tmp = items[i];
    items[i] = items[j];
    items[j] = tmp;
  }
  return items;
}

/** A uniformly random permutation of 0..n-1 (length n), drawn from `rng`. */
export function seededPermutation(n: number, rng: Rng): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return shuffleInPlace(order, rng);
}

/**
 * Picks `count` distinct indices into `labels` with the classes as even as
 * possible: every class in 0..numClasses-1 gets floor(count/numClasses) items
 * and the first count%numClasses classes one more. Within a class the picks
 * are uniform without replacement; the result is shuffled so that any prefix
 * is roughly balanced too. Deterministic for a given `rng` state. Throws
 * RangeError if some class has fewer examples than its quota.
 */
export function sampleClassBalanced(labels: Uint8Array, numClasses: number, count: number, rng: Rng): Uint32Array {
  const byClass: number[][] = Array.from({ length: numClasses }, () => []);
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] < numClasses) byClass[labels[i]].push(i);
  }
  const base = Math.floor(count / numClasses);
  const picks = new Uint32Array(count);
  let filled = 0;
  for (let c = 0; c < numClasses; c++) {
    const quota = base + (c < count % numClasses ? 1 : 0);
    const pool = byClass[c];
    if (pool.length < quota) {
      throw new RangeError(`Class ${c} has ${pool.length} examples but ${quota} were requested; ask for fewer.`);
    }
    // Partial Fisher-Yates: only the first `quota` slots need to be drawn.
    for (let k = 0; k < quota; k++) {
      const j = k + randomBelow(rng, pool.length - k);
      const tmp = pool[k];
      pool[k] = pool[j];
      pool[j] = tmp;
      picks[filled++] = pool[k];
    }
  }
  return shuffleInPlace(picks, rng);
}
