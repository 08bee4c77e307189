import { constants } from 'node:fs';
import { lstat, mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, parse, resolve } from 'node:path';
import { LabInputError } from '../model/errors';

/**
 * How the CLI writes files: checked before the long work starts (the folder
 * can be created and written, nothing is overwritten without --force), then
 * written under temporary names and renamed into place once every byte is on
 * disk, so a failure never leaves a model.json without its weights.
 */

function code(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
}

function refuse(message: string): LabInputError {
  return new LabInputError('output', message);
}

/**
 * Creates `dir` and its missing parents one level at a time. Node's own
 * recursive mkdir loops forever where the kernel answers ENOENT for a
 * parent that exists (under /proc); this fails at once instead.
 */
export async function makeDirectory(dir: string): Promise<void> {
  const path = resolve(dir);
  const missing: string[] = [];
  let at = path;
  for (;;) {
    try {
      const s = await stat(at);
      if (!s.isDirectory()) throw refuse(`Cannot write into ${dir}: ${at} exists and is not a folder.`);
      break;
    } catch (err) {
      if (err instanceof LabInputError) throw err;
      if (code(err) !== 'ENOENT' || at === parse(at).root) throw refuse(`Cannot write into ${dir}: ${at} cannot be read (${code(err)}).`);
      missing.unshift(at);
      at = dirname(at);
    }
  }
  for (const d of missing) {
    try {
      await mkdir(d);
    } catch (err) {
      if (code(err) !== 'EEXIST') throw refuse(`Cannot create the folder ${d} (${code(err)}); choose another --out.`);
    }
  }
}

/** Proves `dir` takes new files by creating and removing an empty one; fails fast on read-only or pseudo file systems. */
async function probeWritable(dir: string, flag: string): Promise<void> {
  const probe = join(dir, `.lowrank-probe-${process.pid}`);
  try {
    const handle = await open(probe, 'wx');
    await handle.close();
    await unlink(probe);
  } catch (err) {
    throw refuse(`Cannot write files into ${dir} (${code(err)}); choose another ${flag}.`);
  }
}

/** Refuses `path` when it exists and is anything but a regular file, or is one and `force` is not set. */
async function checkTarget(path: string, force: boolean): Promise<void> {
  let s;
  try {
    s = await lstat(path);
  } catch (err) {
    if (code(err) === 'ENOENT') return;
    throw refuse(`Cannot check ${path} (${code(err)}).`);
  }
  if (!s.isFile()) throw refuse(`${path} exists and is not a regular file; the lab will not write over it.`);
  if (!force) throw refuse(`${path} already exists; pass --force to overwrite it.`);
}

/**
 * Before long work: creates `dir` if needed, proves it writable, and checks
 * that none of `names` exists there (unless `force`). Throws
 * LabInputError('output') with what to do.
 */
export async function prepareOutputDir(dir: string, names: readonly string[], force: boolean): Promise<void> {
  await makeDirectory(dir);
  await probeWritable(resolve(dir), '--out');
  for (const name of names) await checkTarget(join(dir, name), force);
}

/** Before long work: the folder of `path` exists or is created and takes files; `path` is new, or a file with `force`. */
export async function prepareOutputFile(path: string, force: boolean, flag: string): Promise<void> {
  await makeDirectory(dirname(resolve(path)));
  await probeWritable(dirname(resolve(path)), flag);
  await checkTarget(path, force);
}

/**
 * Writes `files` into `dir`: every file under a temporary name first (created
 * exclusively), then renamed into place in the order given - put model.json
 * last, so it appears only once its weights are complete. On a failure before
 * the renames every temporary file is removed and nothing is replaced.
 */
export async function writeFilesAtomically(dir: string, files: ReadonlyArray<readonly [string, string | Uint8Array]>): Promise<void> {
  const temps: Array<[string, string]> = [];
  try {
    for (const [name, data] of files) {
      const temp = join(dir, `.${basename(name)}.${process.pid}.tmp`);
      const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
      temps.push([temp, join(dir, name)]);
      try {
        await handle.writeFile(data);
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
  } catch (err) {
    await Promise.all(temps.map(([temp]) => unlink(temp).catch(() => undefined)));
    throw refuse(`Writing into ${dir} failed (${code(err)}); nothing was replaced there.`);
  }
  for (const [temp, final] of temps) await rename(temp, final);
}
