/**
 * The hostile model folders of issue 14 now live in the bad-model corpus of
 * issue 11 (tests/fixtures/bad-models/make.ts), which holds them and the
 * broken files beside them; this name is kept for README's instructions
 * (`npx tsx tests/hostile/models.ts <new folder>` still writes the corpus).
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeBadModels } from '../fixtures/bad-models/make';

export { writeHostileModels, writeBadModels, type HostileModelCase, type BadModelCase } from '../fixtures/bad-models/make';

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const root = process.argv[2];
  if (!root) {
    console.error('usage: npx tsx tests/hostile/models.ts <empty folder to create>');
    process.exit(2);
  }
  mkdirSync(root, { recursive: false });
  for (const c of writeBadModels(resolve(root))) console.log(`${c.name.padEnd(26)} exit ${c.exit}  ${c.model}`);
}
