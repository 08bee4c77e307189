/**
 * How a model wants its pixels: scaled to 0..1 (TF.js's MNIST examples) or
 * raw 0..255 (a Keras model trained on raw pixels, or one with its own
 * Rescaling layer). Detection is in inputScale.ts.
 */

/** The largest pixel value the model is fed. */
export type InputScale = 1 | 255;

/** What a stored 0..255 pixel is multiplied by to feed a model at `scale`. */
export function pixelFactor(scale: InputScale): number {
  return scale / 255;
}

/** Parses a user's scale ("1" or "255"), or null. */
export function parseInputScale(value: string): InputScale | null {
  return value === '1' ? 1 : value === '255' ? 255 : null;
}
