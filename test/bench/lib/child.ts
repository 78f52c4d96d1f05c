import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository's root, from test/bench/lib. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface NodeChild {
  pid: number;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * A TypeScript entry point as its own Node process, run from source the way the services run in
 * development (`node --conditions=switchboard-src --import tsx`), so its CPU is its own.
 */
export function spawnTsNode(
  script: string,
  env: Record<string, string>,
  { stdio = 'inherit', nodeArgs = [] }: { stdio?: 'inherit' | 'ignore'; nodeArgs?: readonly string[] } = {},
): NodeChild {
  const child: ChildProcess = spawn(
    process.execPath,
    [...nodeArgs, '--conditions=switchboard-src', '--import', 'tsx', script],
    { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', stdio, 'inherit'] },
  );
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    pid: child.pid ?? -1,
    exited,
    async stop(graceMs = 5_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
