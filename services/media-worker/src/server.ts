import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from '@switchboard/logger';
import type { Registry as PromRegistry } from 'prom-client';
import { validateRequest } from 'twilio/lib/webhooks/webhooks.js';
import { type WebSocket, WebSocketServer } from 'ws';
import type { WorkerConfig } from './config.js';
import type { WorkerMetrics } from './metrics.js';

export const MEDIA_STREAM_PATH = '/media-stream';
/** Twilio's frames are small JSON; anything near this is not Twilio. */
const MAX_TWILIO_FRAME_BYTES = 64 * 1024;

export interface ServerDeps {
  config: WorkerConfig;
  log: Logger;
  metrics: WorkerMetrics;
  /** Where `/metrics` reads from. */
  promRegistry: PromRegistry;
  /** False while draining: `/readyz` 503 and upgrades 503. */
  accepting(): boolean;
  /** Whether the worker can do its job right now (NATS connected). */
  ready(): boolean;
  liveStreams(): number;
  onStream(ws: WebSocket, tcp: Socket): void;
}

/** `/healthz`, `/readyz`, `/metrics`, and the `GET /media-stream` upgrade, checked before any WebSocket exists. */
export function createMediaServer(deps: ServerDeps): Server {
  const { config, log } = deps;
  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    perMessageDeflate: false,
    maxPayload: MAX_TWILIO_FRAME_BYTES,
    // The codecs read frames as bytes and check what they use (media payloads are base64).
    skipUTF8Validation: true,
  });
  const server = createServer((req, res) => {
    void handleHttp(req, res, deps).catch((err: unknown) => {
      log.error({ err }, 'http request failed');
      if (!res.headersSent) json(res, 500, { error: { code: 'INTERNAL', message: 'internal error' } });
    });
  });

  server.on('upgrade', (req: IncomingMessage, duplex: Duplex, head: Buffer) => {
    // An http.Server's upgrade socket is always a net.Socket.
    const socket = duplex as Socket;
    const path = (req.url ?? '').split('?')[0];
    const refuse = (status: number, why: string) => {
      deps.metrics.upgradesRefused.inc({ status: String(status) });
      log.warn({ status, why }, 'media stream refused');
      refuseUpgrade(socket, status);
    };
    if (path !== MEDIA_STREAM_PATH) return refuse(404, 'unknown path');
    if (!deps.accepting()) return refuse(503, 'draining');
    if (deps.liveStreams() >= config.maxConcurrentCalls) return refuse(503, 'at MAX_CONCURRENT_CALLS');
    if (!signatureValid(req, config)) return refuse(403, 'bad X-Twilio-Signature');
    wss.handleUpgrade(req, socket, head, (ws) => deps.onStream(ws, socket));
  });
  return server;
}

/**
 * Twilio signs the upgrade over the URL it was given: `PUBLIC_MEDIA_URL` behind `MEDIA_STREAM_URL`, this
 * worker's `WORKER_MEDIA_URL` for a placed call. Either is accepted.
 */
function signatureValid(req: IncomingMessage, config: WorkerConfig): boolean {
  const { authToken, skipSignature, publicMediaUrl } = config.twilio;
  if (skipSignature) return true;
  const signature = req.headers['x-twilio-signature'];
  if (typeof signature !== 'string' || authToken === undefined) return false;
  return [publicMediaUrl, config.placement.mediaUrl].some(
    (url) => url !== undefined && url !== null && validateRequest(authToken, signature, url, {}),
  );
}

const STATUS_TEXT: Record<number, string> = {
  403: 'Forbidden',
  404: 'Not Found',
  503: 'Service Unavailable',
};

function refuseUpgrade(socket: Socket, status: number): void {
  if (!socket.writable) return void socket.destroy();
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
  );
  socket.once('finish', () => socket.destroy());
}

async function handleHttp(req: IncomingMessage, res: ServerResponse, deps: ServerDeps): Promise<void> {
  const path = (req.url ?? '').split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return json(res, 405, { error: { code: 'INVALID_REQUEST', message: 'only GET' } });
  }
  switch (path) {
    case '/healthz':
      return json(res, 200, { status: 'ok' });
    case '/readyz': {
      const accepting = deps.accepting();
      const ready = accepting && deps.ready();
      return json(res, ready ? 200 : 503, {
        status: ready ? 'ready' : accepting ? 'not ready' : 'draining',
        liveStreams: deps.liveStreams(),
      });
    }
    case '/metrics': {
      const body = await deps.promRegistry.metrics();
      res.writeHead(200, { 'content-type': deps.promRegistry.contentType });
      res.end(body);
      return;
    }
    default:
      return json(res, 404, { error: { code: 'NOT_FOUND', message: 'no such route' } });
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
