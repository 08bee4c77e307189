import { inlineFactorJob } from '../../src/model/factorJobs';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { parseManifest } from '../../src/model/manifest';
import { artifactsFromFiles } from '../../src/model/sources';
import { REPO_ROOT, readModelFromDisk, readSample, nodeSvd } from '../../src/cli/nodeEnv';
import type { ExportedModel } from '../../src/model/exportModel';
import type { LabEnv } from '../../src/store/env';

/**
 * The store's environment for Node tests: bundled files from public/, the
 * inline SVD, and downloads captured in `downloads` instead of saved.
 */
export function createNodeLabEnv(): LabEnv & { downloads: ExportedModel[]; texts: Array<{ name: string; text: string }> } {
  const downloads: ExportedModel[] = [];
  const texts: Array<{ name: string; text: string }> = [];
  return {
    backend: { name: 'node', reason: 'test', adapter: null, svd: 'CPU Jacobi (float64)', svdReason: 'Node' },
    downloads,
    texts,
    async loadManifest() {
      return parseManifest(JSON.parse(await readFile(join(REPO_ROOT, 'public', 'models', 'manifest.json'), 'utf8')));
    },
    loadTestSample: () => readSample('test'),
    loadCalibrationSample: () => readSample('calib'),
    saveText(name, text) {
      texts.push({ name, text });
    },
    async loadArtifacts(source, bundled) {
      if (source.kind === 'files') return artifactsFromFiles(source.files);
      const path = source.kind === 'bundled' ? bundled!.path : source.url;
      return readModelFromDisk(join(REPO_ROOT, 'public', path));
    },
    svd: nodeSvd,
    factorJob: inlineFactorJob,
    saveDownload(exported) {
      downloads.push(exported);
    },
  };
}

/** Files of a model folder as browser File objects, optionally leaving some out. */
export async function modelFiles(dir: string, names: string[]): Promise<File[]> {
  return Promise.all(names.map(async (n) => new File([await readFile(join(dir, n))], n)));
}
