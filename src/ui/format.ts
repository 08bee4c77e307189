/**
 * How numbers are written in the UI. One place, so the page, the charts and
 * the tests read the same text.
 */

/** A fraction as a percentage with two decimals, e.g. 0.95381 -> "95.38%". */
export function formatPercent(fraction: number): string {
  return `${(100 * fraction).toFixed(2)}%`;
}

/** Bytes with a binary unit, e.g. 220200 -> "215.0 KiB". */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(2)} MiB`;
}

/**
 * A parameter count with thousands separators, e.g. 55050 -> "55,050".
 * Written by hand: the first toLocaleString call loads the locale data,
 * about 40 ms of the lab's first render.
 */
export function formatCount(n: number): string {
  if (!Number.isSafeInteger(n)) return n.toLocaleString('en-US');
  const digits = String(Math.abs(n)).replace(/\B(?=(\d{3})+$)/g, ',');
  return n < 0 ? `-${digits}` : digits;
}

/** A compression ratio, e.g. 3.698 -> "3.70x". */
export function formatRatio(r: number): string {
  return `${r.toFixed(2)}x`;
}
