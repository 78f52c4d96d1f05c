import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { RealtimeClientEvent } from '@switchboard/contracts';
import { WebSocketServer } from 'ws';
import {
  FakeRealtimeSession,
  type FakeResponseScript,
  type FakeSessionHooks,
} from './fake-realtime-session.js';

export const FAKE_OPENAI_API_KEY = 'sk-test-switchboard';

export interface FakeRealtimeOptions {
  /** The key callers must present as `Authorization: Bearer …`. */
  apiKey?: string;
  /** What each response says; a function can script per session (default: one second of a greeting). */
  response?: FakeResponseScript | ((session: FakeRealtimeSession) => FakeResponseScript);
  /** Caller audio equal to `payload` makes the fake hear `transcript` (and answer when `respond`). */
  speechTrigger?: { payload: string; transcript: string; respond?: boolean };
  /** Keep every appended audio frame (default true; load tests turn it off). */
  recordAudio?: boolean;
  onCallerAudio?: (session: FakeRealtimeSession, audio: string) => void;
  onEvent?: (session: FakeRealtimeSession, event: RealtimeClientEvent) => void;
  /**
   * Each session's lifetime, as OpenAI limits it (60 minutes there): when it is up, the session says
   * `session_expired` and closes the socket with 1001, as the real API does.
   */
  sessionMaxMs?: number;
  /** How long the fake takes at each step, as the real API does (default: no delay at all). */
  delays?: FakeRealtimeDelays;
}

/** Delays of the fake, in milliseconds; each defaults to 0. */
export interface FakeRealtimeDelays {
  /** From the upgrade request to the socket being open (TLS, auth and session set-up at OpenAI). */
  connectMs?: number;
  /** From a `session.update` to its `session.updated`. */
  sessionUpdatedMs?: number;
  /** From a response starting (`response.create`, or a VAD turn) to its first audio delta. */
  firstAudioMs?: number;
}

/** What OpenAI's Realtime API takes, roughly, as peers measure it (issue 13): 150 + 100 + 400 ms. */
export const REALISTIC_REALTIME_DELAYS: Required<FakeRealtimeDelays> = {
  connectMs: 150,
  sessionUpdatedMs: 100,
  firstAudioMs: 400,
};

/** 20 ms of mu-law "silence" (0xff), base64. */
export const SILENCE_20MS = Buffer.alloc(160, 0xff).toString('base64');

export const DEFAULT_FAKE_RESPONSE: FakeResponseScript = {
  audio: Array.from({ length: 50 }, () => SILENCE_20MS),
  transcript: 'Hello! How can I help you today?',
};

/**
 * A fake OpenAI Realtime API over a real WebSocket: `ws://127.0.0.1:<port>/v1/realtime?model=…` with
 * `Authorization: Bearer <apiKey>`. It can refuse connections, drop them, and script each session.
 */
export class FakeRealtimeServer {
  readonly sessions: FakeRealtimeSession[] = [];
  /** Upgrades refused so far, with their status. */
  readonly refused: Array<{ status: number; model: string | null }> = [];
  private refuseWith: number | undefined;
  private stalled = false;
  /** Upgrades accepted whose socket is not open yet (the connect delay). */
  private connecting = 0;
  private waiters: Array<() => void> = [];

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(options: FakeRealtimeOptions = {}): Promise<FakeRealtimeServer> {
    const apiKey = options.apiKey ?? FAKE_OPENAI_API_KEY;
    const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
    const server = createServer((_req, res) => {
      res.writeHead(426).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const fake = new FakeRealtimeServer(server, (server.address() as AddressInfo).port);
    const script = options.response ?? DEFAULT_FAKE_RESPONSE;
    const hooks: FakeSessionHooks = {
      script: typeof script === 'function' ? script : () => script,
      speechTrigger: options.speechTrigger ? { respond: false, ...options.speechTrigger } : undefined,
      recordAudio: options.recordAudio ?? true,
      onCallerAudio: options.onCallerAudio,
      onEvent: options.onEvent,
      stalled: () => fake.stalled,
      sessionMaxMs: options.sessionMaxMs,
      sessionUpdatedMs: options.delays?.sessionUpdatedMs ?? 0,
      firstAudioMs: options.delays?.firstAudioMs ?? 0,
    };
    const connectMs = options.delays?.connectMs ?? 0;

    server.on('upgrade', (req: IncomingMessage, duplex: Duplex, head: Buffer) => {
      const socket = duplex as Socket;
      const url = new URL(req.url ?? '/', 'http://fake');
      const model = url.searchParams.get('model');
      let status: number | undefined;
      if (fake.refuseWith !== undefined) status = fake.refuseWith;
      else if (url.pathname !== '/v1/realtime') status = 404;
      else if (req.headers.authorization !== `Bearer ${apiKey}`) status = 401;
      else if (!model) status = 400;
      if (status !== undefined) {
        fake.refused.push({ status, model });
        socket.end(`HTTP/1.1 ${status} Refused\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
        return;
      }
      const accept = () =>
        wss.handleUpgrade(req, socket, head, (ws) => {
          fake.sessions.push(new FakeRealtimeSession(model as string, ws, hooks));
          for (const wake of fake.waiters.splice(0)) wake();
        });
      if (connectMs === 0) return accept();
      // Counted as open from now: the client holds a socket while OpenAI sets the session up.
      fake.connecting++;
      let waiting = true;
      const settle = () => {
        if (!waiting) return false;
        waiting = false;
        fake.connecting--;
        return true;
      };
      const timer = setTimeout(() => {
        if (settle() && !socket.destroyed) accept();
      }, connectMs);
      socket.once('close', () => {
        if (settle()) clearTimeout(timer);
      });
    });
    return fake;
  }

  /** The URL to give as `OPENAI_REALTIME_URL`. */
  get url(): string {
    return `ws://127.0.0.1:${this.port}/v1/realtime`;
  }

  /** Answer every upgrade with `status` (e.g. 503) until called with `false`. */
  refuseConnections(status: number | false): void {
    this.refuseWith = status === false ? undefined : status;
  }

  /** Leave every `session.update` unanswered (no `session.updated`) until called with `false`. */
  stallSessionUpdates(on: boolean): void {
    this.stalled = on;
  }

  /** Waits until at least `count` sessions have connected, and returns the last of those. */
  async waitForSession(count = this.sessions.length + 1, timeoutMs = 5_000): Promise<FakeRealtimeSession> {
    const deadline = Date.now() + timeoutMs;
    while (this.sessions.length < count) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`expected ${count} Realtime sessions, got ${this.sessions.length}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.sessions[count - 1] as FakeRealtimeSession;
  }

  /** Sockets open or opening right now (sessions not closed, upgrades still in the connect delay). */
  get openSockets(): number {
    let open = this.connecting;
    for (const session of this.sessions) if (!session.closed) open++;
    return open;
  }

  /** Drops every open session's connection. */
  dropAll(): void {
    for (const session of this.sessions) if (!session.closed) session.drop();
  }

  async close(): Promise<void> {
    this.dropAll();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
