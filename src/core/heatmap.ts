/**
 * Large weight matrices drawn as heatmaps of at most ~256 x 256 cells: each
 * cell is the mean of a block of rows x cols entries (the blocks at the
 * bottom and right edges may be smaller). Block averaging is linear and
 * separable, so the cell means of W_k = U_k S_k V_k^T come straight from the
 * block means of U's and V's rows: cells x k work instead of forming the
 * m x n product first.
 */

/** How an m x n matrix is cut into blocks: blockRows x blockCols entries each, rows x cols cells. */
export interface BlockGrid {
  m: number;
  n: number;
  blockRows: number;
  blockCols: number;
  rows: number;
  cols: number;
}

/** The blocks for an m x n matrix: the smallest block size along each axis that leaves at most maxCells cells there (1 for small matrices). */
export function blockGrid(m: number, n: number, maxCells = 256): BlockGrid {
  if (!(m >= 1 && n >= 1 && maxCells >= 1)) throw new RangeError(`A heatmap needs a non-empty matrix and at least one cell, got ${m}x${n} into ${maxCells}.`);
  const blockRows = Math.ceil(m / maxCells);
  const blockCols = Math.ceil(n / maxCells);
  return { m, n, blockRows, blockCols, rows: Math.ceil(m / blockRows), cols: Math.ceil(n / blockCols) };
}

/**
 * Means of each block of the row-major m x n `data` under `grid`, as a
 * row-major rows x cols Float64Array. Each cell averages only the entries
 * its block holds, so sum(cell mean x entries in the cell) is the matrix's sum.
 */
export function blockAverage(data: ArrayLike<number>, grid: BlockGrid): Float64Array {
  const { m, n, blockRows, blockCols, rows, cols } = grid;
  if (data.length !== m * n) throw new RangeError(`Shape [${m}, ${n}] needs ${m * n} entries, got ${data.length}.`);
  const sums = new Float64Array(rows * cols);
  for (let i = 0; i < m; i++) {
    const cellRow = Math.floor(i / blockRows) * cols;
    for (let j = 0; j < n; j++) sums[cellRow + Math.floor(j / blockCols)] += data[i * n + j];
  }
  for (let r = 0; r < rows; r++) {
    const h = Math.min(blockRows, m - r * blockRows);
    for (let c = 0; c < cols; c++) sums[r * cols + c] /= h * Math.min(blockCols, n - c * blockCols);
  }
  return sums;
}

/**
 * Means over blocks of `block` consecutive rows of a row-major
 * length x width matrix (the last block may be shorter): ceil(length /
 * block) x width, row-major. Used on U's and V's rows.
 */
export function averageRowBlocks(data: ArrayLike<number>, length: number, width: number, block: number): Float64Array {
  const rows = Math.ceil(length / block);
  const out = new Float64Array(rows * width);
  for (let i = 0; i < length; i++) {
    const base = Math.floor(i / block) * width;
    for (let c = 0; c < width; c++) out[base + c] += data[i * width + c];
  }
  for (let r = 0; r < rows; r++) {
    const h = Math.min(block, length - r * block);
    for (let c = 0; c < width; c++) out[r * width + c] /= h;
  }
  return out;
}

/**
 * The cell means of U_k S_k V_k^T: sum over l < k of s_l uMeans[p, l]
 * vMeans[q, l], with uMeans (rows x r) and vMeans (cols x r) the block
 * means of U's and V's rows (averageRowBlocks). Equal to blockAverage of
 * the full product, up to rounding. k is clamped to [0, r].
 */
export function blockAveragedProduct(uMeans: Float64Array, s: ArrayLike<number>, vMeans: Float64Array, r: number, k: number): Float64Array {
  const rows = uMeans.length / r;
  const cols = vMeans.length / r;
  const kk = Math.max(0, Math.min(r, Math.floor(k)));
  const out = new Float64Array(rows * cols);
  for (let p = 0; p < rows; p++) {
    for (let l = 0; l < kk; l++) {
      const w = uMeans[p * r + l] * s[l];
      if (w === 0) continue;
      for (let q = 0; q < cols; q++) out[p * cols + q] += w * vMeans[q * r + l];
    }
  }
  return out;
}

/** a - b elementwise, a new array (W - W_k from the two cell grids). */
export function difference(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  if (a.length !== b.length) throw new RangeError(`Grids of ${a.length} and ${b.length} cells cannot be subtracted.`);
  return Float64Array.from(a, (x, i) => x - b[i]);
}
