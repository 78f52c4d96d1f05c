import { describe, expect, it } from 'vitest';
import {
  APOLOGY_MESSAGE,
  apologyTwiml,
  connectStreamTemplate,
  connectStreamTwiml,
  GOODBYE_MESSAGE,
} from '../src/twiml.js';

const SID = `CA${'ab'.repeat(16)}`;

describe('TwiML', () => {
  it('connects the stream with the callSid, then says goodbye and hangs up', () => {
    const xml = connectStreamTwiml('wss://media.example.com/media-stream', SID);
    expect(xml).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Connect>' +
        '<Stream url="wss://media.example.com/media-stream">' +
        `<Parameter name="callSid" value="${SID}"/></Stream></Connect>` +
        `<Say>${GOODBYE_MESSAGE}</Say><Hangup/></Response>`,
    );
  });

  it('escapes the stream URL', () => {
    const xml = connectStreamTwiml('wss://media.example.com/s?a=1&b="2"', SID);
    expect(xml).toContain('url="wss://media.example.com/s?a=1&amp;b=&quot;2&quot;"');
  });

  it('the per-gateway template gives the same document as the builder', () => {
    const url = 'wss://media.example.com/s?a=1&b=2';
    const fill = connectStreamTemplate(url);
    expect(fill(SID)).toBe(connectStreamTwiml(url, SID));
    const other = `CA${'cd'.repeat(16)}`;
    expect(fill(other)).toBe(connectStreamTwiml(url, other));
  });

  it('apologises and hangs up', () => {
    expect(apologyTwiml()).toBe(
      `<?xml version="1.0" encoding="UTF-8"?><Response><Say>${APOLOGY_MESSAGE}</Say><Hangup/></Response>`,
    );
  });
});
