import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import type { Download } from 'playwright-core';

/**
 * The lab's download is one zip per configuration (model.json and its
 * weight shard). Browser tests save it and unpack it with fflate into a
 * folder, from which stock tf.loadLayersModel reads model.json as a user's
 * would after unzipping.
 */

/** Saves download `d` into `dir`, unpacks its entries next to it, and returns the zip's name and the names inside. */
export async function saveAndUnzip(d: Download, dir: string): Promise<{ zipName: string; entries: string[] }> {
  const zipName = d.suggestedFilename();
  const path = join(dir, zipName);
  await d.saveAs(path);
  const files = unzipSync(new Uint8Array(readFileSync(path)));
  for (const [name, bytes] of Object.entries(files)) {
    if (name.includes('/') || name.includes('..')) throw new Error(`unexpected path in the zip: ${name}`);
    writeFileSync(join(dir, name), bytes);
  }
  return { zipName, entries: Object.keys(files).sort() };
}
