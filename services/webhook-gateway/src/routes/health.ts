import { RegistryUnavailableError, SwitchboardError } from '@switchboard/contracts';
import { type RequestHandler, Router } from 'express';
import type { GatewayMetrics } from '../metrics.js';
import type { GatewayRegistry } from '../registry.js';

/** How long `/readyz` waits for the registry's health answer. */
export const READINESS_TIMEOUT_MS = 1_000;

export interface HealthDeps {
  registry: GatewayRegistry;
  /** False once the NATS connection is closed for good. */
  natsOpen: () => boolean;
  /** True from SIGTERM on: the orchestrator should stop sending traffic. */
  draining: () => boolean;
  metrics: GatewayMetrics;
}

/** `/healthz` (the process answers), `/readyz` (NATS up and the registry answering), `/metrics`. */
export function healthRouter({ registry, natsOpen, draining, metrics }: HealthDeps): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  const ready: RequestHandler = async (_req, res) => {
    if (draining()) throw new RegistryUnavailableError('the gateway is shutting down');
    if (!natsOpen()) throw new RegistryUnavailableError('the NATS connection is closed');
    try {
      const health = await registry.registryHealth({}, { timeoutMs: READINESS_TIMEOUT_MS });
      res.json({ status: 'ready', registry: health.status });
    } catch (err) {
      if (err instanceof SwitchboardError && err.status >= 500) {
        throw new RegistryUnavailableError(`the call registry is not answering: ${err.message}`, {
          cause: err,
        });
      }
      throw err;
    }
  };
  router.get('/readyz', ready);
  router.get('/metrics', async (_req, res) => {
    res.type(metrics.promRegistry.contentType).send(await metrics.promRegistry.metrics());
  });
  return router;
}
