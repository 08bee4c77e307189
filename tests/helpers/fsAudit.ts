import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import { resolve } from 'node:path';

/**
 * An observer preloaded into a CLI process (`node --import tsx --import
 * tests/helpers/fsAudit.ts ...`) that appends one line per file the process
 * opens, reads, writes, creates, renames or removes through node:fs to the
 * file named by FS_AUDIT_LOG: "<op>\t<absolute path>". It changes no
 * behaviour: every wrapped function calls the original with the same
 * arguments. Tests use the log to show that a hostile model made the CLI
 * touch no file outside the model's folder, the data and --out.
 */

// The log is opened before anything is wrapped and written with writeSync, which is not wrapped.
const logFd = process.env.FS_AUDIT_LOG ? fs.openSync(process.env.FS_AUDIT_LOG, 'a') : null;
const writeSync = fs.writeSync;

function record(op: string, path: unknown): void {
  if (logFd === null) return;
  if (typeof path === 'string' || path instanceof URL || Buffer.isBuffer(path)) {
    const text = path instanceof URL ? path.pathname : path.toString();
    writeSync(logFd, `${op}\t${resolve(text)}\n`);
  }
}

/** Whether open()'s flags argument asks for writing, creating or truncating. */
function opensForWriting(flags: unknown): boolean {
  if (typeof flags === 'string') return /[wa+]/.test(flags);
  if (typeof flags === 'number') return (flags & (fs.constants.O_WRONLY | fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_TRUNC)) !== 0;
  return false;
}

type AnyFn = (...args: unknown[]) => unknown;

/** Wraps `names` of `target` so each call records its first (and, for `twoPaths`, second) path argument. */
function observe(target: Record<string, unknown>, names: string[], op: (name: string) => string, twoPaths = false): void {
  for (const name of names) {
    const original = target[name] as AnyFn | undefined;
    if (typeof original !== 'function') continue;
    target[name] = function observed(this: unknown, ...args: unknown[]) {
      record(/^open(Sync)?$/.test(name) && opensForWriting(args[1]) ? 'write' : op(name), args[0]);
      if (twoPaths) record(op(name), args[1]);
      return original.apply(this, args);
    };
  }
}

const kind = (name: string): string => (/write|append|mkdir|copy|rm|unlink|rename|truncate/i.test(name) ? 'write' : 'read');
for (const target of [fs as unknown as Record<string, unknown>, fsp as unknown as Record<string, unknown>]) {
  observe(target, ['open', 'openSync', 'readFile', 'readFileSync', 'createReadStream', 'writeFile', 'writeFileSync', 'appendFile',
    'createWriteStream', 'mkdir', 'mkdirSync', 'rm', 'rmSync', 'unlink', 'unlinkSync', 'truncate', 'opendir', 'readdir'], kind);
  observe(target, ['rename', 'renameSync', 'copyFile', 'copyFileSync', 'symlink', 'link'], kind, true);
}
syncBuiltinESMExports();
