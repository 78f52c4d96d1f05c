import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request the tool server received, as it arrived. */
export interface ToolServerRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The body as sent (what a signature is computed over). */
  body: string;
  /** When it arrived (`performance.now()`). */
  receivedAt: number;
}

/** How the server answers one request: JSON unless `body` is a string; after `delayMs`. */
export interface ToolServerReply {
  status?: number;
  body?: unknown;
  delayMs?: number;
  contentType?: string;
}

export type ToolServerHandler = (request: ToolServerRequest) => ToolServerReply | Promise<ToolServerReply>;

/**
 * An operator's tool server for tests, over real HTTP on 127.0.0.1: it records every request (headers and
 * raw body, so a test can check the Standard Webhooks signature) and answers with the handler of its path
 * (`/<name>`), or 200 `{}`. `url(name)` is what an agent's tool points at.
 */
export class ToolServer {
  readonly requests: ToolServerRequest[] = [];
  private readonly handlers = new Map<string, ToolServerHandler>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(): Promise<ToolServer> {
    let tools: ToolServer | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const request: ToolServerRequest = {
          method: req.method ?? '',
          path: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          receivedAt: performance.now(),
        };
        tools?.requests.push(request);
        const handler = tools?.handlers.get(request.path);
        void Promise.resolve(handler ? handler(request) : {}).then(async (reply) => {
          if (reply.delayMs) await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
          const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body ?? {});
          if (res.destroyed) return;
          res.writeHead(reply.status ?? 200, { 'content-type': reply.contentType ?? 'application/json' });
          res.end(text);
        });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    tools = new ToolServer(server, (server.address() as AddressInfo).port);
    return tools;
  }

  /** The URL of the tool `name`. */
  url(name: string): string {
    return `http://127.0.0.1:${this.port}/${name}`;
  }

  /** How requests to `/<name>` are answered from now on. */
  on(name: string, handler: ToolServerHandler): void {
    this.handlers.set(`/${name}`, handler);
  }

  /** Requests to `/<name>`, their bodies parsed. */
  bodiesOf(name: string): unknown[] {
    return this.requests.filter((r) => r.path === `/${name}`).map((r) => JSON.parse(r.body) as unknown);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
