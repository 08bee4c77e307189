/**
 * Binary PGM ("P5", 8-bit greyscale), the format of the lab's bundled
 * warm-up picture (public/data/picture.pgm): an ASCII header "P5 width
 * height maxval" separated by whitespace (comments start with #), then
 * width x height bytes, row-major, 0 black. Any image viewer opens it,
 * and reading it needs no library.
 */

/** A file that is not an 8-bit binary PGM, or is cut short. */
export class PgmFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PgmFormatError';
  }
}

/** An 8-bit greyscale image: rows x cols bytes, row-major. */
export interface GreyBytes {
  rows: number;
  cols: number;
  pixels: Uint8Array;
}

/** Bytes of a P5 file holding `image` (maxval 255). */
export function encodePgm(image: GreyBytes): Uint8Array {
  if (image.pixels.length !== image.rows * image.cols) throw new RangeError(`A ${image.cols}x${image.rows} image needs ${image.rows * image.cols} pixels, got ${image.pixels.length}.`);
  const header = new TextEncoder().encode(`P5\n${image.cols} ${image.rows}\n255\n`);
  const out = new Uint8Array(header.length + image.pixels.length);
  out.set(header);
  out.set(image.pixels, header.length);
  return out;
}

/**
 * Parses a P5 file with maxval 255 (no copy of the pixels: a view into
 * `bytes`). Throws PgmFormatError for another magic, maxval, a size over
 * 4096 on a side, or a file shorter than its header says.
 */
export function parsePgm(bytes: Uint8Array): GreyBytes {
  let at = 0;
  const token = (): string => {
    for (;;) {
      while (at < bytes.length && /\s/.test(String.fromCharCode(bytes[at]))) at++;
      if (bytes[at] !== 0x23) break; // '#': a comment to the end of the line
      while (at < bytes.length && bytes[at] !== 0x0a) at++;
    }
    const start = at;
    while (at < bytes.length && !/\s/.test(String.fromCharCode(bytes[at]))) at++;
    return new TextDecoder().decode(bytes.subarray(start, at));
  };
  if (token() !== 'P5') throw new PgmFormatError('The picture is not a binary PGM (P5) file.');
  const [cols, rows, maxval] = [token(), token(), token()].map(Number);
  if (![cols, rows].every((d) => Number.isInteger(d) && d >= 1 && d <= 4096)) throw new PgmFormatError(`The picture's size ${cols}x${rows} is not 1..4096 on each side.`);
  if (maxval !== 255) throw new PgmFormatError(`The picture's maxval is ${maxval}; the lab reads 8-bit PGM (maxval 255).`);
  at++; // the single whitespace byte after maxval
  if (bytes.length - at < rows * cols) throw new PgmFormatError(`The picture holds ${bytes.length - at} pixel bytes where its header says ${rows * cols}; the file is cut short.`);
  return { rows, cols, pixels: bytes.subarray(at, at + rows * cols) };
}
