import type { LabSession } from './session';

/**
 * A layer's kernel matrix and its SVD factors as plain arrays, for the
 * teaching views (heatmaps of W, W_k, W - W_k; singular vectors drawn as
 * images). Nothing is computed or copied here: the arrays are the ones the
 * session read at load and the SVD it took then, so the views never hold a
 * tensor and never decompose a kernel again. Callers must not modify them.
 */

/** How an input-space direction (a column of U, length m) of a layer is drawn as pictures. */
export type DirectionLayout =
  /** A Dense layer on the flattened 28 x 28 image: each direction is one 28 x 28 image (pixel order row-major). */
  | { kind: 'image'; rows: 28; cols: 28 }
  /** A Conv2D on the image: each direction is c_in filters of kh x kw taps (rows channel-major: channel c at rows c kh kw ...). */
  | { kind: 'filters'; rows: number; cols: number; channels: number }
  /** The layer does not read the image itself: `why` says so in a sentence. */
  | { kind: 'none'; why: string };

/** A factorizable layer's W = U diag(s) V^T, row-major, with its shapes. */
export interface LayerMatrices {
  layer: string;
  /** W's rows (inputs, c_in kh kw for a convolution) and columns (outputs). */
  m: number;
  n: number;
  /** W, m x n row-major, float32 as the model stores it. */
  kernel: Float32Array;
  /** U, m x r; s, r values descending; V, n x r (not V^T); r = the SVD's rank (min(m, n), or the top-k the lab took). */
  u: Float64Array;
  s: Float64Array;
  v: Float64Array;
  r: number;
  /** The layer's shape as stored, e.g. [784, 64] or [5, 5, 1, 16]. */
  weightShape: number[];
  /** How the columns of U read as pictures of the model's input, where they do. */
  directions: DirectionLayout;
}

/** Thrown for a layer the session has no factors of (kept as it is, or not in the model). */
export class NoLayerMatricesError extends Error {
  constructor(layer: string) {
    super(`Layer ${layer} has no SVD in this model (it is kept as it is, or not in the model); pick a factorizable layer.`);
    this.name = 'NoLayerMatricesError';
  }
}

/** Whether layer `name` is the first layer with a kernel and reads a 28 x 28 MNIST image, and how its directions are drawn. */
function directionLayout(session: LabSession, name: string): DirectionLayout {
  const { lab } = session;
  const first = lab.layers.find((l) => l.kind !== null);
  if (!first || first.name !== name) return { kind: 'none', why: `${name} is not the model's first layer with weights, so its inputs are features, not pixels.` };
  if (lab.data === 'synthetic') return { kind: 'none', why: `the model's input is [${lab.inputShape.join(', ')}], not a 28x28 MNIST image.` };
  const info = lab.layers.find((l) => l.name === name);
  if (!info?.factorizable) return { kind: 'none', why: `${name} is kept as it is.` };
  if (info.kind === 'conv2d') {
    const [kh, kw, channels] = info.weightShape;
    return { kind: 'filters', rows: kh, cols: kw, channels };
  }
  if (info.kernelShape[0] === 28 * 28) return { kind: 'image', rows: 28, cols: 28 };
  return { kind: 'none', why: `${name} takes ${info.kernelShape[0]} inputs, not the 784 pixels of the image.` };
}

/**
 * The kernel and SVD of `layer` in `session` (see the file comment), and
 * how its input-space directions read as images. Throws
 * NoLayerMatricesError for a layer without factors.
 */
export function layerMatrices(session: LabSession, layer: string): LayerMatrices {
  const svd = session.kernelSvd(layer);
  const info = session.layers.find((l) => l.name === layer);
  if (!svd || !info?.factorizable) throw new NoLayerMatricesError(layer);
  const { kernel } = session.kernelWeights(layer);
  return {
    layer, m: svd.m, n: svd.n, kernel, u: svd.u, s: svd.s, v: svd.v, r: svd.r,
    weightShape: info.weightShape, directions: directionLayout(session, layer),
  };
}

/** The name of the model's first layer with weights when it is factorizable (the one whose directions live in pixel space), else null. */
export function firstKernelLayer(session: LabSession): string | null {
  const first = session.layers.find((l) => l.kind !== null);
  return first?.factorizable ? first.name : null;
}
