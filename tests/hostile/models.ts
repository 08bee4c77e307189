import { copyFileSync, mkdirSync, readFileSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * The hostile model folders of issue 14, generated from the bundled mlp-64:
 * shard paths that climb out of the model's folder (raw, %-encoded, absolute,
 * URLs, symbolic links), amplification (one shard listed 5,000 times, too
 * many shards, 300 MB of trailing bytes), damaged manifests, pipes where
 * files belong, and a model.json with a byte-order mark that must open.
 *
 * `root/outside/weights.bin` is a copy of the real weights: a reader that
 * followed a path out of a case's folder would find bytes that load, so only
 * the path check can refuse it. Run `npx tsx tests/hostile/models.ts <dir>`
 * to write the cases for trying by hand; the CLI tests write them to a
 * temporary folder.
 */

/** One case: where its model.json is, and what the CLI must answer (exit code, stderr pattern). */
export interface HostileModelCase {
  name: string;
  /** model.json (or what stands in its place), absolute. */
  model: string;
  exit: 0 | 1;
  message: RegExp;
}

const BUNDLED = resolve(fileURLToPath(import.meta.url), '..', '..', '..', 'public', 'models', 'mlp-64');

type ModelJson = { weightsManifest: Array<{ paths: unknown[]; weights: Array<Record<string, unknown>> }> } & Record<string, unknown>;

/** Writes every case under `root` (which must exist and be empty) and lists them. */
export function writeHostileModels(root: string): HostileModelCase[] {
  const baseText = readFileSync(join(BUNDLED, 'model.json'), 'utf8');
  const shard = join(BUNDLED, 'weights.bin');
  const outside = join(root, 'outside');
  mkdirSync(outside);
  copyFileSync(shard, join(outside, 'weights.bin'));

  const cases: HostileModelCase[] = [];
  /** A case folder with model.json from `edit` applied to the bundled JSON, and the real shard unless `withShard` is false. */
  const add = (name: string, exit: 0 | 1, message: RegExp, edit: (json: ModelJson) => void = () => undefined, withShard = true): string => {
    const dir = join(root, name);
    mkdirSync(dir);
    const json = JSON.parse(baseText) as ModelJson;
    edit(json);
    writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
    if (withShard) copyFileSync(shard, join(dir, 'weights.bin'));
    cases.push({ name, model: join(dir, 'model.json'), exit, message });
    return dir;
  };
  const paths = (...p: unknown[]) => (json: ModelJson) => { json.weightsManifest[0].paths = p; };

  // Paths out of the folder.
  add('traversal-raw', 1, /climbs out of the model's folder/, paths('../outside/weights.bin'));
  add('traversal-encoded', 1, /climbs out of the model's folder/, paths('..%2Foutside%2Fweights.bin'));
  add('traversal-dots-encoded', 1, /climbs out of the model's folder/, paths('%2e%2e/outside/weights.bin'));
  add('traversal-etc', 1, /climbs out of the model's folder/, paths('../../../../../../../../etc/os-release'));
  add('absolute-etc', 1, /absolute path/, paths('/etc/os-release'));
  add('absolute-outside', 1, /absolute path/, paths(join(outside, 'weights.bin')));
  add('url-http', 1, /is an address/, paths('http://127.0.0.1:9/weights.bin'));
  add('url-file', 1, /is an address/, paths('file:///etc/os-release'));
  const linkShard = add('symlink-shard', 1, /leads outside the model's folder through a symbolic link/, () => undefined, false);
  symlinkSync(join(outside, 'weights.bin'), join(linkShard, 'weights.bin'));
  const linkDir = add('symlink-folder', 1, /leads outside the model's folder through a symbolic link/, paths('sub/weights.bin'), false);
  symlinkSync(outside, join(linkDir, 'sub'));

  // Amplification.
  add('same-shard-5000-times', 1, /lists the weight shard "weights.bin" more than once/, paths(...Array(5000).fill('weights.bin')));
  add('too-many-shards', 1, /more than 1024 weight shards/, paths(...Array.from({ length: 1025 }, (_, i) => `s${i}.bin`)));
  const trailing = add('trailing-300mb', 1, /longer than its weights/);
  truncateSync(join(trailing, 'weights.bin'), readFileSync(shard).byteLength + 300e6); // sparse: no disk used
  const longer = add('longer-shard', 1, /longer than its weights/);
  writeFileSync(join(longer, 'weights.bin'), Buffer.concat([readFileSync(shard), Buffer.alloc(4)]));
  const extra = add('extra-shard', 1, /hold more bytes than/, paths('weights.bin', 'extra.bin'));
  writeFileSync(join(extra, 'extra.bin'), Buffer.alloc(64));
  const short = add('short-shard', 1, /truncated/);
  truncateSync(join(short, 'weights.bin'), 1000);
  add('missing-shard', 1, /"weights.bin" named in .* is missing/, () => undefined, false);

  // Damaged manifests.
  add('weight-listed-twice', 1, /lists the weight "fc1\/kernel" more than once/, (j) => { j.weightsManifest[0].weights.push(j.weightsManifest[0].weights[0]); });
  add('shape-is-a-string', 1, /shape that is not a list/, (j) => { j.weightsManifest[0].weights[0].shape = '784,64'; });
  add('dtype-unknown', 1, /dtype "float64"/, (j) => { j.weightsManifest[0].weights[0].dtype = 'float64'; });

  // Pipes and folders where files belong.
  const fifoModel = join(root, 'fifo-model');
  mkdirSync(fifoModel);
  execFileSync('mkfifo', [join(fifoModel, 'model.json')]);
  cases.push({ name: 'fifo-model', model: join(fifoModel, 'model.json'), exit: 1, message: /is not a regular file \(a pipe\)/ });
  const fifoShard = add('fifo-shard', 1, /is not a regular file \(a pipe\)/, () => undefined, false);
  execFileSync('mkfifo', [join(fifoShard, 'weights.bin')]);
  const folderModel = join(root, 'folder-model');
  mkdirSync(join(folderModel, 'model.json'), { recursive: true });
  cases.push({ name: 'folder-model', model: join(folderModel, 'model.json'), exit: 1, message: /is not a regular file \(a folder\)/ });

  // Must open: a byte-order mark before the JSON, as some editors write it.
  const bom = add('utf8-bom', 0, /accuracy \d+\.\d+%/);
  writeFileSync(join(bom, 'model.json'), `\uFEFF${baseText}`);
  return cases;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const root = process.argv[2];
  if (!root) {
    console.error('usage: npx tsx tests/hostile/models.ts <empty folder to create>');
    process.exit(2);
  }
  mkdirSync(root, { recursive: false });
  for (const c of writeHostileModels(resolve(root))) console.log(`${c.name.padEnd(24)} exit ${c.exit}  ${c.model}`);
}
