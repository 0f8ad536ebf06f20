/** Shared plumbing for the conformance cases: the server's port and running client programs. */
import { execFile, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';

export const HERE = fileURLToPath(new URL('.', import.meta.url));

export function port(): number {
  return inject('dmPort');
}

export function has(cmd: string, args: string[] = ['--version']): boolean {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}

/** Python with the Debian client packages (python3-psycopg2 & co install for /usr/bin/python3). */
export const PYTHON = '/usr/bin/python3';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a client program asynchronously (the test process must stay responsive). */
export function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(
      cmd,
      args,
      { encoding: 'utf8', env: { ...process.env, ...opts.env }, cwd: opts.cwd, timeout: opts.timeoutMs ?? 90_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (opts.input !== undefined) child.stdin!.end(opts.input);
  });
}

/** Runs a Python case script that prints one JSON object {case: value}; returns it. */
export async function pythonCases(script: string, db: string): Promise<Record<string, unknown>> {
  const r = await run(PYTHON, [`${HERE}python/${script}`, '127.0.0.1', String(port()), db]);
  if (r.code !== 0) throw new Error(`${script} failed (${r.code}): ${r.stderr}\n${r.stdout}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
}

/** psql with the server's coordinates; `-X` ignores ~/.psqlrc. */
export function psql(db: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<RunResult> {
  return run('psql', ['-X', '-h', '127.0.0.1', '-p', String(port()), '-U', 'tester', '-d', db, ...args], opts);
}
