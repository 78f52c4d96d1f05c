import { MEDIA_STREAM_PATH } from '@switchboard/media-worker';
import {
  createLogPrinter,
  type ManagedProcess,
  type ServiceName,
  startService,
  waitUntilReady,
} from '@switchboard/scripts';
import {
  FAKE_OPENAI_API_KEY,
  type FakeRealtimeOptions,
  FakeRealtimeServer,
  freePort,
  type TestDatabase,
  TestNatsCluster,
} from '@switchboard/testkit';
import { NATS_AUTH_CONF, natsEnvFor, REPO_ROOT, setNatsPasswordsInEnv, testDatabase } from '../support.js';

// switchboard as a cluster on loopback: three clustered nats-servers with the per-service users of
// infra/nats/auth.conf, and two replicas of every service, each a process of its own (`node
// services/<name>/dist/main.js`, as the images run it) so that a test can SIGKILL any of them.
// Needs the services built (`pnpm test` builds first).

export const CLUSTER_AUTH_TOKEN = 'cluster-twilio-auth-token';
export const CLUSTER_API_KEY = 'cluster-api-key';

/** One replica of a service: its process and where it listens. */
export interface Replica {
  name: string;
  service: ServiceName;
  port: number;
  process: ManagedProcess;
  /** The last lines it logged (warnings and errors), for a failure's message. */
  output(): string;
  /** SIGKILL, as a crashed process or a lost machine: nothing is drained or flushed. */
  kill(): Promise<void>;
}

export interface ClusterStack {
  nats: TestNatsCluster;
  db: TestDatabase;
  realtime: FakeRealtimeServer;
  registries: Replica[];
  gateways: Replica[];
  workers: Replica[];
  /** The PUBLIC_BASE_URL every gateway was given: where "Twilio" believes it sends webhooks. */
  publicBaseUrl: string;
  /** The MEDIA_STREAM_URL every worker checks signatures over (a load balancer's, in production). */
  mediaUrl: string;
  close(): Promise<void>;
}

export interface ClusterStackOptions {
  /** Replicas of each service (default 2). */
  replicas?: number;
  realtime?: FakeRealtimeOptions;
  /** More settings, per service. */
  env?: Partial<Record<ServiceName, Record<string, string>>>;
}

const LOG_TAIL_CHARS = 6_000;

export async function startClusterStack(options: ClusterStackOptions = {}): Promise<ClusterStack> {
  const replicas = options.replicas ?? 2;
  setNatsPasswordsInEnv();
  const [nats, db, realtime] = await Promise.all([
    TestNatsCluster.start({ configFile: NATS_AUTH_CONF }),
    testDatabase(),
    FakeRealtimeServer.start(options.realtime),
  ]);
  // Addresses nobody listens on: what Twilio was told (a load balancer), which signatures cover.
  const publicBaseUrl = `http://127.0.0.1:${await freePort()}`;
  const mediaUrl = `ws://127.0.0.1:${await freePort()}${MEDIA_STREAM_PATH}`;
  const started: Replica[] = [];
  const natsEnv = (role: 'registry' | 'gateway' | 'worker') => natsEnvFor(nats.url, role);
  const start = async (service: ServiceName, index: number, env: Record<string, string>) => {
    const port = await freePort();
    const name = `${service}-${index + 1}`;
    let tail = '';
    const printer = createLogPrinter({
      write: (text) => {
        tail = (tail + text).slice(-LOG_TAIL_CHARS);
        if (process.env.TEST_LOG_LEVEL) process.stderr.write(text);
      },
      color: false,
    });
    const child = startService({
      root: REPO_ROOT,
      name: service,
      printer,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
        ...env,
        ...options.env?.[service],
      },
    });
    const replica: Replica = {
      name,
      service,
      port,
      process: child,
      output: () => tail,
      kill: async () => {
        await child.stop('SIGKILL');
      },
    };
    started.push(replica);
    await waitUntilReady(child, `http://127.0.0.1:${port}/readyz`).catch((err: unknown) => {
      throw new Error(`${name} did not get ready: ${(err as Error).message}\n${tail}`);
    });
    return replica;
  };
  const each = (service: ServiceName, env: Record<string, string>) =>
    Promise.all(Array.from({ length: replicas }, (_, i) => start(service, i, env)));

  try {
    const registries = await each('call-registry', {
      DATABASE_URL: db.url,
      MIGRATE_ON_START: 'false',
      JETSTREAM_REPLICAS: String(nats.nodes.length),
      ...natsEnv('registry'),
    });
    const [gateways, workers] = await Promise.all([
      each('webhook-gateway', {
        PUBLIC_BASE_URL: publicBaseUrl,
        MEDIA_STREAM_URL: mediaUrl,
        TWILIO_AUTH_TOKEN: CLUSTER_AUTH_TOKEN,
        API_KEYS: CLUSTER_API_KEY,
        ...natsEnv('gateway'),
      }),
      each('media-worker', {
        PUBLIC_MEDIA_URL: mediaUrl,
        TWILIO_AUTH_TOKEN: CLUSTER_AUTH_TOKEN,
        OPENAI_API_KEY: FAKE_OPENAI_API_KEY,
        OPENAI_REALTIME_URL: realtime.url,
        DRAIN_TIMEOUT_MS: '1000',
        ...natsEnv('worker'),
      }),
    ]);
    return {
      nats,
      db,
      realtime,
      registries,
      gateways,
      workers,
      publicBaseUrl,
      mediaUrl,
      close: () => closeAll(started, nats, db, realtime),
    };
  } catch (err) {
    await closeAll(started, nats, db, realtime);
    throw err;
  }
}

async function closeAll(
  replicas: Replica[],
  nats: TestNatsCluster,
  db: TestDatabase,
  realtime: FakeRealtimeServer,
): Promise<void> {
  // Services first (workers drain for at most DRAIN_TIMEOUT_MS), then what they use.
  await Promise.all(replicas.map((r) => r.process.stop('SIGTERM', 5_000)));
  await realtime.close();
  await nats.close();
  await db.drop();
}
