import { constants } from 'node:fs';
import { open, realpath, type FileHandle } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { jsonSizeError, ShardRefusedError, type ShardPath } from '../model/artifacts';
import { LabInputError, type LabErrorKind } from '../model/errors';

/**
 * How the CLI reads the files a user names: model.json, its weight shards and
 * MNIST samples. Only regular files are read. Each is opened non-blocking and
 * checked through its descriptor, so a FIFO or a device answers at once with
 * a message instead of hanging, and nothing can be swapped in between check
 * and read. Shards must stay inside model.json's folder after symbolic links
 * are followed, as the browser insists for URLs.
 */

function errnoCode(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
}

/** Opens `path` read-only without blocking; returns the handle only when it is a regular file, else throws `refuse(what)`. */
async function openRegular(path: string, refuse: (why: string) => Error): Promise<{ handle: FileHandle; size: number }> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw refuse(errnoCode(err) === 'ENOENT' ? 'does not exist' : `cannot be opened (${errnoCode(err)})`);
  }
  const stat = await handle.stat();
  if (!stat.isFile()) {
    await handle.close();
    throw refuse(`is not a regular file (${stat.isDirectory() ? 'a folder' : stat.isFIFO() ? 'a pipe' : 'a device or socket'})`);
  }
  return { handle, size: stat.size };
}

async function readAll(handle: FileHandle): Promise<Uint8Array> {
  try {
    return new Uint8Array(await handle.readFile());
  } finally {
    await handle.close();
  }
}

/**
 * Reads a regular file the user named (model.json, a sample); throws
 * LabInputError(kind) for a missing file, a folder, pipe or device, or a
 * model.json over 64 MiB.
 */
export async function readRegularFile(path: string, kind: LabErrorKind): Promise<Uint8Array> {
  const refuse = (why: string) => new LabInputError(kind, `Could not read ${path}: it ${why}. Give the path of a file.`);
  const { handle, size } = await openRegular(path, refuse);
  const tooBig = kind === 'model-json' ? jsonSizeError(path, size) : null;
  if (tooBig) {
    await handle.close();
    throw tooBig;
  }
  return readAll(handle);
}

/**
 * The shard reader and sizer for a model.json on disk (see
 * readModelArtifacts): a checked shard path is joined to the model's folder,
 * its real path (symlinks followed) must lie inside the folder's real path,
 * and it must be a regular file.
 */
export async function shardFileReader(modelJsonPath: string): Promise<{
  read(path: ShardPath): Promise<ArrayBuffer>;
  size(path: ShardPath): Promise<number>;
}> {
  const folder = dirname(resolve(modelJsonPath));
  const realFolder = await realpath(folder);
  const openShard = async (path: ShardPath) => {
    let real: string;
    try {
      real = await realpath(join(folder, ...path.relative.split('/')));
    } catch (err) {
      throw new LabInputError('weights', errnoCode(err) === 'ENOENT' ? 'there is no such file beside it' : `it cannot be opened (${errnoCode(err)})`);
    }
    if (!real.startsWith(realFolder + sep)) {
      throw new ShardRefusedError(path, modelJsonPath, 'leads outside the model\'s folder through a symbolic link');
    }
    return openRegular(real, (why) => new ShardRefusedError(path, modelJsonPath, why));
  };
  return {
    async read(path) {
      const { handle } = await openShard(path);
      const bytes = await readAll(handle);
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    },
    async size(path) {
      const { handle, size } = await openShard(path);
      await handle.close();
      return size;
    },
  };
}
