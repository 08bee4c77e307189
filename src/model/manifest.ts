import { LabInputError } from './errors';

/**
 * The list of bundled models in public/models/manifest.json, written by
 * src/cli/train.ts. The app offers these in its picker and shows each one's
 * recorded test accuracy beside the accuracy the lab measures.
 */

/** One bundled model; `path` is relative to the lab's base URL. */
export interface BundledModel {
  id: string;
  name: string;
  path: string;
  description: string;
  /** Test accuracy recorded when the model was trained, a fraction in [0, 1]. */
  testAccuracy: number;
  params: number;
}

/** Validates manifest JSON; throws LabInputError('data') when it is malformed. */
export function parseManifest(json: unknown): BundledModel[] {
  const models = (json as { models?: unknown } | null)?.models;
  if (!Array.isArray(models)) throw new LabInputError('data', 'models/manifest.json has no "models" list; run "npm run train" to rebuild it.');
  return models.map((m, i) => {
    const e = m as Partial<BundledModel>;
    if (typeof e.id !== 'string' || typeof e.path !== 'string' || typeof e.testAccuracy !== 'number') {
      throw new LabInputError('data', `models/manifest.json entry ${i} lacks id, path or testAccuracy.`);
    }
    return {
      id: e.id,
      name: typeof e.name === 'string' ? e.name : e.id,
      path: e.path,
      description: typeof e.description === 'string' ? e.description : '',
      testAccuracy: e.testAccuracy,
      params: typeof e.params === 'number' ? e.params : 0,
    };
  });
}
