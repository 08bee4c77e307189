/**
 * Writes the model fixtures the tests open from disk, as a converter would
 * write them: `tests/fixtures/residual-cnn/` (model.json + weights.bin), the
 * functional residual CNN of fixtureModels.ts. Seeded, so a rerun writes
 * the same files. Usage: `npm run fixtures`.
 */
import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { REPO_ROOT, useNodeBackend } from './nodeEnv';
import { residualCnnFixture } from './fixtureModels';
import { saveLayersModelToDir } from './layersModelFiles';

await useNodeBackend('cpu');
const model = residualCnnFixture();
try {
  const files = await saveLayersModelToDir(model, join(REPO_ROOT, 'tests', 'fixtures', 'residual-cnn'));
  console.log(`wrote ${files.modelJsonPath.slice(REPO_ROOT.length + 1)} (${files.modelJsonBytes} B) and ${files.weightsPath.slice(REPO_ROOT.length + 1)} (${files.weightsBytes} B)`);
} finally {
  model.dispose();
}
console.log(`live tensors at exit: ${tf.memory().numTensors}`);
