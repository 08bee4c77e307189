import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * Runs the real CLI (`src/cli/main.ts` under tsx) in a child process with the
 * fs observer of fsAudit.ts preloaded, and returns its exit code, output and
 * every file it touched. A run that does not end within `timeoutMs` comes
 * back with `status: null`: the bound that turns a hang into a failure.
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
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--import', './tests/helpers/fsAudit.ts', 'src/cli/main.ts', ...args], {
    cwd: REPO,
    env: { ...process.env, FS_AUDIT_LOG: log },
    encoding: 'utf8',
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, ...auditOf(log) };
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
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', './tests/helpers/fsAudit.ts', 'src/cli/main.ts', ...args], {
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
