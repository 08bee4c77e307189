import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { buildSync, type BuildOptions } from 'esbuild';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * Runs the real CLI (`src/cli/main.ts`) in a child process with the fs
 * observer of fsAudit.ts preloaded, and returns its exit code, output and
 * every file it touched. A run that does not end within `timeoutMs` comes
 * back with `status: null`: the bound that turns a hang into a failure.
 *
 * The CLI runs as one ES module bundled from the sources by esbuild, once
 * per test process (TF.js stays external, loaded from node_modules as the
 * CLI loads it): starting it under tsx, which transpiles every imported file
 * on each start, took 1.0 s a run against 0.4 s, and the CLI tests start it
 * a few hundred times.
 */

const REPO = resolve(__dirname, '..', '..');

/** One CLI run: exit status (null when killed at the timeout), output, and the files it read and wrote. */
export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
  reads: string[];
  writes: string[];
}

export function runCli(args: readonly string[], timeoutMs = 60_000): CliRun {
  const log = join(mkdtempSync(join(tmpdir(), 'lab-fs-audit-')), 'audit.log');
  const r = spawnSync(process.execPath, [...cliEntry(), ...args], {
    cwd: REPO,
    env: { ...process.env, FS_AUDIT_LOG: log },
    encoding: 'utf8',
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, ...auditOf(log) };
}

let built: string[] | null = null;

/**
 * Node's arguments that start the CLI with the audit preloaded: both bundled
 * on first use into .cache/cli-<pid>/ (two levels below the repository, as
 * src/cli/ is, so the CLI finds the repository's public/ from its own path),
 * removed when this process exits.
 */
function cliEntry(): string[] {
  if (built) return built;
  const cache = join(REPO, '.cache');
  // Test processes are sometimes ended without their exit handlers: remove what dead ones left.
  for (const old of existsSync(cache) ? readdirSync(cache) : []) {
    const pid = /^cli-(\d+)$/.exec(old)?.[1];
    if (pid !== undefined && !alive(Number(pid))) rmSync(join(cache, old), { recursive: true, force: true });
  }
  const dir = join(cache, `cli-${process.pid}`);
  const common: BuildOptions = { bundle: true, platform: 'node', format: 'esm', logLevel: 'warning', external: ['@tensorflow/*'] };
  const banner = { js: "import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url);" };
  buildSync({ ...common, banner, entryPoints: [join(REPO, 'src', 'cli', 'main.ts')], outfile: join(dir, 'main.mjs') });
  buildSync({ ...common, entryPoints: [join(REPO, 'tests', 'helpers', 'fsAudit.ts')], outfile: join(dir, 'fsAudit.mjs') });
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  built = ['--import', pathToFileURL(join(dir, 'fsAudit.mjs')).href, join(dir, 'main.mjs')];
  return built;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The files the audit log at `log` names, read and written. */
function auditOf(log: string): Pick<CliRun, 'reads' | 'writes'> {
  let lines: string[] = [];
  try {
    lines = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  } catch {
    lines = [];
  }
  const of = (op: string) => [...new Set(lines.filter((l) => l.startsWith(`${op}\t`)).map((l) => l.slice(op.length + 1)))];
  return { reads: of('read'), writes: of('write') };
}

/** runCli without blocking, so a test can run several CLI processes at once (each still killed at `timeoutMs`). */
export function runCliAsync(args: readonly string[], timeoutMs = 60_000): Promise<CliRun> {
  const log = join(mkdtempSync(join(tmpdir(), 'lab-fs-audit-')), 'audit.log');
  const child = spawn(process.execPath, [...cliEntry(), ...args], {
    cwd: REPO,
    env: { ...process.env, FS_AUDIT_LOG: log },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((done) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ status: code, stdout, stderr, ...auditOf(log) });
    });
  });
}
