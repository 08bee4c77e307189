import { useEffect, useId, type ReactNode } from 'react';
import { selectWarmup, type CompressedImage } from '../../store/digitSelectors';
import { formatBytes, formatCount } from '../format';
import { useLab } from '../useLab';
import { DigitPicker } from './ViewControls';
import { PictureCanvas } from './Pictures';

/**
 * The lesson's first step: SVD compression on things a person can look at.
 * A bundled greyscale picture (128 x 128) and a test digit (28 x 28) at
 * rank k of the warm-up's own slider, with what the rank-k factors cost
 * against the pixels (k(m + n) against mn values, float32) and the
 * break-even rank floor(mn / (m + n)) marked on the slider.
 */
export function ImageWarmup() {
  const view = useLab(selectWarmup);
  const pictureError = useLab((s) => s.pictureError);
  const loadPicture = useLab((s) => s.loadPicture);
  const setWarmupRank = useLab((s) => s.setWarmupRank);
  useEffect(() => { void loadPicture(); }, [loadPicture]);
  // Unique ids: a lesson step may show this view while the views panel shows it too.
  const id = useId();
  const breakEven = view.picture?.storage.breakEvenRank ?? view.digit?.storage.breakEvenRank ?? 0;
  return (
    <section className="view warmup" aria-label="Image SVD warm-up" data-testid="image-warmup" data-rank={view.k}>
      <p className="view-caption">
        A greyscale image is a matrix of pixels, so it has an SVD A = U S V<sup>T</sup> like any layer&apos;s weights. Keeping the top k singular values stores
        k(m + n) numbers instead of mn: the picture stays recognisable long before k reaches its size, and past the break-even rank the factors cost more than the pixels.
      </p>
      <div className="view-control warmup-slider">
        <label htmlFor={`${id}-rank`}>Rank k</label>
        <input
          id={`${id}-rank`} type="range" min={1} max={view.limit} step={1} value={view.k} list={`${id}-marks`}
          aria-valuetext={`rank ${view.k} of ${view.limit}; break-even at ${breakEven}`}
          onChange={(e) => setWarmupRank(Number(e.target.value))} data-testid="warmup-rank"
        />
        <datalist id={`${id}-marks`}><option value={breakEven} label={`break-even ${breakEven}`} /></datalist>
        <output htmlFor={`${id}-rank`}>{view.k}</output>
        <span className="view-hint">break-even rank {breakEven} (marked on the slider)</span>
      </div>
      {pictureError && <p className="note" role="alert">{pictureError}</p>}
      <div className="warmup-row">
        {view.picture ? <Compressed image={view.picture} title="The picture" scale={2} testId="warmup-picture" /> : !pictureError && <p className="note">Loading the picture…</p>}
        {view.digit && (
          <Compressed image={view.digit} title={`Test image #${view.digit.index} (a ${view.digit.label})`} scale={5} testId="warmup-digit">
            <DigitPicker />
          </Compressed>
        )}
      </div>
    </section>
  );
}

/** One image and its rank-k approximation, with the storage arithmetic in words. */
function Compressed({ image, title, scale, testId, children }: { image: CompressedImage; title: string; scale: number; testId: string; children?: ReactNode }) {
  const { storage: s } = image;
  const verdict = s.factorValues < s.originalValues ? `${(100 * s.ratio).toFixed(1)}% of the original` : s.factorValues === s.originalValues ? 'as much as the original (break-even)' : `${(100 * s.ratio).toFixed(1)}%: more than the original`;
  return (
    <figure className="warmup-image" data-testid={testId}>
      <figcaption>{title}, {image.rows} x {image.cols}</figcaption>
      {children}
      <div className="picture-pair">
        <figure>
          <PictureCanvas picture={image.original} scale={scale} label={`${title}, original`} testId={`${testId}-original`} />
          <figcaption>original</figcaption>
        </figure>
        <figure>
          <PictureCanvas picture={image.approximation} scale={scale} label={`${title} at rank ${image.k}`} testId={`${testId}-rank-k`} />
          <figcaption>rank {image.k}</figcaption>
        </figure>
      </div>
      <p className="warmup-bytes" data-testid={`${testId}-bytes`}>
        Rank {image.k}: {image.k} x ({image.rows} + {image.cols}) = {formatCount(s.factorValues)} values, {formatBytes(s.factorBytes)} as float32,
        against {image.rows} x {image.cols} = {formatCount(s.originalValues)} values, {formatBytes(s.originalBytes)}: {verdict}.
        Break-even rank floor(mn / (m + n)) = {s.breakEvenRank}. Error ||A − A_k||_F / ||A||_F = {image.relativeError.toFixed(3)}.
      </p>
    </figure>
  );
}
