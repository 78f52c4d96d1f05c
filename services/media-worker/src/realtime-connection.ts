import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import WebSocket, { type RawData } from 'ws';

/** After our close frame, how long the Realtime server gets to answer before the socket is destroyed. */
export const REALTIME_CLOSE_GRACE_MS = 1_000;
/** Larger than any event the Realtime API sends (an audio delta of several seconds is a few hundred KiB). */
const MAX_REALTIME_FRAME_BYTES = 16 * 1024 * 1024;

export interface RealtimeDial {
  /** `OPENAI_REALTIME_URL`; `?model=` is added. */
  url: string;
  model: string;
  apiKey: string;
}

export interface RealtimeHandlers {
  onOpen(): void;
  onFrame(frame: Buffer): void;
  /** Once, whether it opened or not. `error` says why when it failed. */
  onClose(info: { opened: boolean; code: number; reason: string; error: Error | undefined }): void;
}

export function realtimeUrl(base: string, model: string): string {
  const url = new URL(base);
  url.searchParams.set('model', model);
  return url.toString();
}

/**
 * One WebSocket to the OpenAI Realtime API: dials, moves text frames, closes. No protocol logic here, and no
 * deadline: how long a socket may take to be useful is the call bridge's `session-ready` timer.
 */
export class RealtimeConnection {
  readonly model: string;
  private readonly ws: WebSocket;
  private socket: Socket | undefined;
  private opened = false;
  private error: Error | undefined;
  private closeTimer: NodeJS.Timeout | undefined;

  constructor(
    dial: RealtimeDial,
    private handlers: RealtimeHandlers,
  ) {
    this.model = dial.model;
    this.ws = new WebSocket(realtimeUrl(dial.url, dial.model), {
      headers: { Authorization: `Bearer ${dial.apiKey}` },
      // Audio in base64 barely compresses, and deflate would cost CPU on every frame both ways.
      perMessageDeflate: false,
      maxPayload: MAX_REALTIME_FRAME_BYTES,
      // The codecs read frames as bytes and check what they use; a second pass over every frame for UTF-8
      // would cost more than it could catch.
      skipUTF8Validation: true,
    });
    this.ws.on('upgrade', (res: IncomingMessage) => {
      this.socket = res.socket as Socket;
    });
    this.ws.on('open', () => {
      this.opened = true;
      this.handlers.onOpen();
    });
    this.ws.on('message', (data: RawData, isBinary: boolean) => {
      if (!isBinary) this.handlers.onFrame(data as Buffer);
    });
    this.ws.on('error', (err: Error) => {
      this.error ??= err;
    });
    this.ws.on('close', (code: number, reason: Buffer) => {
      clearTimeout(this.closeTimer);
      this.handlers.onClose({ opened: this.opened, code, reason: reason.toString(), error: this.error });
    });
  }

  /** Someone else hears this socket from now on (a socket prepared for a call, taken by its stream). */
  handTo(handlers: RealtimeHandlers): void {
    this.handlers = handlers;
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** The TCP socket under the WebSocket once open: corked around bursts so they leave in one write. */
  get tcp(): Socket | undefined {
    return this.socket;
  }

  /** Sends a text frame if the socket is open; false if it is not. */
  send(frame: Buffer | string): boolean {
    if (this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(frame, { binary: false });
    return true;
  }

  /** Closes politely, and for good after REALTIME_CLOSE_GRACE_MS. `onClose` still fires. */
  close(code = 1000, reason = ''): void {
    const state = this.ws.readyState;
    if (state === WebSocket.CLOSED) return;
    if (state === WebSocket.CONNECTING) {
      this.ws.terminate();
      return;
    }
    if (state === WebSocket.OPEN) this.ws.close(code, reason);
    this.closeTimer ??= setTimeout(() => this.ws.terminate(), REALTIME_CLOSE_GRACE_MS);
  }
}
