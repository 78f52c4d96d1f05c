import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** What the receiver does with the next request: answer 204, 500, hang (no answer), or refuse to connect. */
export type ReceiverMode = 'ok' | 'error' | 'hang' | 'refuse';

export interface ReceivedDelivery {
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  /** Whether `standardwebhooks` verified the signature with the subscription's secret. */
  verified: boolean;
  /** How the receiver answered it. */
  answered: Exclude<ReceiverMode, 'refuse'>;
  at: number;
  json: { type: string; timestamp: string; data: Record<string, unknown> };
}

/**
 * A webhook receiver of the test's own: a real HTTP server on a fixed loopback port (so it can go away and
 * come back at the same URL), whose behaviour the test switches, recording every request it gets.
 */
export class Receiver {
  readonly received: ReceivedDelivery[] = [];
  mode: ReceiverMode = 'ok';
  /** How long an `ok` answer takes. */
  delayMs = 0;
  secret: string | undefined;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly hung = new Set<ServerResponse>();

  private constructor(readonly port: number) {}

  static async start(): Promise<Receiver> {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const receiver = new Receiver(port);
    await receiver.listen();
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks`;
  }

  /** Deliveries it answered 2xx, in arrival order. */
  get accepted(): ReceivedDelivery[] {
    return this.received.filter((r) => r.answered === 'ok');
  }

  async setMode(mode: ReceiverMode): Promise<void> {
    if (mode === 'refuse' && this.server) await this.stopListening();
    if (mode !== 'refuse' && !this.server) await this.listen();
    this.mode = mode;
  }

  async close(): Promise<void> {
    await this.stopListening();
  }

  private async listen(): Promise<void> {
    const server = createServer((req, res) => this.handle(req, res));
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', resolve);
    });
    this.server = server;
  }

  private async stopListening(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const res of this.hung) res.destroy();
    this.hung.clear();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const header = (name: string) => String(req.headers[name] ?? '');
      const answered = this.mode === 'refuse' ? 'error' : this.mode;
      let verified = false;
      if (this.secret) {
        try {
          new Webhook(this.secret).verify(body, {
            'webhook-id': header('webhook-id'),
            'webhook-timestamp': header('webhook-timestamp'),
            'webhook-signature': header('webhook-signature'),
          });
          verified = true;
        } catch {
          verified = false;
        }
      }
      this.received.push({
        id: header('webhook-id'),
        timestamp: header('webhook-timestamp'),
        signature: header('webhook-signature'),
        body,
        verified,
        answered,
        at: Date.now(),
        json: JSON.parse(body),
      });
      if (answered === 'ok' && this.delayMs > 0) setTimeout(() => res.writeHead(204).end(), this.delayMs);
      else if (answered === 'ok') res.writeHead(204).end();
      else if (answered === 'error')
        res.writeHead(500, { 'content-type': 'text/plain' }).end('receiver broken');
      else this.hung.add(res);
    });
  }
}
