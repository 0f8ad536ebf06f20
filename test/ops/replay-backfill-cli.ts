import { Command } from 'commander';
import { vi } from 'vitest';
import { registerOpsCommands } from '../../src/ops/cli.js';

/** Runs `duckmesh <args>` in this process (the commands as registered); stdout/stderr captured. */
export async function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const program = new Command().exitOverride();
  registerOpsCommands(program);
  const out: string[] = [];
  const err: string[] = [];
  const so = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => (out.push(String(chunk)), true));
  const se = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => (err.push(String(chunk)), true));
  process.exitCode = undefined;
  try {
    await program.parseAsync(['node', 'duckmesh', ...args]);
  } finally {
    so.mockRestore();
    se.mockRestore();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return { code, stdout: out.join(''), stderr: err.join('') };
}
