import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { ConfigError } from '@switchboard/config';
import { describe, expect, it } from 'vitest';
import {
  EXIT_FAILURE,
  EXIT_OK,
  exitCodeFor,
  type ProcessPort,
  type RunningService,
  runService,
  type ServiceMain,
} from './index.js';

/** A process to hand runService: signals are emitted by the test, exits recorded, log lines kept. */
function fakeProcess(env: Record<string, string | undefined> = {}) {
  const emitter = new EventEmitter();
  const exits: number[] = [];
  const output = new PassThrough();
  const lines: { level: number; msg: string; service: string; [key: string]: unknown }[] = [];
  output.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line));
  });
  let exited: (code: number) => void = () => undefined;
  const nextExit = () => new Promise<number>((resolve) => (exited = resolve));
  const proc: ProcessPort = {
    env,
    on: emitter.on.bind(emitter),
    exit: (code: number) => {
      exits.push(code);
      exited(code);
    },
  };
  return {
    options: { process: proc, destination: output },
    exits,
    lines,
    nextExit,
    emit: (event: string, ...args: unknown[]) => emitter.emit(event, ...args),
  };
}

interface Config {
  logLevel: string;
}

/** A service whose stops resolve when the test says so, recording what was called. */
function service(overrides: Partial<ServiceMain<Config>> = {}, running: Partial<RunningService> = {}) {
  const calls: string[] = [];
  let finishStop: () => void = () => undefined;
  const main: ServiceMain<Config> = {
    name: 'test-service',
    loadConfig: () => ({ logLevel: 'info' }),
    start: async () => ({
      stop: () => {
        calls.push('stop');
        return new Promise<void>((resolve) => (finishStop = resolve));
      },
      ...running,
    }),
    ...overrides,
  };
  return { main, calls, finishStop: () => finishStop() };
}

describe('runService', () => {
  it('names each bad setting in one fatal line and exits 1', async () => {
    const proc = fakeProcess();
    const { main } = service({
      loadConfig: () => {
        throw new ConfigError('invalid test-service settings: X is required');
      },
    });
    await runService(main, proc.options);
    expect(proc.exits).toEqual([EXIT_FAILURE]);
    expect(proc.lines).toMatchObject([
      {
        level: 60,
        service: 'test-service',
        msg: 'invalid configuration',
        problems: 'invalid test-service settings: X is required',
      },
    ]);
  });

  it('exits 1 with a fatal line when the service cannot start', async () => {
    const proc = fakeProcess();
    const { main } = service({
      start: async () => {
        throw new Error('no database');
      },
    });
    await runService(main, proc.options);
    expect(proc.exits).toEqual([EXIT_FAILURE]);
    expect(proc.lines.at(-1)).toMatchObject({
      level: 60,
      msg: 'failed to start',
      err: { message: 'no database' },
    });
  });

  it('on the first signal stops the service, and exits 0 once it has stopped', async () => {
    const proc = fakeProcess();
    const svc = service();
    await runService(svc.main, proc.options);
    proc.emit('SIGTERM', 'SIGTERM');
    expect(svc.calls).toEqual(['stop']);
    expect(proc.exits).toEqual([]);
    const exit = proc.nextExit();
    svc.finishStop();
    expect(await exit).toBe(EXIT_OK);
    expect(proc.lines).toContainEqual(expect.objectContaining({ msg: 'shutting down', signal: 'SIGTERM' }));
  });

  it('exits 1 when stopping fails', async () => {
    const proc = fakeProcess();
    const svc = service({}, { stop: () => Promise.reject(new Error('pool would not end')) });
    await runService(svc.main, proc.options);
    const exit = proc.nextExit();
    proc.emit('SIGINT', 'SIGINT');
    expect(await exit).toBe(EXIT_FAILURE);
    expect(proc.lines.at(-1)).toMatchObject({ msg: 'shutdown failed' });
  });

  it('on a second signal runs stopNow where the service has one, then exits 0', async () => {
    const proc = fakeProcess();
    let stoppedNow = false;
    const svc = service(
      {},
      {
        stop: () => new Promise<void>(() => undefined), // a drain that would take its time
        stopNow: async () => {
          stoppedNow = true;
        },
      },
    );
    await runService(svc.main, proc.options);
    proc.emit('SIGTERM', 'SIGTERM');
    const exit = proc.nextExit();
    proc.emit('SIGTERM', 'SIGTERM');
    expect(await exit).toBe(EXIT_OK);
    expect(stoppedNow).toBe(true);
  });

  it('without stopNow, a second signal exits at once with 128 + its number', async () => {
    const proc = fakeProcess();
    const svc = service();
    await runService(svc.main, proc.options);
    proc.emit('SIGINT', 'SIGINT');
    proc.emit('SIGINT', 'SIGINT');
    expect(proc.exits).toEqual([exitCodeFor('SIGINT')]);
    expect(exitCodeFor('SIGINT')).toBe(130);
    expect(exitCodeFor('SIGTERM')).toBe(143);
  });

  it('logs an unhandled rejection and goes on; an uncaught exception is fatal', async () => {
    const proc = fakeProcess();
    const svc = service();
    await runService(svc.main, proc.options);
    proc.emit('unhandledRejection', new Error('nobody awaited this'));
    expect(proc.exits).toEqual([]);
    expect(proc.lines.at(-1)).toMatchObject({ level: 50, msg: 'unhandled rejection' });
    proc.emit('uncaughtException', new Error('thrown from a callback'));
    expect(proc.exits).toEqual([EXIT_FAILURE]);
    expect(proc.lines.at(-1)).toMatchObject({ level: 60, msg: 'uncaught exception' });
  });

  it('reads the settings from the process environment and logs at their level', async () => {
    const proc = fakeProcess({ LOG_LEVEL: 'warn' });
    let seen: Record<string, string | undefined> | undefined;
    const svc = service({
      loadConfig: (env) => {
        seen = env;
        return { logLevel: env.LOG_LEVEL ?? 'info' };
      },
    });
    await runService(svc.main, proc.options);
    expect(seen).toEqual({ LOG_LEVEL: 'warn' });
    proc.emit('SIGTERM', 'SIGTERM');
    expect(proc.lines.find((l) => l.msg === 'shutting down')).toBeUndefined();
  });
});
