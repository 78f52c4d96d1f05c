import { setTimeout as sleep } from 'node:timers/promises';
import { ServiceErrorCodeHeader } from '@nats-io/services';
import { connectBus } from '@switchboard/bus';
import { freePort, waitForPort } from '@switchboard/testkit';
import { type NodeChild, spawnTsNode } from '../lib/child.js';
import { CpuMeter, findProcesses } from '../lib/cpu.js';
import type { ConnectionSampler } from './probes.js';
import { figuresSince, readRegistryFigures } from './probes.js';
import type { BatchFigures, CpuUse, Measurement } from './report.js';
import { seededSid } from './sids.js';

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
  /** Measures the CPU of every part serving `contender` (and the registry's batches), between two calls. */
  meter(contender: string, sampler: ConnectionSampler, databases: readonly string[]): Meter;
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
  try {
    const httpPort = await freePort();
    const registry = spawnTsNode(
      options.registryMain ?? REGISTRY_MAIN,
      {
        DATABASE_URL: options.databaseUrl,
        NATS_URL: options.natsUrl,
        PORT: String(httpPort),
        DB_POOL_MAX: String(options.poolMax),
        MIGRATE_ON_START: 'false',
        LOG_LEVEL: 'warn',
      },
      { stdio: 'ignore', nodeArgs },
    );
    children.push(registry);
    await Promise.race([
      waitForPort(httpPort, READY_TIMEOUT_MS),
      registry.exited.then((code) => Promise.reject(new Error(`registry exited with ${code}`))),
    ]);
    for (let i = 0; i < options.natsConnections; i++) {
      clients.push(await connectBus({ url: options.natsUrl, name: `bench-load-${i}` }));
    }
    const client = clients[0] as NatsConnection;
    // A real reply, so the fixed responder answers with a Call of exactly the registry's size.
    const sample = await untilAnswered(client, 'call.bySid', seededSid(1));
    const fixed = spawnTsNode(
      FIXED_REPLY_MAIN,
      {
        NATS_URL: options.natsUrl,
        FIXED_SUBJECT,
        FIXED_REPLY: sample,
      },
      { nodeArgs },
    );
    children.push(fixed);
    await untilAnswered(client, FIXED_SUBJECT, seededSid(1));

    const natsPids = findProcesses('nats-server', `-p ${options.natsPort} `);
    const backendNames = (contender: string) => {
      if (contender === 'registry') return [REGISTRY_APP_NAME];
      if (contender.startsWith('direct')) return ['switchboard-bench-direct'];
      if (contender === 'origin') return ['switchboard-bench-origin'];
      return [];
    };
    const serverPid = (contender: string) =>
      contender === 'registry' ? [registry.pid] : contender === 'ceiling' ? [fixed.pid] : [];

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
            if (contender === 'registry') atMark = await readRegistryFigures(httpPort);
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
            return { wallMs, cpu, batches: figuresSince(atMark, await readRegistryFigures(httpPort)) };
          },
        };
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
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
