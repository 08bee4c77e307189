/**
 * The bundled models' recipes and the shape of `public/models/manifest.json`,
 * kept apart from the training loop so the list of models reads at a glance.
 * The manifest is what the app fetches to offer models; `path` is relative to
 * the site root (the app is served with `base: './'`).
 */
import type { BundledModel } from '../model/manifest';

/** Hyper-parameters shared by every bundled model (recorded in the manifest). */
export const TRAINING = {
  epochs: 10,
  batchSize: 512,
  optimizer: 'adam',
  learningRate: 0.001,
  dropout: 0.5,
} as const;

/** One bundled model: Dense(hidden[0]) - Dropout - Dense(hidden[1]) - Dropout - Dense(10). */
export interface ModelSpec {
  id: string;
  name: string;
  description: string;
  /** Widths of fc1 and fc2 (ReLU units). */
  hidden: [number, number];
  /** Root of every seed used to train it: initialisers, shuffling, dropout. */
  seed: number;
}

/** The models `npm run train` builds, in manifest order. */
export const MODEL_SPECS: readonly ModelSpec[] = [
  {
    id: 'mlp-64',
    name: 'MLP 784-64-64-10',
    description:
      "The NN-SVD paper's network: two 64-unit ReLU layers with dropout 0.5, about 55k parameters.",
    hidden: [64, 64],
    seed: 64,
  },
  {
    id: 'mlp-512',
    name: 'MLP 784-512-256-10',
    description:
      'A wider MLP (512 and 256 ReLU units, dropout 0.5) with about ten times the parameters of mlp-64.',
    hidden: [512, 256],
    seed: 512,
  },
];

/** One entry of manifest.json; `testAccuracy` is a fraction (0..1) of the 10,000 test images. */
export interface ManifestEntry extends BundledModel {
  /** How it was trained: TRAINING and the seed for the MLPs, trainCnn.ts's record for the CNN. */
  training: Readonly<Record<string, number | string>>;
}

/** The whole manifest.json document. */
export interface Manifest {
  models: ManifestEntry[];
}

/**
 * The manifest entry for `spec` after training (`accuracy` in 0..1,
 * `params` = trainable + bias count); `training` defaults to the MLPs'
 * shared TRAINING with the spec's seed.
 */
export function manifestEntry(
  spec: Pick<ModelSpec, 'id' | 'name' | 'description' | 'seed'>,
  accuracy: number,
  params: number,
  training: ManifestEntry['training'] = { ...TRAINING, seed: spec.seed },
): ManifestEntry {
  return {
    id: spec.id,
    name: spec.name,
    path: `models/${spec.id}/model.json`,
    description: spec.description,
    testAccuracy: accuracy,
    params,
    training,
  };
}

/**
 * Parses an existing manifest so retraining one model keeps the others'
 * entries; `null` (no file yet) gives an empty manifest. Throws if the file
 * is not a `{ "models": [...] }` object, rather than silently dropping entries.
 */
export function readManifest(text: string | null): Manifest {
  if (text === null) return { models: [] };
  const parsed = JSON.parse(text) as Partial<Manifest> | null;
  if (parsed === null || !Array.isArray(parsed.models)) {
    throw new Error('public/models/manifest.json is not { "models": [...] }; delete it and run `npm run train`.');
  }
  return { models: parsed.models };
}
