import { type Registry, loadConfig as registryConfig, startRegistry } from '@switchboard/call-registry';
import {
  MEDIA_STREAM_PATH,
  startWorker,
  type Worker,
  loadConfig as workerConfig,
} from '@switchboard/media-worker';
import { freePort, type TestDatabase, TestNatsServer } from '@switchboard/testkit';
import { type Gateway, loadConfig as gatewayConfig, startGateway } from '@switchboard/webhook-gateway';
import { log, NATS_AUTH_CONF, natsEnvFor, setNatsPasswordsInEnv, testDatabase } from '../support.js';

export interface ServicesOptions {
  authToken: string;
  apiKey: string;
  /** The OpenAI Realtime the worker dials (a sandbox or a fake) and the key it presents. */
  realtime: { url: string; apiKey: string };
  /** More settings for the gateway and the worker (Twilio's REST API for transfers, tool signing…). */
  env?: { gateway?: Record<string, string>; worker?: Record<string, string> };
}

/**
 * The three real services, in-process, on a throwaway nats-server with infra/nats's per-service users and a
 * throwaway PostgreSQL database: the set-up of the cross-service end-to-end tests.
 */
export interface Services {
  nats: TestNatsServer;
  db: TestDatabase;
  registry: Registry;
  gateway: Gateway;
  worker: Worker;
  /** The gateway's PUBLIC_BASE_URL (it listens there: webhooks are signed for it). */
  publicBaseUrl: string;
  /** The worker's MEDIA_STREAM_URL. */
  mediaUrl: string;
  close(): Promise<void>;
}

export async function startServices(options: ServicesOptions): Promise<Services> {
  setNatsPasswordsInEnv();
  const [nats, db] = await Promise.all([
    TestNatsServer.start({ configFile: NATS_AUTH_CONF }),
    testDatabase(),
  ]);
  const natsEnv = (role: 'registry' | 'gateway' | 'worker') => natsEnvFor(nats.url, role);
  const registry = await startRegistry({
    config: registryConfig({
      DATABASE_URL: db.url,
      PORT: '0',
      MIGRATE_ON_START: 'false',
      ...natsEnv('registry'),
    }),
    log,
  });
  const [gatewayPort, workerPort] = [await freePort(), await freePort()];
  const publicBaseUrl = `http://127.0.0.1:${gatewayPort}`;
  const mediaUrl = `ws://127.0.0.1:${workerPort}${MEDIA_STREAM_PATH}`;
  const gateway = await startGateway({
    config: gatewayConfig({
      PORT: String(gatewayPort),
      PUBLIC_BASE_URL: publicBaseUrl,
      MEDIA_STREAM_URL: mediaUrl,
      TWILIO_AUTH_TOKEN: options.authToken,
      API_KEYS: options.apiKey,
      ...natsEnv('gateway'),
      ...options.env?.gateway,
    }),
    log,
  });
  const worker = await startWorker({
    config: workerConfig({
      PORT: String(workerPort),
      PUBLIC_MEDIA_URL: mediaUrl,
      TWILIO_AUTH_TOKEN: options.authToken,
      OPENAI_API_KEY: options.realtime.apiKey,
      OPENAI_REALTIME_URL: options.realtime.url,
      ...natsEnv('worker'),
      ...options.env?.worker,
    }),
    log,
  });
  return {
    nats,
    db,
    registry,
    gateway,
    worker,
    publicBaseUrl,
    mediaUrl,
    async close() {
      await worker.close();
      await gateway.close();
      await registry.close();
      await nats.close();
      await db.drop();
    },
  };
}
