/**
 * The image-SVD warm-up of a lesson: a greyscale picture (rows x cols,
 * values 0..1) is a matrix like any layer's kernel, so its rank-k
 * approximation U_k S_k V_k^T, the bytes of the factors against the pixels
 * and the break-even rank show what the lab does to weights on something a
 * person can look at. The SVD is the lab's own float64 one-sided Jacobi
 * (core/svd.ts), taken once per image; a rank change only forms a product.
 */
import { svdJacobi, type Svd } from './svd';

/** A greyscale image as a row-major matrix of intensities in [0, 1] (0 black, 1 white). */
export interface GreyImage {
  readonly rows: number;
  readonly cols: number;
  readonly pixels: Float64Array;
}

/**
 * The image from 8-bit pixels (0..255, row-major rows x cols), scaled to
 * [0, 1]. Reads `count` = rows cols bytes from `offset` (an MNIST sample's
 * image i sits at offset i rows cols). Throws RangeError when the bytes run
 * short.
 */
export function greyImageFromBytes(bytes: Uint8Array, rows: number, cols: number, offset = 0): GreyImage {
  if (offset < 0 || offset + rows * cols > bytes.length) throw new RangeError(`A ${rows}x${cols} image at byte ${offset} needs ${rows * cols} bytes; only ${bytes.length - offset} are there.`);
  const pixels = new Float64Array(rows * cols);
  for (let i = 0; i < pixels.length; i++) pixels[i] = bytes[offset + i] / 255;
  return { rows, cols, pixels };
}

/** The thin SVD of the image as a rows x cols matrix (float64; about 50 ms for 128 x 128, under 1 ms for 28 x 28). */
export function imageSvd(image: GreyImage): Svd {
  return svdJacobi(image.pixels, [image.rows, image.cols]);
}

/**
 * The best rank-k approximation U_k S_k V_k^T (Eckart-Young) as a new
 * row-major m x n Float64Array; k is clamped to [0, r] (0 gives zeros).
 * Costs m n k multiply-adds: 128 x 128 at k = 64 is about a million.
 */
export function rankKApproximation(svd: Svd, k: number): Float64Array {
  const { u, s, v, m, n, r } = svd;
  const kk = Math.max(0, Math.min(r, Math.floor(k)));
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    const row = i * n;
    for (let c = 0; c < kk; c++) {
      const weight = u[i * r + c] * s[c];
      if (weight === 0) continue;
      for (let j = 0; j < n; j++) out[row + j] += weight * v[j * r + c];
    }
  }
  return out;
}

/** What storing an m x n matrix as rank-k factors costs against storing it whole, in values and float32 bytes. */
export interface RankKStorage {
  k: number;
  /** m n values, 4 m n bytes: the matrix as it is. */
  originalValues: number;
  originalBytes: number;
  /** k (m + n) values, 4 k (m + n) bytes: U_k S_k (m x k) and V_k^T (k x n). */
  factorValues: number;
  factorBytes: number;
  /** floor(m n / (m + n)): from the rank above it on, the factors take more room than the matrix. */
  breakEvenRank: number;
  /** factorBytes / originalBytes. */
  ratio: number;
}

/** The storage arithmetic of rank k for an m x n matrix (float32 values, 4 bytes each). Pure; no check that k <= min(m, n). */
export function rankKStorage(m: number, n: number, k: number): RankKStorage {
  const originalValues = m * n;
  const factorValues = k * (m + n);
  return {
    k,
    originalValues,
    originalBytes: 4 * originalValues,
    factorValues,
    factorBytes: 4 * factorValues,
    breakEvenRank: Math.floor(originalValues / (m + n)),
    ratio: factorValues / originalValues,
  };
}

/** ||A - A_k||_F over the rows x cols pixels, measured on the two arrays (the warm-up's "error" line). */
export function frobeniusDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`Arrays of ${a.length} and ${b.length} values cannot be compared.`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] - b[i]) ** 2;
  return Math.sqrt(sum);
}
