/**
 * Per-digit comparison of two classifiers on the same labelled images: the
 * confusion matrix of one (rows the true class, columns the predicted one)
 * and the images that a compressed model gets wrong where the original got
 * them right. Pure arrays in, arrays out.
 */

/** Thrown when labels and predictions do not describe the same images, or a class lies outside 0..classes-1. */
export class ConfusionInputError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'ConfusionInputError';
  }
}

function checkClass(c: number, classes: number, what: string, i: number): void {
  if (!Number.isInteger(c) || c < 0 || c >= classes) throw new ConfusionInputError(`${what} of image ${i} is ${c}, outside the ${classes} classes 0..${classes - 1}; are the labels and predictions from the same model?`);
}

/**
 * The classes x classes confusion matrix, row-major Int32Array: entry
 * (t, p) counts images of true class t predicted as p, so row t sums to the
 * number of images labelled t and the diagonal sums to the correct ones.
 */
export function confusionMatrix(labels: ArrayLike<number>, predicted: ArrayLike<number>, classes = 10): Int32Array {
  if (labels.length !== predicted.length) throw new ConfusionInputError(`${labels.length} labels but ${predicted.length} predictions: they must be of the same images.`);
  const counts = new Int32Array(classes * classes);
  for (let i = 0; i < labels.length; i++) {
    checkClass(labels[i], classes, 'The label', i);
    checkClass(predicted[i], classes, 'The prediction', i);
    counts[labels[i] * classes + predicted[i]]++;
  }
  return counts;
}

/**
 * Indices (ascending) of the images the compressed model gets wrong that
 * the original got right: original[i] === labels[i] && compressed[i] !== labels[i].
 */
export function newlyWrong(labels: ArrayLike<number>, original: ArrayLike<number>, compressed: ArrayLike<number>): Int32Array {
  if (labels.length !== original.length || labels.length !== compressed.length) {
    throw new ConfusionInputError(`${labels.length} labels, ${original.length} original and ${compressed.length} compressed predictions: they must be of the same images.`);
  }
  const out: number[] = [];
  for (let i = 0; i < labels.length; i++) if (original[i] === labels[i] && compressed[i] !== labels[i]) out.push(i);
  return Int32Array.from(out);
}
