import { decodeMnistSample, isGzip, type MnistSample } from '../core/mnist';
import { LabInputError } from './errors';

/**
 * Reads one of the lab's MNIST sample files, compressed or not, in the
 * browser and in Node alike: gzip is undone with the platform's own
 * DecompressionStream (built into Chromium and Node 18+, so no library),
 * then the LRMN bytes are decoded (src/core/mnist.ts). A file that is
 * already plain LRMN passes straight through: a user's `--data` file, or a
 * host that sent the `.gz` with `Content-Encoding: gzip` so the browser
 * already undid it. The compressed test set is about a fifth of the raw
 * 7.85 MB, the bulk of the lab's first load.
 */

/** The bytes `gzipped` decompress to. Throws LabInputError('data') when they are not valid gzip (a truncated download). */
export async function gunzip(gzipped: Uint8Array): Promise<Uint8Array> {
  try {
    const stream = new Blob([gzipped as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (err) {
    throw new LabInputError('data', `The MNIST sample file could not be decompressed (${err instanceof Error ? err.message : String(err)}); it is truncated or corrupt. Reload the page, or run "npm run data" to rebuild it.`);
  }
}

/**
 * The sample a file's bytes hold: gunzipped first when they start with
 * gzip's magic number. `pixels` and `labels` are views into one fresh buffer.
 * Throws LabInputError on bad gzip, MnistFormatError on a bad LRMN payload.
 */
export async function decodeMnistFile(bytes: Uint8Array): Promise<MnistSample> {
  return decodeMnistSample(isGzip(bytes) ? await gunzip(bytes) : bytes);
}
