import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What `/metrics` reads: a prom-client `Registry` (structurally, so this package needs no prom-client). */
export interface MetricsSource {
  metrics(): Promise<string>;
  readonly contentType: string;
}

export interface HealthServerDeps {
  /** Whether this replica can serve (the registry: NATS connected and the database answering). */
  ready: () => Promise<boolean>;
  /** Where `/metrics` reads from. */
  promRegistry: MetricsSource;
}

/**
 * `/healthz` (the process is alive), `/readyz` (it can serve) and `/metrics` (Prometheus text), for a service
 * with no HTTP server of its own (the registry, the notifier).
 */
export async function startHealthServer(
  deps: HealthServerDeps,
  { port, host }: { port: number; host: string },
): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, body: string, type = 'application/json') => {
      res.writeHead(status, { 'content-type': type }).end(body);
    };
    if (req.method !== 'GET') return send(405, '{"error":{"code":"INVALID_REQUEST","message":"GET only"}}');
    switch (path) {
      case '/healthz':
        return send(200, '{"status":"ok"}');
      case '/readyz':
        return void deps.ready().then(
          (ok) => send(ok ? 200 : 503, JSON.stringify({ status: ok ? 'ready' : 'unavailable' })),
          () => send(503, '{"status":"unavailable"}'),
        );
      case '/metrics':
        return void deps.promRegistry.metrics().then(
          (text) => send(200, text, deps.promRegistry.contentType),
          () => send(500, '{"error":{"code":"INTERNAL","message":"metrics failed"}}'),
        );
      default:
        return send(404, '{"error":{"code":"NOT_FOUND","message":"no such route"}}');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return { server, port: (server.address() as AddressInfo).port };
}
