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
