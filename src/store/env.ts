import type { ModelArtifacts } from '../model/artifacts';
import type { MnistSample } from '../core/mnist';
import type { GreyImage } from '../core/imageSvd';
import type { Svd } from '../core/svd';
import type { BundledModel } from '../model/manifest';
import type { SvdFn } from '../model/factors';
import type { FactorJobFn } from '../model/factorJobs';
import type { ExportedModel } from '../model/exportModel';

/**
 * What the store needs from the world outside it. The browser provides fetch,
 * a worker SVD and file downloads; Node tests provide the file system and an
 * inline SVD. The store's flows are the same in both, so tests in Node drive
 * the real actions.
 */

/** Where a model is opened from. */
export type ModelSource =
  | { kind: 'bundled'; id: string }
  | { kind: 'url'; url: string }
  /** `folder`: the name of the folder the files came from, when the user opened or dropped a folder. */
  | { kind: 'files'; files: File[]; folder?: string };

/** Which backend runs and why, for the badge in the header. */
export interface BackendInfo {
  name: string;
  reason: string;
  adapter: string | null;
  /** Where SVDs run, e.g. "WebGPU block Jacobi (float32)", and why. */
  svd: string;
  svdReason: string;
}

/** The services the store's actions call; one implementation per platform. */
export interface LabEnv {
  backend: BackendInfo;
  loadManifest(): Promise<BundledModel[]>;
  loadTestSample(): Promise<MnistSample>;
  /** The 1,000 calibration images (from the training set) that data-aware methods fit to. */
  loadCalibrationSample(): Promise<MnistSample>;
  /** The image warm-up's greyscale picture as PGM bytes (public/data/picture.pgm); absent where there is none (Node tests). */
  loadPicture?(): Promise<Uint8Array>;
  /** The float64 Jacobi SVD of a greyscale image off the page's thread (browser: the SVD worker, whatever the engine); absent: inline. */
  imageSvd?(image: GreyImage): Promise<Svd>;
  /** Hands a text file to the user (browser: a download). */
  saveText(name: string, text: string): void;
  /** Model files for `source`; `bundled` carries the manifest entry resolved by the store. */
  loadArtifacts(source: ModelSource, bundled: BundledModel | undefined, signal: AbortSignal): Promise<{ artifacts: ModelArtifacts; name: string }>;
  svd: SvdFn;
  /** Where the factor methods' slow work (data-aware, l_p, grouped SVD, ALDS) runs: a worker in the browser. */
  factorJob: FactorJobFn;
  /** The clock Undo groups slider moves by, in ms (Date.now when absent; tests pass their own). */
  now?(): number;
  /** Hands the exported files to the user (browser: one zip named `baseName`.zip). */
  saveDownload(exported: ExportedModel, baseName: string): void;
}
