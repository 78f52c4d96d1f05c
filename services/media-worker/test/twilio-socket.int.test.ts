import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { TwilioSocket } from '../src/twilio-socket.js';

// The agent's audio is the hot path back to Twilio: each chunk's `media` and its `mark` must leave in one
// write to the socket (one system call), not one each.

let server: WebSocketServer | undefined;
let client: WebSocket | undefined;

afterEach(async () => {
  client?.terminate();
  await new Promise((resolve) => server?.close(resolve));
});

async function connectedPair(): Promise<{ ws: WebSocket; tcp: Socket; received: string[] }> {
  const received: string[] = [];
  server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  const accepted = new Promise<WebSocket>((resolve) => server?.once('connection', resolve));
  await new Promise((resolve) => server?.once('listening', resolve));
  client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
  client.on('message', (data) => received.push(String(data)));
  await new Promise((resolve) => client?.once('open', resolve));
  const ws = await accepted;
  return { ws, tcp: (ws as unknown as { _socket: Socket })._socket, received };
}

describe('TwilioSocket', () => {
  it('sends a chunk of agent audio and its mark in one write', async () => {
    const { ws, tcp, received } = await connectedPair();
    const writes: string[] = [];
    const socket = tcp as Socket & { _write: unknown; _writev: unknown };
    const write = socket._write as (...args: unknown[]) => void;
    const writev = socket._writev as (...args: unknown[]) => void;
    socket._write = (...args: unknown[]) => {
      writes.push('write');
      write.apply(socket, args);
    };
    socket._writev = (...args: unknown[]) => {
      writes.push('writev');
      writev.apply(socket, args);
    };
    const twilio = new TwilioSocket(ws, tcp);
    twilio.started('MZ00000000000000000000000000000000');
    for (let i = 0; i < 3; i++) expect(twilio.sendAudio(Buffer.from('fw==', 'latin1'), `m${i}`)).toBe(true);
    await new Promise<void>((resolve) => {
      const check = () => (received.length >= 6 ? resolve() : setTimeout(check, 5));
      check();
    });
    expect(writes).toEqual(['writev', 'writev', 'writev']);
    expect(received.map((m) => JSON.parse(m).event)).toEqual([
      'media',
      'mark',
      'media',
      'mark',
      'media',
      'mark',
    ]);
  });
});
