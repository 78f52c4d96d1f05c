import { constants } from 'node:os';
import { ConfigError } from '@switchboard/config';
import { createLogger, type Logger } from '@switchboard/logger';

/** A clean stop, after the first signal. */
export const EXIT_OK = 0;
/** Bad settings, a failed start, a failed stop, an uncaught exception. */
export const EXIT_FAILURE = 1;

/** The signals that stop a service: SIGTERM from an orchestrator, SIGINT from a terminal. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

/** The exit code of a stop forced by a repeated signal: 128 + its number, as a shell reports a killed process. */
export function exitCodeFor(signal: StopSignal): number {
  return 128 + constants.signals[signal];
}

/** A started service, as `runService` stops it. */
export interface RunningService {
  /** The first signal: stop the way the service promises (drain, answer what is in flight). */
  stop(): Promise<void>;
  /**
   * A second signal while `stop` runs: stop waiting (the worker closes its live streams now). A service
   * without it exits at once on a second signal.
   */
  stopNow?(): Promise<void>;
}

export interface ServiceMain<C extends { logLevel: string }> {
  /** Written once: the logger's name and the `service` field of every line. */
  name: string;
  /** Parses the environment; a `ConfigError` is logged as the settings' problems and exits 1. */
  loadConfig(env: Record<string, string | undefined>): C;
  start(config: C, log: Logger): Promise<RunningService>;
}

/** What `runService` uses of the process; tests pass their own. */
export interface ProcessPort {
  env: Record<string, string | undefined>;
  on(event: StopSignal, listener: (signal: StopSignal) => void): unknown;
  on(event: 'unhandledRejection', listener: (reason: unknown) => void): unknown;
  on(event: 'uncaughtException', listener: (err: Error) => void): unknown;
  exit(code: number): void;
}

export interface RunOptions {
  process?: ProcessPort;
  /** Where log lines go; stdout unless given. */
  destination?: NodeJS.WritableStream;
}

/**
 * The entry-point template of every service's `src/main.ts`, the one place that touches the process:
 * - bad settings: one fatal line naming each problem, exit 1; a failed start: a fatal line, exit 1;
 * - the first SIGINT/SIGTERM runs `stop` (exit 0 when it resolves, 1 when it rejects); a second runs
 *   `stopNow` where the service has one (exit 0 when it resolves); any further one, or a second one without
 *   `stopNow`, exits at once with 128 + the signal's number;
 * - an unhandled rejection is logged at error and the service goes on: the calls it carries matter more than
 *   a promise nobody awaited; an uncaught exception is logged at fatal and exits 1, as Node would.
 * Resolves once the service has started.
 */
export async function runService<C extends { logLevel: string }>(
  main: ServiceMain<C>,
  { process: proc = process, destination }: RunOptions = {},
): Promise<void> {
  const logger = (level?: string) =>
    createLogger({ name: main.name, ...(level ? { level } : {}), ...(destination ? { destination } : {}) });
  let config: C;
  try {
    config = main.loadConfig(proc.env);
  } catch (err) {
    const bootLog = logger();
    if (err instanceof ConfigError) bootLog.fatal({ problems: err.message }, 'invalid configuration');
    else bootLog.fatal({ err }, 'failed to start');
    return proc.exit(EXIT_FAILURE);
  }
  const log = logger(config.logLevel);
  proc.on('unhandledRejection', (reason) => log.error({ err: reason }, 'unhandled rejection'));
  proc.on('uncaughtException', (err) => {
    log.fatal({ err }, 'uncaught exception');
    proc.exit(EXIT_FAILURE);
  });

  let service: RunningService;
  try {
    service = await main.start(config, log);
  } catch (err) {
    log.fatal({ err }, 'failed to start');
    return proc.exit(EXIT_FAILURE);
  }

  const exitAfter = (stopping: Promise<void>) =>
    stopping.then(
      () => proc.exit(EXIT_OK),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        proc.exit(EXIT_FAILURE);
      },
    );
  let signals = 0;
  const onSignal = (signal: StopSignal) => {
    signals++;
    if (signals === 1) {
      log.info({ signal }, 'shutting down');
      void exitAfter(service.stop());
    } else if (signals === 2 && service.stopNow) {
      log.warn({ signal }, 'second signal: stopping now');
      void exitAfter(service.stopNow());
    } else {
      log.warn({ signal }, 'another signal while stopping: exiting now');
      proc.exit(exitCodeFor(signal));
    }
  };
  for (const signal of STOP_SIGNALS) proc.on(signal, onSignal);
}
