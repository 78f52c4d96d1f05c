// A lower bound for test/bench/media-worker.ts: the least a Node bridge on `ws` can do per frame. It
// splices the audio out of each frame's bytes into the other side's message without decoding the JSON,
// turning strings into nothing, or checking anything, and ignores Twilio's mark echoes. Not a bridge anyone
// should run (no parsing, no validation, no lookup, no barge-in); it shows what the sockets cost alone.
import { createServer } from 'node:http';
import type { Socket } from 'node:net';
import WebSocket, { type RawData, WebSocketServer } from 'ws';

const port = Number(process.env.PORT);
const realtimeUrl = `${process.env.OPENAI_REALTIME_URL}?model=gpt-realtime`;
const apiKey = process.env.OPENAI_API_KEY ?? '';

const PAYLOAD = Buffer.from('"payload":"');
const DELTA = Buffer.from('"delta":"');
const AUDIO_DELTA = Buffer.from('"type":"response.output_audio.delta"');
const APPEND_HEAD = Buffer.from('{"type":"input_audio_buffer.append","audio":"');
const TAIL = Buffer.from('"}');

const server = createServer((req, res) => {
  if (req.url === '/readyz') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ liveStreams: wss.clients.size }));
    return;
  }
  res.writeHead(404).end();
});
const wss = new WebSocketServer({ server, path: '/media-stream', skipUTF8Validation: true });

function between(data: Buffer, key: Buffer): Buffer | undefined {
  const at = data.indexOf(key);
  if (at < 0) return undefined;
  const start = at + key.length;
  return data.subarray(start, data.indexOf(0x22, start));
}

wss.on('connection', (twilio, req) => {
  const tcp = req.socket as Socket;
  let mediaHead = Buffer.alloc(0);
  let markHead = Buffer.alloc(0);
  let markSeq = 0;
  const openai = new WebSocket(realtimeUrl, {
    headers: { Authorization: `Bearer ${apiKey}` },
    perMessageDeflate: false,
    skipUTF8Validation: true,
  });
  openai.on('open', () => {
    openai.send(
      JSON.stringify({
        type: 'session.update',
        session: {
          type: 'realtime',
          audio: {
            input: { format: { type: 'audio/pcmu' }, turn_detection: { type: 'server_vad' } },
            output: { format: { type: 'audio/pcmu' } },
          },
        },
      }),
    );
    openai.send('{"type":"response.create"}');
  });
  openai.on('message', (data: RawData) => {
    const buf = data as Buffer;
    if (buf.indexOf(AUDIO_DELTA) < 0) return;
    const audio = between(buf, DELTA);
    if (!audio) return;
    tcp.cork();
    twilio.send(Buffer.concat([mediaHead, audio, Buffer.from('"}}')]), { binary: false });
    twilio.send(Buffer.concat([markHead, Buffer.from(`${++markSeq}"}}`)]), { binary: false });
    tcp.uncork();
  });
  openai.on('error', () => undefined);
  twilio.on('message', (data: RawData) => {
    const buf = data as Buffer;
    const audio = between(buf, PAYLOAD);
    if (audio) {
      if (openai.readyState === WebSocket.OPEN)
        openai.send(Buffer.concat([APPEND_HEAD, audio, TAIL]), { binary: false });
      return;
    }
    const text = buf.toString();
    if (text.includes('"event":"start"')) {
      const streamSid = JSON.parse(text).start.streamSid as string;
      mediaHead = Buffer.from(`{"event":"media","streamSid":"${streamSid}","media":{"payload":"`);
      markHead = Buffer.from(`{"event":"mark","streamSid":"${streamSid}","mark":{"name":"`);
    } else if (text.includes('"event":"stop"')) {
      twilio.close();
    }
  });
  twilio.on('close', () => openai.close());
});

server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
