import { useEffect, useRef } from 'react';
import type { RgbaPicture } from '../../store/viewSelectors';
import type { ColorStop } from '../../core/colorScale';

/**
 * One picture from the store (RGBA bytes, rows x cols) on a canvas at its
 * own resolution, shown `scale` CSS pixels per pixel (or stretched to
 * `box`, for heatmaps) without smoothing
 * (image-rendering: pixelated), so each weight or pixel stays a crisp
 * square and tests read the exact colours back with getImageData. The
 * canvas is an image to assistive technology, named by `label`.
 */
export function PictureCanvas({ picture, scale, label, testId, box }: { picture: RgbaPicture; scale: number; label: string; testId?: string; box?: { width: number; height: number } }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const canvas = ref.current;
    const ctx = canvas?.getContext('2d');
    if (!canvas || !ctx) return;
    // A fresh copy: ImageData keeps the buffer it is given, and the store's bytes are shared.
    ctx.putImageData(new ImageData(new Uint8ClampedArray(picture.rgba), picture.cols, picture.rows), 0, 0);
  }, [picture]);
  return (
    <canvas
      ref={ref}
      className="picture"
      width={picture.cols}
      height={picture.rows}
      style={box ? { width: `${box.width}px`, height: `${box.height}px` } : { width: `${picture.cols * scale}px` }}
      role="img"
      aria-label={label}
      data-testid={testId}
    />
  );
}

/**
 * The CSS size of a rows x cols heatmap stretched to about `box` CSS pixels
 * a side (cells become rectangles, at most `max` pixels along either axis),
 * so a tall 784 x 64 kernel is not drawn as a sliver.
 */
export function heatmapBox(rows: number, cols: number, box: number, max = 8): { width: number; height: number } {
  return { width: cols * Math.min(max, box / cols), height: rows * Math.min(max, box / rows) };
}

/**
 * The legend of a diverging heatmap: a horizontal colour bar from -max
 * through 0 to +max with its values written under it. The gradient is the
 * scale's own stops (from the store), so the legend and the pictures use
 * one scale. Screen readers get the range in words.
 */
export function ColorBar({ stops, caption }: { stops: ColorStop[]; caption: string }) {
  const gradient = `linear-gradient(to right, ${stops.map((s) => s.css).join(', ')})`;
  const max = stops[stops.length - 1]?.value ?? 0;
  return (
    <figure className="color-bar" data-testid="color-bar">
      <div className="color-bar-ramp" style={{ background: gradient }} role="img" aria-label={`Colour scale: blue ${formatWeight(-max)}, white 0, red ${formatWeight(max)}`} />
      <div className="color-bar-ticks" aria-hidden="true">
        {stops.map((s) => <span key={s.value}>{formatWeight(s.value)}</span>)}
      </div>
      <figcaption>{caption}</figcaption>
    </figure>
  );
}

/** A weight value for a legend: 3 significant digits, 0 as "0". */
export function formatWeight(v: number): string {
  return v === 0 ? '0' : Number(v.toPrecision(3)).toString();
}
