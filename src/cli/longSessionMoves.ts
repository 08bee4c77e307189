import { mulberry32 } from '../core/sampling';

/**
 * The moves of a long session (issue 11): rank changes across a model's
 * layers from a fixed seed, with a switch of factor method about every 60
 * moves, every method at least once. The browser test and the bench replay
 * the same list, so a failure or a slow task replays too.
 */

/** One move: a layer to a rank, or a method switch. */
export type SessionMove = { layer: string; rank: number } | { method: string };

export function longSessionMoves(methods: readonly string[], layers: ReadonlyArray<{ name: string; limit: number }>, count = 1000, seed = 11): SessionMove[] {
  const random = mulberry32(seed);
  const moves: SessionMove[] = [];
  const order = [...methods.filter((m) => m !== 'svd'), 'svd', ...methods];
  for (let i = 0, next = 0; moves.length < count; i++) {
    if (i > 0 && i % 60 === 0) moves.push({ method: order[next++ % order.length] });
    else {
      const l = layers[Math.floor(random() * layers.length)];
      moves.push({ layer: l.name, rank: 1 + Math.floor(random() * l.limit) });
    }
  }
  return moves;
}
