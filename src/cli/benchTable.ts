/**
 * Small helpers for the benchmark's printed tables: order statistics and a
 * Markdown table with padded columns.
 */

/** The q-quantile (0..1) of `xs` by the nearest-rank rule; NaN for an empty list. */
export function quantile(xs: readonly number[], q: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** The median of `xs` (upper median for an even count). */
export function median(xs: readonly number[]): number {
  return quantile(xs, 0.5);
}

/** A Markdown table of `rows` under `head`, columns padded to their widest cell. */
export function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/** What a rank change costs on an open session (only the evaluate call it triggers). */
export interface SessionTiming {
  p50: number;
  p95: number;
  /** One layer's sweep over ranks 1..64, ms. */
  sweepMs: number;
}

/**
 * Times `count` rank changes of mlp-64's two hidden layers (a fixed pseudo-
 * random walk, after one warm-up) and a sweep of fc1 over ranks 1..64, on an
 * already open session. The same figures on every machine the bench runs on.
 */
export async function timeSession(session: { evaluate(plan: Record<string, number>): Promise<unknown> }, count: number): Promise<SessionTiming> {
  await session.evaluate({ fc1: 2 });
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    await session.evaluate({ fc1: 1 + ((i * 17) % 59), fc2: 1 + ((i * 5) % 31) });
    times.push(performance.now() - t);
  }
  const t = performance.now();
  for (let k = 1; k <= 64; k++) await session.evaluate({ fc1: k });
  return { p50: quantile(times, 0.5), p95: quantile(times, 0.95), sweepMs: performance.now() - t };
}
