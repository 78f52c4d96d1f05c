import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postgresPlaces, readDotEnv, tcpReachable } from '@switchboard/scripts';
import { freePort } from '@switchboard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support.js';

// The two commands a newcomer runs, as processes: `pnpm start`'s runner (scripts/stack.ts) with nothing
// configured, so it starts an embedded PostgreSQL and a nats-server of its own, and then `pnpm demo`
// (scripts/demo.ts) against it; then Ctrl-C. Needs the services built (`pnpm test` builds first).
//
// As root, the embedded PostgreSQL runs as the `postgres` user. The data folder given here is inside a
// `mktemp -d` (mode 0700), which that user cannot enter: the runner keeps the data under
// /var/lib/switchboard instead (and, when the checkout itself is out of reach, a copy of the executables).
const asRoot = process.getuid?.() === 0;
let relocatedData: string | undefined;

let dir: string;
let runner: ChildProcess;
let output = '';
let exited: Promise<number | null>;
const ports: Record<string, number> = {};

function waitForOutput(pattern: RegExp, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const check = () => {
      if (pattern.test(output)) return resolve();
      if (runner.exitCode !== null) return reject(new Error(`the runner exited:\n${output}`));
      if (Date.now() > deadline) return reject(new Error(`no ${pattern} in time:\n${output}`));
      setTimeout(check, 100);
    };
    check();
  });
}

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: REPO_ROOT, env });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.once('exit', (code) => resolve({ code, out }));
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'switchboard-stack-'));
  const places = postgresPlaces({
    asRoot,
    nativeDir: '/',
    dataDir: join(dir, 'data', 'postgres'),
    version: '',
  });
  relocatedData = places.dataAskedFor ? places.dataDir : undefined;
  for (const name of [
    'LOCAL_POSTGRES_PORT',
    'LOCAL_NATS_PORT',
    'GATEWAY_PORT',
    'WORKER_PORT',
    'REGISTRY_PORT',
    'NOTIFIER_PORT',
  ]) {
    ports[name] = await freePort();
  }
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? dir,
    // Nothing reachable configured: the runner starts its own servers, with their data in `dir`.
    DATABASE_URL: '',
    NATS_URL: '',
    OPENAI_API_KEY: '',
    LOCAL_DATA_DIR: join(dir, 'data'),
    ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
  };
  runner = spawn(process.execPath, ['--import', 'tsx', 'scripts/stack.ts', '--dotenv', join(dir, '.env')], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  runner.stdout?.on('data', collect);
  runner.stderr?.on('data', collect);
  exited = new Promise((resolve) => runner.once('exit', (code) => resolve(code)));
  await waitForOutput(/switchboard is up/, 120_000);
}, 150_000);

afterAll(async () => {
  if (runner && runner.exitCode === null) {
    runner.kill('SIGINT');
    await exited;
  }
  if (dir) await rm(dir, { recursive: true, force: true });
  if (relocatedData) await rm(relocatedData, { recursive: true, force: true });
});

describe('pnpm start, then pnpm demo, then Ctrl-C', () => {
  it('starts everything itself on a machine with nothing configured', () => {
    expect(output).toMatch(/created .*\.env from \.env\.example/);
    expect(output).toMatch(/starting an embedded PostgreSQL/);
    if (asRoot)
      expect(output).toMatch(
        /`postgres` cannot reach .*: its data is kept in \/var\/lib\/switchboard\/data\//,
      );
    expect(output).toMatch(/starting nats-server with JetStream/);
    expect(output).toMatch(/local Realtime sandbox/);
    expect(output).toContain(
      `http://127.0.0.1:${ports.GATEWAY_PORT} (Twilio: http://127.0.0.1:${ports.GATEWAY_PORT}/twilio/voice)`,
    );
    expect(output).toContain(
      `http://127.0.0.1:${ports.GATEWAY_PORT}/console (sign in with a key of API_KEYS`,
    );
    // Readable logs: prefixed by service, pretty-printed rather than JSON.
    expect(output).toMatch(/^call-registry +\| .*INFO.*call-registry started/m);
    expect(output).toMatch(/^webhook-gateway +\| .*INFO.*webhook gateway listening/m);
    const env = readDotEnv(join(dir, '.env'));
    expect(env.TWILIO_AUTH_TOKEN).toMatch(/^[0-9a-f]{32}$/);
    expect(env.API_KEYS).toMatch(/^dev-/);
  });

  it('places the demo call: progress, timings, transcript and the agent audio as a WAV', async () => {
    // The console is served by the gateway the runner started (the sign-in page; the rest needs a session).
    const signIn = await fetch(`http://127.0.0.1:${ports.GATEWAY_PORT}/console/sign-in`);
    expect(signIn.status).toBe(200);
    expect(await signIn.text()).toContain('<div id="app">');
    const wav = join(dir, 'agent.wav');
    const { code, out } = await run(['scripts/demo.ts', '--dotenv', join(dir, '.env'), '--out', wav], {
      PATH: process.env.PATH ?? '',
      ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
    });
    expect(code, out).toBe(0);
    for (const step of [/registered CA[0-9a-f]{32}/, /streaming/, /agent speaking/, /barge-in/, /ended/]) {
      expect(out).toMatch(step);
    }
    expect(out).toContain(`watch it live: http://127.0.0.1:${ports.GATEWAY_PORT}/console/live`);
    expect(out).toMatch(/webhook → TwiML +\d+ ms/);
    expect(out).toMatch(/stream start → first agent audio +\d+ ms/);
    expect(out).toMatch(/agent +Hello! How can I help you today\?/);
    expect(out).toMatch(/caller +\(the sandbox heard/);
    expect(existsSync(wav)).toBe(true);
    const header = readFileSync(wav).subarray(0, 28);
    expect(header.toString('ascii', 0, 4)).toBe('RIFF');
    expect(header.toString('ascii', 8, 12)).toBe('WAVE');
    expect(header.readUInt16LE(20)).toBe(7); // mu-law
    expect(header.readUInt32LE(24)).toBe(8_000);
  }, 90_000);

  it('stops on Ctrl-C: services first, then the servers it started, and exits 0', async () => {
    runner.kill('SIGINT');
    expect(await exited).toBe(0);
    const order = ['webhook gateway stopped', 'call-registry stopped', 'Server Exiting'];
    order.push('database system is shut down');
    const at = order.map((line) => output.indexOf(line));
    expect(
      at.every((i) => i >= 0),
      output,
    ).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    for (const port of Object.values(ports)) expect(await tcpReachable('127.0.0.1', port)).toBe(false);
  }, 60_000);
});
