/**
 * Draws the greyscale picture of the lessons' image-SVD warm-up and writes
 * it to `public/data/picture.pgm` (128 x 128, 8-bit binary PGM, 16 KB).
 * It is made here, procedurally, rather than downloaded: a landscape with
 * structure at several scales, so that rank k visibly adds detail - a sky
 * gradient and a ground (rank 1-2 already carries them), a sun, mountains
 * and a house with windows (axis-aligned edges, cheap in rank), diagonal
 * slopes and concentric rings (expensive in rank), a fine checkerboard and
 * the words "LOW RANK" in a 5 x 7 pixel font (legible only at high rank).
 *
 * Usage: `npm run picture`. Deterministic: rerunning writes identical bytes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodePgm } from '../core/pgm';
import { REPO_ROOT } from './nodeEnv';

const SIZE = 128;

/** A 5 x 7 bitmap font for the letters drawn: each row a 5-bit mask, top row first. */
const GLYPHS: Record<string, number[]> = {
  L: [0b10000, 0b10000, 0b10000, 0b10000, 0b10000, 0b10000, 0b11111],
  O: [0b01110, 0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b01110],
  W: [0b10001, 0b10001, 0b10001, 0b10101, 0b10101, 0b11011, 0b10001],
  R: [0b11110, 0b10001, 0b10001, 0b11110, 0b10100, 0b10010, 0b10001],
  A: [0b01110, 0b10001, 0b10001, 0b11111, 0b10001, 0b10001, 0b10001],
  N: [0b10001, 0b11001, 0b10101, 0b10011, 0b10001, 0b10001, 0b10001],
  K: [0b10001, 0b10010, 0b10100, 0b11000, 0b10100, 0b10010, 0b10001],
  ' ': [0, 0, 0, 0, 0, 0, 0],
};

/** Intensity in [0, 1] of pixel (x, y), x to the right and y down, each 0..SIZE-1. */
function shade(x: number, y: number): number {
  const horizon = 70;
  // Sky: lighter toward the horizon; ground: a darker left-to-right gradient.
  let v = y < horizon ? 0.55 + 0.35 * (y / horizon) : 0.3 + 0.15 * (x / SIZE);
  // Sun with a soft edge, and concentric rings around it (period 4 px).
  const sun = Math.hypot(x - 98, y - 24);
  if (sun < 12) v = 1;
  else if (sun < 13) v = Math.max(v, 1 - (sun - 12));
  else if (sun < 26 && Math.floor(sun / 2) % 2 === 0) v = Math.min(1, v + 0.12);
  // Two mountains (diagonal slopes) behind the house.
  const peak = (cx: number, top: number, slope: number) => y >= top + slope * Math.abs(x - cx) && y < horizon;
  if (peak(44, 30, 1.2)) v = 0.42 + 0.08 * ((x + y) % 6 < 3 ? 1 : 0);
  if (peak(80, 40, 0.8)) v = 0.35;
  // The house: walls, a roof, a door and four windows with crossbars.
  if (x >= 10 && x < 50 && y >= 60 && y < 96) {
    v = 0.78;
    const win = (x0: number, y0: number) => x >= x0 && x < x0 + 9 && y >= y0 && y < y0 + 9;
    for (const [x0, y0] of [[14, 64], [36, 64], [14, 80], [36, 80]]) {
      if (win(x0, y0)) v = x === x0 + 4 || y === y0 + 4 ? 0.78 : 0.12;
    }
    if (x >= 26 && x < 34 && y >= 78) v = 0.2;
  }
  if (y >= 40 && y < 60 && Math.abs(x - 30) <= (y - 40) * 1.1) v = 0.18;
  // A fine checkerboard (2 px squares) in the field.
  if (x >= 64 && x < 120 && y >= 80 && y < 100) v = (Math.floor(x / 2) + Math.floor(y / 2)) % 2 === 0 ? 0.9 : 0.25;
  return v;
}

/** Writes "LOW RANK" in white, one font pixel per 2 x 2 image pixels, its top-left at (x0, y0). */
function drawText(pixels: Float64Array, text: string, x0: number, y0: number): void {
  [...text].forEach((ch, n) => {
    GLYPHS[ch].forEach((mask, row) => {
      for (let col = 0; col < 5; col++) {
        if (!(mask & (1 << (4 - col)))) continue;
        for (let dy = 0; dy < 2; dy++) for (let dx = 0; dx < 2; dx++) pixels[(y0 + 2 * row + dy) * SIZE + x0 + n * 12 + 2 * col + dx] = 1;
      }
    });
  });
}

/** The picture's 128 x 128 bytes, row-major, 0 black. */
function drawPicture(): Uint8Array {
  const values = new Float64Array(SIZE * SIZE);
  for (let y = 0; y < SIZE; y++) for (let x = 0; x < SIZE; x++) values[y * SIZE + x] = shade(x, y);
  drawText(values, 'LOW RANK', 16, 108);
  return Uint8Array.from(values, (v) => Math.round(255 * Math.max(0, Math.min(1, v))));
}

const outDir = join(REPO_ROOT, 'public', 'data');
mkdirSync(outDir, { recursive: true });
const bytes = encodePgm({ rows: SIZE, cols: SIZE, pixels: drawPicture() });
writeFileSync(join(outDir, 'picture.pgm'), bytes);
console.log(`wrote public/data/picture.pgm: ${SIZE}x${SIZE}, ${bytes.length} bytes`);
