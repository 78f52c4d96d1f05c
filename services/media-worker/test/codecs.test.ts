import { base64ByteLength, RealtimeClientEvent, TwilioOutboundMessage } from '@switchboard/contracts';
import { describe, expect, it } from 'vitest';
import { base64DecodedLength } from '../src/bridge/audio-bytes.js';
import { isBase64, isBase64Bytes } from '../src/codecs/base64.js';
import { decodeRealtimeFrame, encodeAppend, encodeRealtime } from '../src/codecs/openai.js';
import { decodeTwilioFrame, TwilioEncoder } from '../src/codecs/twilio.js';

const wire = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));

const STREAM_SID = `MZ${'0'.repeat(31)}1`;
const CALL_SID = `CA${'ab'.repeat(16)}`;
const PAYLOAD = Buffer.alloc(160, 0xfe).toString('base64');

describe('Twilio codec', () => {
  it.each([
    [{ event: 'connected', protocol: 'Call', version: '1.0.0' }],
    [
      {
        event: 'start',
        sequenceNumber: '1',
        streamSid: STREAM_SID,
        start: {
          streamSid: STREAM_SID,
          accountSid: `AC${'0'.repeat(32)}`,
          callSid: CALL_SID,
          tracks: ['inbound'],
          customParameters: { callSid: CALL_SID },
          mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
        },
      },
    ],
    [
      {
        event: 'dtmf',
        sequenceNumber: '5',
        streamSid: STREAM_SID,
        dtmf: { track: 'inbound_track', digit: '#' },
      },
    ],
    [
      {
        event: 'stop',
        sequenceNumber: '6',
        streamSid: STREAM_SID,
        stop: { accountSid: 'AC1', callSid: CALL_SID },
      },
    ],
  ])('reads Twilio’s %j', (message) => {
    expect(decodeTwilioFrame(wire(message))).toEqual(message);
  });

  const media = {
    event: 'media',
    sequenceNumber: '3',
    media: { track: 'inbound', chunk: '1', timestamp: '5', payload: PAYLOAD },
    streamSid: STREAM_SID,
  };

  it.each([
    ['as Twilio sends it (read from its bytes)', JSON.stringify(media)],
    ['with spaces', JSON.stringify(media, null, 2)],
    [
      'with its fields in another order',
      JSON.stringify({ media: media.media, event: 'media', streamSid: STREAM_SID }),
    ],
    ['with an escape', JSON.stringify(media).replace('"inbound"', '"in\\u0062ound"')],
  ])('reads media %s: the payload’s bytes and the timestamp', (_name, text) => {
    const frame = decodeTwilioFrame(wire(text));
    expect(frame).toEqual({ event: 'media', payload: Buffer.from(PAYLOAD, 'latin1'), timestampMs: 5 });
  });

  it('reads a mark’s name', () => {
    const mark = { event: 'mark', sequenceNumber: '4', streamSid: STREAM_SID, mark: { name: '17' } };
    expect(decodeTwilioFrame(wire(mark))).toEqual({ event: 'mark', name: '17' });
  });

  it.each([
    ['not JSON', 'hello', '#invalid'],
    ['a JSON string', '"media"', '#invalid'],
    ['no event', '{"media":{}}', '#invalid'],
    ['an event nobody knows', '{"event":"pause"}', '#unknown'],
    [
      'media without a payload',
      `{"event":"media","streamSid":"${STREAM_SID}","media":{"timestamp":"1"}}`,
      '#invalid',
    ],
    [
      'media whose payload would break out of its JSON string',
      `{"event":"media","media":{"timestamp":"1","payload":"AAAA\\",\\"x\\":\\"y"}}`,
      '#invalid',
    ],
    ['media without a timestamp', `{"event":"media","media":{"payload":"${PAYLOAD}"}}`, '#invalid'],
    ['a start without its metadata', `{"event":"start","streamSid":"${STREAM_SID}"}`, '#invalid'],
    ['a mark without a name', `{"event":"mark","mark":{}}`, '#invalid'],
    [
      'a dtmf that is not a key',
      `{"event":"dtmf","streamSid":"${STREAM_SID}","dtmf":{"digit":"x"}}`,
      '#invalid',
    ],
  ])('%s is %s', (_name, text, expected) => {
    expect(decodeTwilioFrame(wire(text)).event).toBe(expected);
  });

  it.each([
    [
      'media',
      (e: TwilioEncoder) => e.media(Buffer.from(PAYLOAD, 'latin1')),
      { event: 'media', streamSid: STREAM_SID, media: { payload: PAYLOAD } },
    ],
    [
      'a mark',
      (e: TwilioEncoder) => e.mark('42'),
      { event: 'mark', streamSid: STREAM_SID, mark: { name: '42' } },
    ],
    [
      'a mark with quotes',
      (e: TwilioEncoder) => e.mark('with "quotes"'),
      { event: 'mark', streamSid: STREAM_SID, mark: { name: 'with "quotes"' } },
    ],
    [
      'clear',
      (e: TwilioEncoder) => e.message({ event: 'clear', streamSid: STREAM_SID }),
      { event: 'clear', streamSid: STREAM_SID },
    ],
  ])('writes %s as Twilio expects it', (_name, encode, message) => {
    const sent = JSON.parse(encode(new TwilioEncoder(STREAM_SID)).toString());
    expect(sent).toEqual(message);
    expect(TwilioOutboundMessage.parse(sent)).toEqual(message);
  });
});

describe('Realtime codec', () => {
  const deltaEvent = {
    type: 'response.output_audio.delta',
    event_id: 'event_1',
    response_id: 'resp_1',
    item_id: 'item_1',
    output_index: 0,
    content_index: 0,
    delta: PAYLOAD,
  };

  const readDelta = {
    type: 'response.output_audio.delta',
    response_id: 'resp_1',
    item_id: 'item_1',
    content_index: 0,
    payload: Buffer.from(PAYLOAD, 'latin1'),
  };

  it.each([
    ['as OpenAI sends it (read from its bytes)', JSON.stringify(deltaEvent)],
    [
      'with its type last',
      JSON.stringify({ ...deltaEvent, type: undefined, extra: 1 }).replace(
        /}$/,
        ',"type":"response.output_audio.delta"}',
      ),
    ],
    ['with an escape', JSON.stringify(deltaEvent).replace('"item_1"', '"item\\u005f1"')],
    ['with a nested object', JSON.stringify({ ...deltaEvent, extra: { a: 1 } })],
  ])('reads an audio delta %s', (_name, text) => {
    expect(decodeRealtimeFrame(wire(text))).toEqual(readDelta);
  });

  it.each([
    [{ type: 'session.updated', event_id: 'e', session: { id: 'sess_1', type: 'realtime' } }],
    [{ type: 'input_audio_buffer.speech_started', event_id: 'e', audio_start_ms: 1200, item_id: 'item_2' }],
    [{ type: 'response.created', event_id: 'e', response: { id: 'resp_1', status: 'in_progress' } }],
    [
      {
        type: 'response.done',
        event_id: 'e',
        response: {
          id: 'resp_1',
          status: 'cancelled',
          status_details: { type: 'cancelled', reason: 'turn_detected' },
        },
      },
    ],
    [
      {
        type: 'response.output_audio_transcript.done',
        event_id: 'e',
        response_id: 'resp_1',
        item_id: 'item_1',
        output_index: 0,
        content_index: 0,
        transcript: 'Hello!',
      },
    ],
    [
      {
        type: 'conversation.item.input_audio_transcription.completed',
        event_id: 'e',
        item_id: 'item_2',
        content_index: 0,
        transcript: 'Hi',
      },
    ],
    [
      {
        type: 'response.output_item.done',
        event_id: 'e',
        response_id: 'resp_1',
        output_index: 1,
        item: { type: 'function_call', id: 'item_3', call_id: 'call_1', name: 'end_call', arguments: '{}' },
      },
    ],
    [{ type: 'error', event_id: 'e', error: { type: 'invalid_request_error', code: 'x', message: 'bad' } }],
  ])('reads %j', (event) => {
    expect(decodeRealtimeFrame(wire(event))).toMatchObject(event);
  });

  it.each([
    ['not JSON', '{', '#invalid'],
    ['an event the worker has no use for', '{"type":"rate_limits.updated","rate_limits":[]}', '#unknown'],
    ['a delta whose audio is not base64', JSON.stringify({ ...deltaEvent, delta: 'a"b' }), '#invalid'],
    ['a delta without its item', JSON.stringify({ ...deltaEvent, item_id: undefined }), '#invalid'],
    [
      'speech_started without its item',
      '{"type":"input_audio_buffer.speech_started","audio_start_ms":1}',
      '#invalid',
    ],
  ])('%s is %s', (_name, text, expected) => {
    expect(decodeRealtimeFrame(wire(text)).type).toBe(expected);
  });

  it('writes an append from the audio’s bytes', () => {
    const sent = JSON.parse(encodeAppend(Buffer.from(PAYLOAD, 'latin1')).toString());
    expect(RealtimeClientEvent.parse(sent)).toEqual({ type: 'input_audio_buffer.append', audio: PAYLOAD });
  });

  it.each<RealtimeClientEvent>([
    { type: 'response.cancel', response_id: 'resp_1' },
    { type: 'conversation.item.truncate', item_id: 'item_1', content_index: 0, audio_end_ms: 1234 },
    { type: 'conversation.item.delete', item_id: 'item_1' },
    { type: 'response.create', response: { instructions: 'Say "hi"' } },
  ])('writes %j', (event) => {
    const sent = JSON.parse(encodeRealtime(event));
    expect(sent).toEqual(event);
    expect(RealtimeClientEvent.parse(sent)).toEqual(event);
  });
});

describe('base64 without decoding', () => {
  it.each([0, 1, 2, 3, 159, 160, 161, 4800])('the byte length of %i bytes', (n) => {
    const text = Buffer.alloc(n, 1).toString('base64');
    expect(base64ByteLength(text)).toBe(n);
    expect(base64DecodedLength(Buffer.from(text, 'latin1'))).toBe(n);
    expect(isBase64(text)).toBe(true);
    expect(isBase64Bytes(Buffer.from(text, 'latin1'))).toBe(true);
  });

  it.each(['ab"c', 'ab\\c', 'ab c', 'é', 'ab=c'])('%j is not base64', (text) => {
    expect(isBase64(text)).toBe(false);
    expect(isBase64Bytes(Buffer.from(text))).toBe(false);
  });
});
