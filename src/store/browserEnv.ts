import { MNIST_FILES } from '../core/mnist';
import { decodeMnistFile } from '../model/mnistFile';
import { LabInputError } from '../model/errors';
import { parseManifest, type BundledModel } from '../model/manifest';
import { artifactsFromFiles, artifactsFromUrl, baseName } from '../model/sources';
import { workerFactorJob, workerSvd } from '../model/svdWorkerClient';
import type { BackendChoice } from '../model/backendBrowser';
import { webgpuSvd, type SvdEngineChoice } from '../model/svdEngine';
import type { ExportedModel } from '../model/exportModel';
import type { LabEnv, ModelSource } from './env';
import { zipExportedModel } from './exportFiles';

/**
 * The store's environment in the browser: everything is fetched from the
 * lab's own origin (relative to the page, so the lab works under any base
 * path), SVDs run in a worker, a download is an anchor click.
 */

async function fetchSameOrigin(path: string): Promise<Response> {
  const url = new URL(path, document.baseURI);
  const res = await fetch(url);
  if (!res.ok) throw new LabInputError('data', `Could not load ${url.pathname} (the server answered ${res.status}).`);
  return res;
}

/** Saves `blob` as a download named `name` (an <a download> click on a blob: URL, freed shortly after); the model, the CSV and plan files and the chart exports all leave the page this way. */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Builds the browser LabEnv for a started backend and the chosen SVD engine. */
export function createBrowserEnv(backend: BackendChoice, engine: SvdEngineChoice): LabEnv {
  return {
    backend: { name: backend.name, reason: backend.reason, adapter: backend.adapter, svd: engine.label, svdReason: engine.reason },
    async loadManifest(): Promise<BundledModel[]> {
      return parseManifest(await (await fetchSameOrigin('models/manifest.json')).json());
    },
    async loadCalibrationSample() {
      return decodeMnistFile(new Uint8Array(await (await fetchSameOrigin(`data/${MNIST_FILES.calib}`)).arrayBuffer()));
    },
    async loadPicture() {
      return new Uint8Array(await (await fetchSameOrigin('data/picture.pgm')).arrayBuffer());
    },
    imageSvd: (image) => workerSvd(Float32Array.from(image.pixels), [image.rows, image.cols]),
    saveText(name: string, text: string) {
      saveBlob(new Blob([text], { type: name.endsWith('.json') ? 'application/json' : 'text/csv' }), name);
    },
    async loadTestSample() {
      return decodeMnistFile(new Uint8Array(await (await fetchSameOrigin(`data/${MNIST_FILES.test}`)).arrayBuffer()));
    },
    async loadArtifacts(source: ModelSource, bundled: BundledModel | undefined, signal: AbortSignal) {
      if (source.kind === 'files') return artifactsFromFiles(source.files, source.folder);
      const url = source.kind === 'bundled' ? bundled!.path : source.url;
      const artifacts = await artifactsFromUrl(url, new URL('.', document.baseURI).href, signal);
      const name = source.kind === 'bundled' ? source.id : baseName(url.split('/').slice(-2, -1)[0] || 'model');
      return { artifacts, name };
    },
    svd: engine.name === 'gpu' ? webgpuSvd : workerSvd,
    factorJob: workerFactorJob,
    saveDownload(exported: ExportedModel, fileBase: string) {
      // One file per configuration: model.json and its shard in a zip named after it.
      const zip = zipExportedModel(exported);
      saveBlob(new Blob([zip.buffer as ArrayBuffer], { type: 'application/zip' }), `${fileBase}.zip`);
    },
  };
}
