// A batch of 1,000 calls against the fake Twilio REST API, dispatched by two gateway replicas (one of them a
// process of its own, killed mid-batch): both caps hold across the replicas, busy callees are retried per the
// rules, every call is accounted for, nothing is dialled twice; then cancel, the window, variables and 400s.
import { spawn } from 'node:child_process';
import { type BatchOutcome, TERMINAL_STATUSES } from '@switchboard/contracts';
import {
  eventually,
  FakeTwilioRest,
  freePort,
  type TestDatabase,
  TestNatsServer,
  until,
} from '@switchboard/testkit';
import { type Gateway, loadConfig as gatewayConfig, startGateway } from '@switchboard/webhook-gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  log,
  NATS_AUTH_CONF,
  NATS_USERS,
  REPO_ROOT,
  setNatsPasswordsInEnv,
  testDatabase,
} from '../../support.js';
import { type CalleeAnswer, maxInWindow, TwilioCallees } from './twilio-callee.js';

const AUTH_TOKEN = 'batch-test-auth-token';
const ACCOUNT_SID = `AC${'b'.repeat(32)}`;
const FROM = '+15550001111';
const API_KEY = 'batch-test-key';
/** Where Twilio reaches "the" gateway: both replicas sit behind it (the callees play the load balancer). */
const PUBLIC_BASE_URL = 'https://switchboard.example';
const FINAL: readonly BatchOutcome[] = ['completed', 'busy', 'no-answer', 'failed', 'canceled', 'expired'];

interface BatchView {
  id: string;
  status: string;
  total: number;
  counts: Record<BatchOutcome, number>;
  calls: { to: string; callSid?: string; callSids: string[]; attempts: number; outcome: BatchOutcome }[];
}

/** Callee rule of the big batch: index % 20 = 7 is busy twice then answers, = 9 is always busy. */
function answerOf(index: number, attempt: number): CalleeAnswer {
  if (index % 20 === 9) return { kind: 'busy' };
  if (index % 20 === 7 && attempt <= 2) return { kind: 'busy' };
  return { kind: 'answer', talkMs: 150 + ((index * 37) % 400) };
}

const numberOf = (batch: number, index: number) => `+1555${batch}${String(index).padStart(6, '0')}`;
const indexOf = (to: string) => Number(to.slice(-6));
const batchOf = (to: string) => Number(to.slice(5, 6));

interface ServiceProcess {
  kill: () => void;
  stop: () => void;
  exited: Promise<unknown>;
}

/** A service's entry point as a process of its own, from source, as `pnpm start` runs it. */
function spawnService(entry: string, env: Record<string, string>): ServiceProcess {
  const child = spawn(process.execPath, ['--conditions=switchboard-src', '--import', 'tsx', entry], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return {
    kill: () => child.kill('SIGKILL'),
    stop: () => child.kill('SIGTERM'),
    exited: new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
      else child.once('exit', resolve);
    }),
  };
}

async function ready(baseUrl: string): Promise<void> {
  await eventually(
    () => fetch(`${baseUrl}/readyz`).then((r) => r.status),
    (status) => status === 200,
    30_000,
  );
}

describe('call batches', () => {
  let nats: TestNatsServer;
  let db: TestDatabase;
  let registry: ServiceProcess;
  let fake: FakeTwilioRest;
  let gatewayA: Gateway;
  let gatewayB: ServiceProcess & { url: string };
  let callees: TwilioCallees;
  const alive = new Set<string>();

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${gatewayA.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const getBatch = async (id: string) =>
    (await api('GET', `/api/call-batches/${id}`)).body as unknown as BatchView;
  const finished = (b: BatchView) =>
    b.calls.length === b.total && b.calls.every((c) => FINAL.includes(c.outcome));

  /** Each replica dials the fake under a host name of its own, so the fake's requests say which one sent them. */
  const gatewayEnv = (port: number, twilioHost = '127.0.0.1'): Record<string, string> => ({
    PORT: String(port),
    PUBLIC_BASE_URL,
    MEDIA_STREAM_URL: 'wss://media.switchboard.example/media-stream',
    TWILIO_AUTH_TOKEN: AUTH_TOKEN,
    TWILIO_ACCOUNT_SID: ACCOUNT_SID,
    TWILIO_FROM_NUMBER: FROM,
    TWILIO_API_BASE_URL: fake.url.replace('127.0.0.1', twilioHost),
    TWILIO_TIMEOUT_MS: '1000',
    VOICE_BUDGET_MS: '1500',
    API_KEYS: API_KEY,
    NATS_URL: nats.url,
    NATS_USER: NATS_USERS.gateway.user,
    NATS_PASSWORD: NATS_USERS.gateway.password,
    BATCH_ACK_WAIT_MS: '3000',
    // Longer than a dial and its registration take on a loaded machine: a shorter one could redial a call
    // whose registration and first callback were both slow.
    BATCH_DIAL_LEASE_MS: '10000',
    BATCH_DISPATCH_CONCURRENCY: '32',
    BATCH_RECONCILE_AFTER_MS: '3000',
    LOG_LEVEL: 'warn',
  });

  beforeAll(async () => {
    setNatsPasswordsInEnv();
    [nats, db, fake] = await Promise.all([
      TestNatsServer.start({ configFile: NATS_AUTH_CONF }),
      testDatabase(),
      FakeTwilioRest.start({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN }),
    ]);
    // The registry and the second gateway replica are processes of their own: the registry so that this
    // process (the fake, the callees and the first replica) does not also carry it, the replica so that it
    // can be killed (SIGKILL) mid-batch.
    const registryPort = await freePort();
    registry = spawnService('services/call-registry/src/main.ts', {
      DATABASE_URL: db.url,
      PORT: String(registryPort),
      MIGRATE_ON_START: 'false',
      NATS_URL: nats.url,
      NATS_USER: NATS_USERS.registry.user,
      NATS_PASSWORD: NATS_USERS.registry.password,
      LOG_LEVEL: 'warn',
    });
    await ready(`http://127.0.0.1:${registryPort}`);
    gatewayA = await startGateway({ config: gatewayConfig(gatewayEnv(0)), log });
    alive.add(gatewayA.url);

    const portB = await freePort();
    gatewayB = {
      url: `http://127.0.0.1:${portB}`,
      ...spawnService('services/webhook-gateway/src/main.ts', gatewayEnv(portB, 'localhost')),
    };
    await ready(gatewayB.url);
    alive.add(gatewayB.url);

    callees = new TwilioCallees({
      fake,
      authToken: AUTH_TOKEN,
      gateways: () => [...alive],
      answer: (to, attempt) => {
        if (batchOf(to) === 1) return answerOf(indexOf(to), attempt);
        if (batchOf(to) === 7) return { kind: 'answer', talkMs: 100, finalCallbackLost: true };
        return { kind: 'answer', talkMs: 200 };
      },
    });
    const agent = await api('PUT', '/api/agents/reminder', {
      instructions: 'Remind {{name}} of the appointment at {{time}}. {{unknown}} stays.',
      greeting: 'Hello {{name}}!',
      voice: 'alloy',
      model: 'gpt-realtime',
    });
    expect(agent.status).toBe(201);
  }, 90_000);

  afterAll(async () => {
    gatewayB?.kill();
    await gatewayB?.exited;
    await callees?.settled();
    await gatewayA?.close();
    registry?.stop();
    await registry?.exited;
    await fake?.close();
    await nats?.close();
    await db?.drop();
  });

  it('holds maxPerSecond across both replicas when the rate is what limits', async () => {
    const before = new Set(fake.calls.keys());
    const maxPerSecond = 20;
    const created = await api('POST', '/api/call-batches', {
      calls: Array.from({ length: 100 }, (_, i) => ({ to: numberOf(4, i) })),
      maxPerSecond,
      maxConcurrent: 1_000,
    });
    expect(created.status).toBe(201);
    const final = await eventually(() => getBatch(created.body.id as string), finished, 60_000);
    await callees.settled();
    expect(final.counts.completed).toBe(100);
    const times = [...fake.calls.values()]
      .filter((c) => !before.has(c.sid))
      .map((c) => c.dateCreated.getTime());
    expect(times).toHaveLength(100);
    const busiestSecond = maxInWindow(times, 1_000);
    console.info(`batch of 100 at ${maxPerSecond}/s: max calls in any 1 s window ${busiestSecond}`);
    expect(busiestSecond).toBeLessThanOrEqual(maxPerSecond);
  }, 60_000);

  it('dials 1,000 calls within both caps across two replicas, one killed mid-batch, each call once per attempt', async () => {
    const started = performance.now();
    fake.maxLive = fake.liveCalls; // counted from here: no other batch is live now
    const maxPerSecond = 100;
    const maxConcurrent = 40;
    const calls = Array.from({ length: 1_000 }, (_, i) => ({
      to: numberOf(1, i),
      agentId: 'reminder',
      variables: { name: `Person ${i}`, time: `${9 + (i % 8)}:00` },
    }));
    const created = await api('POST', '/api/call-batches', {
      calls,
      maxPerSecond,
      maxConcurrent,
      retry: { on: ['busy'], attempts: 2, delaySeconds: 1 },
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect(created.body).toMatchObject({ total: 1_000, maxPerSecond, maxConcurrent });
    expect(['queued', 'running']).toContain(created.body.status);

    // Kill the separate replica once a third of the calls are out: its messages go to the other one.
    const ofBatch = () => fake.createRequests.filter((r) => batchOf(String(r.params.To)) === 1);
    await until(() => ofBatch().length >= 300, '300 calls placed', 120_000);
    // Both replicas were dialling it.
    const senders = new Set(ofBatch().map((r) => r.host?.split(':')[0]));
    expect(senders).toEqual(new Set(['127.0.0.1', 'localhost']));
    gatewayB.kill();
    alive.delete(gatewayB.url);
    await gatewayB.exited;

    const done = await eventually(() => getBatch(id), finished, 240_000);
    await callees.settled();
    const final = await getBatch(id);
    const wallSeconds = (performance.now() - started) / 1000;

    // Every call accounted for, with the outcome its callee's rule gives, after the attempts the rules allow.
    expect(final.status).toBe('done');
    expect(final.calls).toHaveLength(1_000);
    const sum = Object.values(final.counts).reduce((a, b) => a + b, 0);
    expect(sum).toBe(1_000);
    expect(final.counts).toMatchObject({ completed: 950, busy: 50, queued: 0, calling: 0 });
    final.calls.forEach((call, i) => {
      expect(call.to).toBe(numberOf(1, i));
      if (i % 20 === 9)
        expect({ i, outcome: call.outcome, attempts: call.attempts }).toEqual({
          i,
          outcome: 'busy',
          attempts: 3,
        });
      else if (i % 20 === 7)
        expect({ i, outcome: call.outcome, attempts: call.attempts }).toEqual({
          i,
          outcome: 'completed',
          attempts: 3,
        });
      else
        expect({ i, outcome: call.outcome, attempts: call.attempts }).toEqual({
          i,
          outcome: 'completed',
          attempts: 1,
        });
    });

    // Nothing dialled twice: Twilio got exactly one call per attempt of each number.
    const dialled = [...fake.calls.values()].filter((c) => batchOf(c.to) === 1);
    const dialsByTo = new Map<string, number>();
    for (const call of dialled) dialsByTo.set(call.to, (dialsByTo.get(call.to) ?? 0) + 1);
    for (const call of final.calls)
      expect({ to: call.to, dials: dialsByTo.get(call.to) }).toEqual({ to: call.to, dials: call.attempts });
    expect(dialled).toHaveLength(1_000 + 50 * 2 + 50 * 2);
    // …and each of Twilio's calls is an attempt the batch knows, the last one its callSid.
    expect(new Set(final.calls.flatMap((c) => c.callSids))).toEqual(new Set(dialled.map((c) => c.sid)));
    for (const call of final.calls) {
      expect(call.callSids).toHaveLength(call.attempts);
      expect(call.callSid).toBe(call.callSids.at(-1));
    }
    expect(callees.undelivered).toEqual([]);
    expect(dialled.every((c) => TERMINAL_STATUSES.has(c.status as never))).toBe(true);

    // Both caps, as Twilio saw them: creation times (its clock) and the calls live at once.
    const busiestSecond = maxInWindow(
      dialled.map((c) => c.dateCreated.getTime()),
      1_000,
    );
    expect(busiestSecond).toBeLessThanOrEqual(maxPerSecond);
    expect(fake.maxLive).toBeLessThanOrEqual(maxConcurrent);
    const claims = (await (await fetch(`${gatewayA.url}/metrics`)).text())
      .split('\n')
      .filter((line) => line.startsWith('gateway_batch_claims_total'));
    console.info(claims.join('\n'));
    const killedDials = ofBatch().filter((r) => r.host?.startsWith('localhost')).length;
    console.info(`dials by replica: in-process ${ofBatch().length - killedDials}, killed ${killedDials}`);
    console.info(
      `batch of 1000: max calls in any 1 s window ${busiestSecond} (cap ${maxPerSecond}), max live ${fake.maxLive} (cap ${maxConcurrent}), ${dialled.length} dials, ${wallSeconds.toFixed(1)} s`,
    );

    // Variables reached the call's agent (the Call the worker looks up), instructions and greeting.
    const third = done.calls[3]?.callSid as string;
    const call = await api('GET', `/api/calls/${third}`);
    expect(call.body.agent).toMatchObject({
      id: 'reminder',
      instructions: 'Remind Person 3 of the appointment at 12:00. {{unknown}} stays.',
      greeting: 'Hello Person 3!',
    });
    const agent = await api('GET', '/api/agents/reminder');
    expect(agent.body.instructions).toBe(
      'Remind {{name}} of the appointment at {{time}}. {{unknown}} stays.',
    );
  }, 360_000);

  it('cancel stops what has not been dialled; what was dialled ends as it would', async () => {
    const before = fake.calls.size;
    const created = await api('POST', '/api/call-batches', {
      calls: Array.from({ length: 300 }, (_, i) => ({ to: numberOf(2, i) })),
      maxPerSecond: 20,
      maxConcurrent: 5,
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    await until(() => fake.calls.size - before >= 20, '20 calls placed', 30_000);
    const canceled = await api('POST', `/api/call-batches/${id}/cancel`);
    expect(canceled.status).toBe(202);
    const dialledAtCancel = fake.calls.size - before;

    const final = await eventually(() => getBatch(id), finished, 60_000);
    await callees.settled();
    expect(final.status).toBe('canceled');
    const dialled = final.calls.filter((c) => c.attempts > 0);
    expect(dialled.every((c) => c.outcome === 'completed' && c.attempts === 1)).toBe(true);
    expect(final.calls.filter((c) => c.attempts === 0).every((c) => c.outcome === 'canceled')).toBe(true);
    expect({ ...final.counts, completed: 0, canceled: 0 }).toEqual(
      Object.fromEntries(Object.keys(final.counts).map((k) => [k, 0])),
    );
    expect(final.counts.completed + final.counts.canceled).toBe(300);
    // Only grants made before the cancel could still reach Twilio: at most one per live slot.
    expect(dialled.length).toBeLessThanOrEqual(dialledAtCancel + 5);
    expect(fake.calls.size - before).toBe(dialled.length);
    // Cancelling again is harmless.
    expect((await api('POST', `/api/call-batches/${id}/cancel`)).status).toBe(202);
  }, 90_000);

  it('dials nothing before notBefore nor after notAfter: the rest expire', async () => {
    const before = new Set(fake.calls.keys());
    const notBefore = new Date(Date.now() + 1_000);
    const notAfter = new Date(notBefore.getTime() + 1_500);
    const created = await api('POST', '/api/call-batches', {
      calls: Array.from({ length: 40 }, (_, i) => ({ to: numberOf(3, i) })),
      maxPerSecond: 10,
      maxConcurrent: 10,
      notBefore: notBefore.toISOString(),
      notAfter: notAfter.toISOString(),
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const final = await eventually(() => getBatch(id), finished, 30_000);
    await callees.settled();
    const placed = [...fake.calls.values()].filter((c) => !before.has(c.sid));
    expect(placed.length).toBeGreaterThan(0);
    expect(final.counts.expired).toBeGreaterThan(0);
    expect(final.counts.completed + final.counts.expired).toBe(40);
    expect(placed.length).toBe(final.counts.completed);
    for (const call of placed) {
      expect(call.dateCreated.getTime()).toBeGreaterThanOrEqual(notBefore.getTime());
      // Sent before notAfter (the gateway checks just before the REST request); Twilio's clock reads it
      // one loopback hop later.
      expect(call.dateCreated.getTime()).toBeLessThan(notAfter.getTime() + 100);
    }
  }, 60_000);

  it('asks Twilio about a call that stays live when its final callback was lost, and settles it', async () => {
    const created = await api('POST', '/api/call-batches', {
      calls: Array.from({ length: 10 }, (_, i) => ({ to: numberOf(7, i) })),
      maxPerSecond: 10,
    });
    expect(created.status).toBe(201);
    const final = await eventually(() => getBatch(created.body.id as string), finished, 60_000);
    expect(final.counts.completed).toBe(10);
    // Each was looked up with GET …/Calls/{Sid}.json, as Twilio's REST API has it.
    const fetched = new Set(
      fake.requests.filter((r) => r.method === 'GET').map((r) => r.path.split('/').at(-1)),
    );
    for (const call of final.calls) expect(fetched.has(`${call.callSid}.json`)).toBe(true);
  }, 90_000);

  it('answers a clear 400 for each bad batch, and 404 for an unknown one', async () => {
    const one = [{ to: '+15550002222' }];
    const cases: [string, unknown, string][] = [
      ['no calls', { calls: [] }, 'calls'],
      ['too many calls', { calls: Array.from({ length: 10_001 }, () => one[0]) }, 'calls'],
      ['a number that is not E.164', { calls: [{ to: '5550002222' }] }, 'calls.0.to'],
      ['maxPerSecond 0', { calls: one, maxPerSecond: 0 }, 'maxPerSecond'],
      ['maxPerSecond 101', { calls: one, maxPerSecond: 101 }, 'maxPerSecond'],
      ['maxConcurrent 1001', { calls: one, maxConcurrent: 1001 }, 'maxConcurrent'],
      ['notBefore not ISO', { calls: one, notBefore: 'tomorrow' }, 'notBefore'],
      [
        'notAfter before notBefore',
        { calls: one, notBefore: '2030-01-02T00:00:00Z', notAfter: '2030-01-01T00:00:00Z' },
        'notAfter',
      ],
      [
        'retry attempts 6',
        { calls: one, retry: { on: ['busy'], attempts: 6, delaySeconds: 1 } },
        'retry.attempts',
      ],
      [
        'retry on completed',
        { calls: one, retry: { on: ['completed'], attempts: 1, delaySeconds: 1 } },
        'retry.on.0',
      ],
      [
        'a bad variable name',
        { calls: [{ to: '+15550002222', variables: { 'a b': 'x' } }] },
        'calls.0.variables',
      ],
      ['an unknown field', { calls: one, pace: 3 }, 'pace'],
      [
        'an unknown agent',
        { calls: [{ to: '+15550002222' }, { to: '+15550002223', agentId: 'nobody' }] },
        'calls.1.agentId',
      ],
    ];
    const before = fake.calls.size;
    for (const [what, body, field] of cases) {
      const res = await api('POST', '/api/call-batches', body);
      expect({ what, status: res.status, code: (res.body.error as { code: string }).code }).toEqual({
        what,
        status: 400,
        code: 'INVALID_REQUEST',
      });
      const paths = ((res.body.error as { details?: { path: string[] }[] }).details ?? []).map((d) =>
        d.path.join('.'),
      );
      expect({ what, named: paths.some((p) => p.startsWith(field)) }).toEqual({ what, named: true });
    }
    expect(fake.calls.size).toBe(before);
    const unknown = await api('GET', `/api/call-batches/cb_${'0'.repeat(24)}`);
    expect({ status: unknown.status, code: (unknown.body.error as { code: string }).code }).toEqual({
      status: 404,
      code: 'BATCH_NOT_FOUND',
    });
    expect((await api('GET', '/api/call-batches/nope')).status).toBe(400);
    // The route takes 4 MiB (10,000 calls with variables), not more; every other route keeps 64 KiB.
    const huge = {
      calls: [{ to: '+15550002222', variables: { a: 'x'.repeat(2_000) } }],
      pad: 'x'.repeat(5 << 20),
    };
    expect((await api('POST', '/api/call-batches', huge)).status).toBe(413);
    expect((await api('POST', '/api/calls', { to: '+15550002222', pad: 'x'.repeat(70 << 10) })).status).toBe(
      413,
    );
    expect((await api('POST', `/api/call-batches/cb_${'0'.repeat(24)}/cancel`)).status).toBe(404);
  }, 60_000);

  it('takes the largest batches: 10,000 calls, and calls whose variables outgrow one registry request', async () => {
    const later = new Date(Date.now() + 3_600_000).toISOString();
    const before = fake.calls.size;
    const many = await api('POST', '/api/call-batches', {
      calls: Array.from({ length: 10_000 }, (_, i) => ({ to: numberOf(5, i) })),
      notBefore: later,
    });
    expect(many.status).toBe(201);
    const variables = Object.fromEntries(Array.from({ length: 40 }, (_, v) => [`v${v}`, 'x'.repeat(200)]));
    const heavy = await api('POST', '/api/call-batches', {
      calls: Array.from({ length: 300 }, (_, i) => ({ to: numberOf(6, i), variables })),
      notBefore: later,
    });
    expect(heavy.status).toBe(201);
    for (const [created, total] of [
      [many, 10_000],
      [heavy, 300],
    ] as const) {
      const id = created.body.id as string;
      const view = await getBatch(id);
      expect(view.calls).toHaveLength(total);
      expect(view.counts.queued).toBe(total);
      expect(view.calls.at(-1)?.to).toBe(numberOf(total === 300 ? 6 : 5, total - 1));
      expect((await api('POST', `/api/call-batches/${id}/cancel`)).status).toBe(202);
      const canceled = await getBatch(id);
      expect(canceled).toMatchObject({ status: 'canceled', counts: { canceled: total } });
    }
    expect(fake.calls.size).toBe(before);
  }, 60_000);
});
