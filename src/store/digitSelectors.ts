import { confusionMatrix, newlyWrong } from '../core/confusion';
import { greyRgba } from '../core/colorScale';
import { relativeTruncationError } from '../core/factors';
import { greyImageFromBytes, imageSvd, rankKApproximation, rankKStorage, type GreyImage, type RankKStorage } from '../core/imageSvd';
import { asRank } from '../core/units';
import type { MnistSample } from '../core/mnist';
import type { Svd } from '../core/svd';
import type { EvalResult } from '../model/evaluate';
import { formatGroupSpec, formatRankSpec } from '../model/rankSpec';
import { memoLast } from './memo';
import { selectPlanKey } from './selectors';
import { warmupRankLimit } from './viewsSlice';
import type { RgbaPicture } from './viewSelectors';
import type { LabState } from './types';

/**
 * What the image warm-up and the per-digit view draw. The warm-up's SVDs
 * are taken once per picture and per digit; a rank change forms only the
 * rank-k product. The per-digit view compares the predictions of the
 * configuration on screen with the original model's, image by image.
 */

/** One image compressed at rank k: both pictures, the storage arithmetic and the error from the spectrum. */
export interface CompressedImage {
  rows: number;
  cols: number;
  k: number;
  original: RgbaPicture;
  approximation: RgbaPicture;
  storage: RankKStorage;
  /** ||A - A_k||_F / ||A||_F = sqrt(sum of the discarded s_i^2 / sum of all s_i^2). */
  relativeError: number;
}

/** The warm-up: the picture (null until loaded) and one test digit, each at the warm-up's rank. */
export interface WarmupView {
  k: number;
  /** The slider's largest rank: the picture's smaller side, or the digit's before the picture loads. */
  limit: number;
  picture: CompressedImage | null;
  digit: (CompressedImage & { index: number; label: number }) | null;
}

const digitImage = memoLast((sample: MnistSample, index: number) => {
  const image = greyImageFromBytes(sample.pixels, sample.rows, sample.cols, index * sample.rows * sample.cols);
  return { image, svd: imageSvd(image) };
});

/** Memoized per (image, rank): one for the picture, one for the digit, so moving the slider recomputes each product once. */
function compressor() {
  const original = memoLast((image: GreyImage): RgbaPicture => ({ rows: image.rows, cols: image.cols, rgba: greyRgba(image.pixels) }));
  return memoLast((image: GreyImage, svd: Svd, k: number): CompressedImage => {
    const kk = Math.min(k, svd.r);
    return {
      rows: image.rows, cols: image.cols, k: kk,
      original: original(image),
      approximation: { rows: image.rows, cols: image.cols, rgba: greyRgba(rankKApproximation(svd, kk)) },
      storage: rankKStorage(image.rows, image.cols, kk),
      relativeError: relativeTruncationError(svd, asRank(kk)),
    };
  });
}

const compressPicture = compressor();
const compressDigit = compressor();

const warmup = memoLast((picture: LabState['picture'], sample: MnistSample | null, index: number, k: number, limit: number): WarmupView => {
  let digit: WarmupView['digit'] = null;
  if (sample && index < sample.count) {
    const d = digitImage(sample, index);
    digit = { ...compressDigit(d.image, d.svd, k), index, label: sample.labels[index] };
  }
  return { k, limit, picture: picture ? compressPicture(picture.image, picture.svd, k) : null, digit };
});

/** The warm-up view at the warm-up slider's rank. */
export function selectWarmup(state: LabState): WarmupView {
  return warmup(state.picture, state.viewSample, state.viewDigit, state.warmupRank, warmupRankLimit(state));
}

/** Newly wrong digits shown at most in the grid. */
export const DIGIT_GRID_LIMIT = 48;

/** The per-digit view of the configuration on screen. */
export type DigitErrorsView =
  | { status: 'not-applicable'; why: string }
  | { status: 'pending' }
  | {
    status: 'ready';
    /** The configuration, e.g. "svd: fc1=16,fc2=16". */
    config: string;
    /** All images the compressed model gets wrong that the original got right. */
    count: number;
    /** The first DIGIT_GRID_LIMIT of them. */
    shown: Array<RgbaPicture & { index: number; label: number; original: number; compressed: number }>;
    /** 10 x 10 counts, rows the true digit, columns the compressed model's prediction. */
    confusion: Int32Array;
    /** Each cell's shade 0..1: the square root of its share of its row, so that confusions of a few images in a thousand still show. */
    shades: Float64Array;
    /** Images scored. */
    total: number;
  };

const digitErrors = memoLast((result: EvalResult, sample: MnistSample, config: string): DigitErrorsView => {
  const labels = sample.labels.subarray(0, result.count);
  const wrong = newlyWrong(labels, result.originalPredicted, result.predicted);
  const shown = Array.from(wrong.subarray(0, DIGIT_GRID_LIMIT), (index) => {
    const image = greyImageFromBytes(sample.pixels, sample.rows, sample.cols, index * sample.rows * sample.cols);
    return { index, label: labels[index], original: result.originalPredicted[index], compressed: result.predicted[index], rows: image.rows, cols: image.cols, rgba: greyRgba(image.pixels) };
  });
  const confusion = confusionMatrix(labels, result.predicted, 10);
  const shades = new Float64Array(100);
  for (let t = 0; t < 10; t++) {
    const row = confusion.subarray(10 * t, 10 * t + 10).reduce((a, b) => a + b, 0);
    for (let p = 0; p < 10; p++) shades[10 * t + p] = row > 0 ? Math.sqrt(confusion[10 * t + p] / row) : 0;
  }
  return { status: 'ready', config, count: wrong.length, shown, confusion, shades, total: result.count };
});

const PENDING: DigitErrorsView = { status: 'pending' };

/**
 * The per-digit view: not applicable for a model without MNIST labels,
 * pending while the configuration on screen has no result yet.
 */
export function selectDigitErrors(state: LabState): DigitErrorsView | null {
  if (state.layers.length === 0) return null;
  if (state.noAccuracy) return notApplicable(state.noAccuracy);
  const result = state.current && state.current.key === selectPlanKey(state) ? state.current.result : null;
  if (!result || !state.viewSample) return PENDING;
  if (!result.labelled || state.viewSample.count < result.count) return notApplicable('the images it was scored on have no MNIST labels');
  const ranks = formatRankSpec(state.plan);
  const groups = state.method === 'alds' ? formatGroupSpec(state.groups) : '';
  return digitErrors(result, state.viewSample, `${state.method}: ${ranks || 'every layer at full rank (the original model)'}${groups ? `; groups ${groups}` : ''}`);
}

const notApplicable = memoLast((why: string): DigitErrorsView => ({ status: 'not-applicable', why }));
