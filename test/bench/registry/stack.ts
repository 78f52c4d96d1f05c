import { setTimeout as sleep } from 'node:timers/promises';
import { ServiceErrorCodeHeader } from '@nats-io/services';
import { connectBus } from '@switchboard/bus';
import { freePort, waitForPort } from '@switchboard/testkit';
import { type NodeChild, spawnTsNode } from '../lib/child.js';
import { CpuMeter, findProcesses } from '../lib/cpu.js';
import type { ConnectionSampler } from './probes.js';
import { figuresSince, readRegistryFigures } from './probes.js';
import type { BatchFigures, CpuUse, Measurement } from './report.js';
import { SidDeck, seededSid } from './sids.js';

type NatsConnection = Awaited<ReturnType<typeof connectBus>>;

export const REGISTRY_MAIN = 'services/call-registry/src/main.ts';
const FIXED_REPLY_MAIN = 'test/bench/registry/fixed-reply.ts';
const REGISTRY_APP_NAME = 'switchboard-call-registry';
const FIXED_SUBJECT = 'bench.fixed.bySid';
const READY_TIMEOUT_MS = 60_000;
const encoder = new TextEncoder();

export interface StackOptions {
  natsUrl: string;
  natsPort: number;
  databaseUrl: string;
  poolMax: number;
  natsConnections: number;
  /** Extra `node` flags for the registry and the fixed responder (`--cpu-prof`, `--perf-basic-prof`). */
  serverNodeArgs?: readonly string[];
  /** Another registry entry point (a variant under trial), relative to the repository's root. */
  registryMain?: string | undefined;
  /** The sids the ceiling will be asked for (see `SidDeck`): it fetches the registry's reply to each at start. */
  ceilingDeck: { calls: number; size: number; seed: number };
}

export interface Meter {
  mark(): Promise<void>;
  read(wallMs: number): Promise<Pick<Measurement, 'wallMs' | 'cpu' | 'batches'>>;
}

export interface BenchStack {
  /** The load generator's connections, shared by every NATS contender. */
  clients: NatsConnection[];
  fixedSubject: string;
  registryPid: number;
  fixedPid: number;
  registryAppName: string;
  /**
   * Measures the CPU of every part serving `contender` (and the registry's batches), between two calls.
   * A contender whose name starts with `registry` is served by every registry replica running.
   */
  meter(contender: string, sampler: ConnectionSampler, databases: readonly string[]): Meter;
  /** Starts a second registry replica (same database, same NATS) and waits until it serves. */
  startReplica(): Promise<void>;
  /** Stops the second replica (SIGTERM: it drains), if one runs. */
  stopReplica(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The registry and the fixed-reply responder, each its own process on the same throwaway nats-server,
 * and the load generator's client connections.
 */
export async function startStack(options: StackOptions): Promise<BenchStack> {
  const children: NodeChild[] = [];
  const nodeArgs = options.serverNodeArgs ?? [];
  const clients: NatsConnection[] = [];
  const close = async () => {
    await Promise.allSettled(clients.map((nc) => nc.close()));
    await Promise.allSettled(children.map((child) => child.stop()));
  };
  const startRegistry = async () => {
    const port = await freePort();
    const child = spawnTsNode(
      options.registryMain ?? REGISTRY_MAIN,
      {
        DATABASE_URL: options.databaseUrl,
        NATS_URL: options.natsUrl,
        PORT: String(port),
        DB_POOL_MAX: String(options.poolMax),
        MIGRATE_ON_START: 'false',
        LOG_LEVEL: 'warn',
      },
      { stdio: 'ignore', nodeArgs },
    );
    children.push(child);
    await Promise.race([
      waitForPort(port, READY_TIMEOUT_MS),
      child.exited.then((code) => Promise.reject(new Error(`registry exited with ${code}`))),
    ]);
    return { child, port };
  };
  try {
    const first = await startRegistry();
    const registry = first.child;
    let replica: { child: NodeChild; port: number } | undefined;
    for (let i = 0; i < options.natsConnections; i++) {
      clients.push(await connectBus({ url: options.natsUrl, name: `bench-load-${i}` }));
    }
    const client = clients[0] as NatsConnection;
    await untilAnswered(client, 'call.bySid', seededSid(1));
    const fixed = spawnTsNode(
      FIXED_REPLY_MAIN,
      {
        NATS_URL: options.natsUrl,
        FIXED_SUBJECT,
        DECK_CALLS: String(options.ceilingDeck.calls),
        DECK_SIZE: String(options.ceilingDeck.size),
        DECK_SEED: String(options.ceilingDeck.seed),
      },
      { nodeArgs },
    );
    children.push(fixed);
    const { calls, size, seed } = options.ceilingDeck;
    await untilAnswered(client, FIXED_SUBJECT, new SidDeck(calls, size, seed).draw());

    const natsPids = findProcesses('nats-server', `-p ${options.natsPort} `);
    const backendNames = (contender: string) => {
      if (isRegistry(contender)) return [REGISTRY_APP_NAME];
      if (contender.startsWith('direct')) return ['switchboard-bench-direct'];
      if (contender === 'origin') return ['switchboard-bench-origin'];
      return [];
    };
    const isRegistry = (contender: string) => contender.startsWith('registry');
    const registryPorts = () => [first.port, ...(replica ? [replica.port] : [])];
    const serverPid = (contender: string) =>
      isRegistry(contender)
        ? [registry.pid, ...(replica ? [replica.child.pid] : [])]
        : contender === 'ceiling'
          ? [fixed.pid]
          : [];

    return {
      clients,
      fixedSubject: FIXED_SUBJECT,
      registryPid: registry.pid,
      fixedPid: fixed.pid,
      registryAppName: REGISTRY_APP_NAME,
      meter(contender, sampler, databases) {
        const server = new CpuMeter(() => serverPid(contender));
        const nats = new CpuMeter(() => natsPids);
        const postgres = new CpuMeter(() => sampler.backendPids(databases, backendNames(contender)));
        let bench = process.cpuUsage();
        let atMark: BatchFigures | undefined;
        return {
          async mark() {
            await Promise.all([server.mark(), nats.mark(), postgres.mark()]);
            if (isRegistry(contender)) atMark = await readAllFigures(registryPorts());
            bench = process.cpuUsage();
          },
          async read(wallMs) {
            const used = process.cpuUsage(bench);
            const cpu: CpuUse = {
              bench: (used.user + used.system) / 1_000,
              server: await server.read(),
              nats: await nats.read(),
              postgres: await postgres.read(),
            };
            if (!atMark) return { wallMs, cpu };
            return { wallMs, cpu, batches: figuresSince(atMark, await readAllFigures(registryPorts())) };
          },
        };
      },
      async startReplica() {
        if (replica) return;
        replica = await startRegistry();
        await untilInstances(client, 2);
      },
      async stopReplica() {
        const stopping = replica;
        replica = undefined;
        await stopping?.child.stop();
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/** The batch figures of several replicas, added up. */
async function readAllFigures(ports: readonly number[]): Promise<BatchFigures> {
  const all = await Promise.all(ports.map(readRegistryFigures));
  return all.reduce((sum, f) => ({
    queries: sum.queries + f.queries,
    sids: sum.sids + f.sids,
    answeredWithin: sum.answeredWithin.map(([le, n]) => [
      le,
      n + (f.answeredWithin.find(([l]) => l === le)?.[1] ?? 0),
    ]),
  }));
}

/** Waits until `count` instances of the call-registry service answer `$SRV.PING`. */
async function untilInstances(nc: NatsConnection, count: number): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const answered = new Set<string>();
    const inbox = nc.subscribe(`_INBOX.bench-ping.${Date.now()}`, {
      callback: (_err, msg) => {
        answered.add(msg.json<{ id: string }>().id);
      },
    });
    nc.publish('$SRV.PING.call-registry', '', { reply: inbox.getSubject() });
    await sleep(300);
    inbox.unsubscribe();
    if (answered.size >= count) return;
  }
  throw new Error(`fewer than ${count} call-registry instances answer $SRV.PING`);
}

/** Asks until a reply comes back without an error (the responder may still be starting); returns its JSON. */
async function untilAnswered(nc: NatsConnection, subject: string, callSid: string): Promise<string> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    try {
      const msg = await nc.request(subject, encoder.encode(JSON.stringify({ callSid })), { timeout: 2_000 });
      if (!msg.headers?.get(ServiceErrorCodeHeader)) return msg.string();
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    if (Date.now() > deadline) throw new Error(`${subject} never answered`);
    await sleep(200);
  }
}
