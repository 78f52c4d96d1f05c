// The yardstick of test/bench/media-worker.ts: the minimal single-file bridge of the tutorials, which the
// issue measures the worker against. It parses and re-serialises every frame, sends a mark after each
// agent chunk, looks nothing up, and drops the caller's audio until the Realtime socket is open (so it
// loses each call's first frames). It checks no signature. Not for use: a benchmark contender only.
import { createServer } from 'node:http';
import WebSocket, { WebSocketServer } from 'ws';

const port = Number(process.env.PORT);
const realtimeUrl = `${process.env.OPENAI_REALTIME_URL}?model=gpt-realtime`;
const apiKey = process.env.OPENAI_API_KEY ?? '';

const server = createServer((req, res) => {
  if (req.url === '/readyz') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ liveStreams: wss.clients.size }));
    return;
  }
  res.writeHead(404).end();
});
const wss = new WebSocketServer({ server, path: '/media-stream' });

wss.on('connection', (twilio) => {
  let streamSid = '';
  let markSeq = 0;
  const openai = new WebSocket(realtimeUrl, { headers: { Authorization: `Bearer ${apiKey}` } });
  openai.on('open', () => {
    openai.send(
      JSON.stringify({
        type: 'session.update',
        session: {
          type: 'realtime',
          instructions: 'You are a friendly phone assistant.',
          audio: {
            input: { format: { type: 'audio/pcmu' }, turn_detection: { type: 'server_vad' } },
            output: { format: { type: 'audio/pcmu' }, voice: 'alloy' },
          },
        },
      }),
    );
    openai.send(JSON.stringify({ type: 'response.create' }));
  });
  openai.on('message', (data) => {
    const event = JSON.parse(data.toString());
    if (event.type === 'response.output_audio.delta') {
      twilio.send(JSON.stringify({ event: 'media', streamSid, media: { payload: event.delta } }));
      twilio.send(JSON.stringify({ event: 'mark', streamSid, mark: { name: String(++markSeq) } }));
    } else if (event.type === 'input_audio_buffer.speech_started') {
      twilio.send(JSON.stringify({ event: 'clear', streamSid }));
      openai.send(JSON.stringify({ type: 'response.cancel' }));
    }
  });
  openai.on('error', () => undefined);
  twilio.on('message', (data) => {
    const message = JSON.parse(data.toString());
    switch (message.event) {
      case 'start':
        streamSid = message.start.streamSid;
        break;
      case 'media':
        if (openai.readyState === WebSocket.OPEN) {
          openai.send(JSON.stringify({ type: 'input_audio_buffer.append', audio: message.media.payload }));
        }
        break;
      case 'stop':
        twilio.close();
        break;
    }
  });
  twilio.on('close', () => openai.close());
});

server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
