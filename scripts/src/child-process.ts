import { type ChildProcess, spawn } from 'node:child_process';
import type { LogPrinter } from './log-printer.js';

/**
 * A process the runner started and stops. Each runs in a process group of its own (`detached`), so the
 * terminal's Ctrl-C reaches only the runner, which then stops them in order: services first (they drain),
 * then the servers. If the runner exits any other way, each one still running gets SIGTERM and stops
 * itself (SIGKILL would orphan the embedded PostgreSQL, which its helper process stops on SIGTERM).
 */
export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  /** Resolves with the exit code (or the signal's name) when the process ends. */
  exited: Promise<number | string>;
  running(): boolean;
  /** Sends `signal`, then SIGKILL after `killAfterMs`; resolves once the process is gone. */
  stop(signal?: NodeJS.Signals, killAfterMs?: number): Promise<number | string>;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  });
}

export interface StartProcessOptions {
  name: string;
  command: string;
  args: string[];
  env: Record<string, string | undefined>;
  cwd: string;
  printer: LogPrinter;
  /** An IPC channel to the child (for `process.send`). */
  ipc?: boolean;
}

export function startProcess(options: StartProcessOptions): ManagedProcess {
  installExitHook();
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe', ...(options.ipc ? (['ipc'] as const) : [])],
  });
  live.add(child);
  child.stdout?.pipe(options.printer.stream(options.name));
  child.stderr?.pipe(options.printer.stream(options.name));
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve(code ?? signal ?? 'unknown');
    });
    child.once('error', (err) => {
      live.delete(child);
      options.printer.line(options.name, `could not start ${options.command}: ${err.message}`);
      resolve('spawn-error');
    });
  });
  const running = () => live.has(child);
  const stop = async (signal: NodeJS.Signals = 'SIGTERM', killAfterMs = 15_000) => {
    if (running()) {
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    }
    return exited;
  };
  return { name: options.name, child, exited, running, stop };
}
