// Benchmark of webhook deliveries: BENCH_NOTIFIER_CALLS calls (default 200) end at the same moment, and
// each owes its subscriber an end-of-call report (`call.ended`, with the Call and the whole transcript) and a
// `call.status`. Measured, per round (BENCH_NOTIFIER_ROUNDS, default 3):
//   - deliveries per second: the round's deliveries over the time from the first `ended` event published to
//     the last delivery at the receiver;
//   - report delay: from a call's `ended` event published (this process) to its report at the receiver (this
//     process too: one clock), p50/p99 over every call of every round. Target: p99 under 250 ms.
// The registry and the notifier run as processes of their own (from source) on a throwaway nats-server and
// database; the receiver is an HTTP server in this process that answers 204 at once and checks each
// signature with the `standardwebhooks` library.
// Run: pnpm bench notifier  (or node --conditions=switchboard-src --import tsx test/bench/notifier.ts)
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connectBus, EventPublisher, registryClient } from '@switchboard/bus';
import { testDatabase } from '@switchboard/call-registry/testing';
import {
  CALL_EVENTS_CONSUMER,
  CALL_EVENTS_STREAM,
  type CallEvent,
  eventSubject,
} from '@switchboard/contracts';
import { createLogger } from '@switchboard/logger';
import { freePort, newCallSid, TestNatsServer, waitForPort } from '@switchboard/testkit';
import { Webhook } from 'standardwebhooks';
import { spawnTsNode } from './lib/child.js';
import { processCpuMs } from './lib/cpu.js';
import { Latencies } from './lib/latency.js';
import { formatTable, ms, perSecond } from './lib/table.js';

const CALLS = Number(process.env.BENCH_NOTIFIER_CALLS ?? 200);
const ROUNDS = Number(process.env.BENCH_NOTIFIER_ROUNDS ?? 3);
/** Rounds run first and not counted: the services' first pass through each path is JIT compilation. */
const WARMUP_ROUNDS = Number(process.env.BENCH_NOTIFIER_WARMUP ?? 1);
const TURNS = 6;
const TARGET_P99_MS = 250;
const log = createLogger({ name: 'notifier-bench', level: 'warn' });

interface Received {
  type: string;
  callSid: string;
  at: number;
}

async function main(): Promise<void> {
  const nats = await TestNatsServer.start();
  const db = await testDatabase();
  const registryPort = await freePort();
  const notifierPort = await freePort();
  const registry = spawnTsNode(
    'services/call-registry/src/main.ts',
    {
      DATABASE_URL: db.url,
      NATS_URL: nats.url,
      PORT: String(registryPort),
      MIGRATE_ON_START: 'false',
      LOG_LEVEL: 'warn',
    },
    process.env.BENCH_PROFILE
      ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${join(tmpdir(), 'switchboard-bench-profile')}`] }
      : {},
  );
  await waitForPort(registryPort);
  const nc = await connectBus({ url: nats.url, name: 'notifier-bench' });
  const client = registryClient(nc, { timeoutMs: 10_000 });
  const events = new EventPublisher(nc, log);

  // The receiver: every delivery verified and timed on arrival.
  const received: Received[] = [];
  let secret = '';
  let verifyFailures = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = performance.now();
      const body = Buffer.concat(chunks).toString('utf8');
      try {
        new Webhook(secret).verify(body, {
          'webhook-id': String(req.headers['webhook-id']),
          'webhook-timestamp': String(req.headers['webhook-timestamp']),
          'webhook-signature': String(req.headers['webhook-signature']),
        });
      } catch {
        verifyFailures++;
      }
      const json = JSON.parse(body) as {
        type: string;
        data: { callSid?: string; call?: { callSid: string } };
      };
      received.push({ type: json.type, callSid: json.data.callSid ?? json.data.call?.callSid ?? '', at });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  const webhook = await client.webhookCreate({ url, events: ['call.started', 'call.ended', 'call.status'] });
  secret = webhook.secret;

  const notifier = spawnTsNode('services/notifier/src/main.ts', {
    NATS_URL: nats.url,
    PORT: String(notifierPort),
    WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
    LOG_LEVEL: process.env.BENCH_NOTIFIER_LOG_LEVEL ?? 'warn',
  });
  await waitForPort(notifierPort);

  const reportDelays = new Latencies();
  const notifierDelays = new Latencies();
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  const rows: string[][] = [];
  let cpuBefore = { registry: 0, notifier: 0 };
  let benchStarted = 0;
  try {
    for (let round = 1 - WARMUP_ROUNDS; round <= ROUNDS; round++) {
      const counted = round >= 1;
      // Calls that are live: registered, streaming, with a transcript; their call.started delivered.
      const sids = Array.from({ length: CALLS }, () => newCallSid());
      const t0 = Date.now();
      await Promise.all(
        sids.map(async (callSid) => {
          const streamSid = `MZ${callSid.slice(2)}`;
          await client.callCreate({
            callSid,
            direction: 'inbound',
            from: '+15551230000',
            to: '+15559870000',
          });
          await publish(
            events,
            { kind: 'stream', callSid, at: iso(t0), action: 'started', streamSid },
            `s:${callSid}:start`,
          );
          for (let i = 0; i < TURNS; i++) {
            const role = i % 2 === 0 ? 'agent' : 'caller';
            await publish(
              events,
              {
                kind: 'transcript',
                callSid,
                at: iso(t0 + 10 + i),
                role,
                text: `line ${i} of the conversation`,
                itemId: `i${i}`,
              },
              `t:${callSid}:${i}`,
            );
          }
        }),
      );
      await until(() => count(received, sids, 'call.started') === CALLS, 60_000, 'call.started deliveries');
      await sleep(500);

      // All of them end at once: the worker's `ended`, the stream's stop, Twilio's `completed`.
      const endedAt = new Map<string, number>();
      const endedSeq = new Map<string, number>();
      // When the registry had applied each call's `ended` (its consumer's ack floor past it), seen every 10 ms.
      const appliedAt = new Map<string, number>();
      let watching = true;
      const watcher = (async () => {
        while (watching) {
          const floor = (await jsm.consumers.info(CALL_EVENTS_STREAM, CALL_EVENTS_CONSUMER)).ack_floor
            .stream_seq;
          const now = performance.now();
          for (const [sid, seq] of endedSeq) if (seq <= floor && !appliedAt.has(sid)) appliedAt.set(sid, now);
          await sleep(10);
        }
      })();
      const firstDelivery = received.length;
      if (benchStarted === 0 && counted) {
        benchStarted = performance.now();
        cpuBefore = { registry: processCpuMs(registry.pid) ?? 0, notifier: processCpuMs(notifier.pid) ?? 0 };
      }
      const start = performance.now();
      const sampler = process.env.BENCH_TRACE
        ? trace(nc, start, () => received.length - firstDelivery)
        : undefined;
      await Promise.all(
        sids.map(async (callSid) => {
          const streamSid = `MZ${callSid.slice(2)}`;
          const at = Date.now();
          endedAt.set(callSid, performance.now());
          const ended: CallEvent = { kind: 'ended', callSid, at: iso(at), reason: 'agent-ended' };
          const ack = await js.publish(eventSubject(callSid, 'ended'), JSON.stringify(ended), {
            msgID: `e:${callSid}`,
          });
          endedSeq.set(callSid, ack.seq);
          await publish(
            events,
            { kind: 'stream', callSid, at: iso(at + 1), action: 'stopped', streamSid, reason: 'agent-ended' },
            `s:${callSid}:stop`,
          );
          await publish(
            events,
            { kind: 'status', callSid, at: iso(at + 50), status: 'completed', durationSeconds: 1 },
            `st:${callSid}:completed`,
          );
        }),
      );
      await until(
        () => count(received, sids, 'call.ended') === CALLS && count(received, sids, 'call.status') === CALLS,
        60_000,
        'reports',
      );
      sampler?.stop();
      watching = false;
      await watcher;
      if (process.env.BENCH_TRACE)
        process.stdout.write(`applied seen ${appliedAt.size} of ${endedSeq.size}\n`);
      const roundDeliveries = received.slice(firstDelivery).filter((r) => sids.includes(r.callSid));
      const last = Math.max(...roundDeliveries.map((r) => r.at));
      const round_ = new Latencies();
      for (const r of roundDeliveries) {
        if (r.type !== 'call.ended') continue;
        const d = r.at - (endedAt.get(r.callSid) ?? r.at);
        round_.record(d);
        if (!counted) continue;
        reportDelays.record(d);
        const applied = appliedAt.get(r.callSid);
        if (applied !== undefined) notifierDelays.record(Math.max(0, r.at - applied));
      }
      const s = round_.summary();
      rows.push([
        counted ? String(round) : 'warm-up',
        String(roundDeliveries.length),
        perSecond(roundDeliveries.length / ((last - start) / 1000)),
        ms(s.p50),
        ms(s.p99),
        ms(s.max),
      ]);
    }
  } finally {
    const cpu = {
      registry: (processCpuMs(registry.pid) ?? 0) - cpuBefore.registry,
      notifier: (processCpuMs(notifier.pid) ?? 0) - cpuBefore.notifier,
    };
    const wall = performance.now() - benchStarted;
    await notifier.stop();
    await registry.stop();
    await nc.close();
    server.close();
    await nats.close();
    await db.drop();
    if (rows.length > 0) {
      const all = reportDelays.summary();
      process.stdout.write(
        `${CALLS} calls ending at once, ${ROUNDS} rounds after ${WARMUP_ROUNDS} warm-up; each owes call.ended (the report: Call + ${TURNS}-segment transcript) and call.status\n\n`,
      );
      process.stdout.write(
        `${formatTable(['round', 'deliveries', 'deliveries/s', 'report p50 ms', 'report p99 ms', 'max ms'], rows)}\n\n`,
      );
      process.stdout.write(
        `report delay (ended published → report at the receiver), all rounds: p50 ${ms(all.p50)} ms, p99 ${ms(all.p99)} ms (target p99 < ${TARGET_P99_MS} ms: ${all.p99 < TARGET_P99_MS ? 'met' : 'NOT met'})\n`,
      );
      const n = notifierDelays.summary();
      process.stdout.write(
        `of which after the registry had applied the end (its ack floor, seen every 10 ms): p50 ${ms(n.p50)} ms, p99 ${ms(n.p99)} ms\n`,
      );
      process.stdout.write(
        `signatures that did not verify: ${verifyFailures}; CPU from the first counted round's end on: notifier ${ms(cpu.notifier)} ms, registry ${ms(cpu.registry)} ms over ${ms(wall)} ms\n`,
      );
    }
  }
}

/** With BENCH_TRACE set: every 50 ms, how far each stage has got (to see where the time goes). */
function trace(nc: import('@nats-io/nats-core').NatsConnection, start: number, delivered: () => number) {
  let stopped = false;
  void (async () => {
    const { jetstreamManager } = await import('@nats-io/jetstream');
    const jsm = await jetstreamManager(nc);
    while (!stopped) {
      const [reg, fan, q] = await Promise.all([
        jsm.consumers.info('CALL_EVENTS', 'call-registry'),
        jsm.consumers.info('CALL_EVENTS', 'notifier'),
        jsm.streams.info('WEBHOOK_DELIVERIES'),
      ]);
      process.stdout.write(
        `${ms(performance.now() - start)} ms: stream ${reg.delivered.stream_seq} registry floor ${reg.ack_floor.stream_seq} fan-out floor ${fan.ack_floor.stream_seq} queued ${q.state.messages} delivered ${delivered()}\n`,
      );
      await sleep(50);
    }
  })();
  return {
    stop: () => {
      stopped = true;
    },
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function publish(events: EventPublisher, event: CallEvent, msgId: string): Promise<void> {
  return events.publish(event, { msgId });
}

function count(received: Received[], sids: string[], type: string): number {
  const wanted = new Set(sids);
  return new Set(received.filter((r) => r.type === type && wanted.has(r.callSid)).map((r) => r.callSid)).size;
}

async function until(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

await main();
