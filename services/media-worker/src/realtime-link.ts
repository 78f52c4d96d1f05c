import type { Socket } from 'node:net';
import type { ConnectionId } from './bridge/types.js';
import { RealtimeConnection, type RealtimeHandlers } from './realtime-connection.js';

export interface RealtimeLinkEvents {
  onOpen(connection: ConnectionId): void;
  onFrame(connection: ConnectionId, frame: Buffer): void;
  /** The socket closed or failed to open; `detail` says how. Not said for a socket closed by `close()`. */
  onClose(connection: ConnectionId, detail: string): void;
}

export interface RealtimeEndpoint {
  /** `OPENAI_REALTIME_URL`; `?model=` is added. */
  url: string;
  apiKey: string;
}

/**
 * A call's sockets to the OpenAI Realtime API, by connection id: usually one, two while a session is being
 * replaced. It dials and closes when told to and passes frames through; when and why is the bridge's.
 */
export class RealtimeLink {
  private readonly sockets = new Map<ConnectionId, RealtimeConnection>();

  constructor(
    private readonly endpoint: RealtimeEndpoint,
    private readonly events: RealtimeLinkEvents,
  ) {}

  dial(connection: ConnectionId, model: string): void {
    const { url, apiKey } = this.endpoint;
    const socket: RealtimeConnection = new RealtimeConnection(
      { url, apiKey, model },
      this.handlers(connection, () => socket),
    );
    this.sockets.set(connection, socket);
  }

  /** A socket dialled elsewhere (prepared for this call while it rang) becomes `connection`, as it is. */
  adopt(connection: ConnectionId, socket: RealtimeConnection | undefined): void {
    if (socket === undefined) return;
    socket.handTo(this.handlers(connection, () => socket));
    this.sockets.set(connection, socket);
  }

  private handlers(connection: ConnectionId, socket: () => RealtimeConnection): RealtimeHandlers {
    return {
      onOpen: () => this.events.onOpen(connection),
      onFrame: (frame) => this.events.onFrame(connection, frame),
      onClose: (info) => {
        if (this.sockets.get(connection) !== socket()) return;
        this.sockets.delete(connection);
        const how = info.opened
          ? `closed ${info.code}${info.reason ? ` ${info.reason}` : ''}`
          : 'did not open';
        this.events.onClose(connection, info.error ? `${how}: ${info.error.message}` : how);
      },
    };
  }

  /** Sends a text frame; false when that socket is not open. */
  send(connection: ConnectionId, frame: Buffer | string): boolean {
    return this.sockets.get(connection)?.send(frame) ?? false;
  }

  /** Closes a socket for good: no event follows for it. */
  close(connection: ConnectionId): void {
    const socket = this.sockets.get(connection);
    this.sockets.delete(connection);
    socket?.close();
  }

  closeAll(): void {
    for (const connection of [...this.sockets.keys()]) this.close(connection);
  }

  /** The TCP sockets under the open WebSockets: corked around bursts so each leaves in one write. */
  *tcpSockets(): Iterable<Socket> {
    for (const socket of this.sockets.values()) if (socket.tcp) yield socket.tcp;
  }
}
