import twilio from 'twilio';
import { describe, expect, it } from 'vitest';
import {
  APOLOGY_MESSAGE,
  apologyTwiml,
  connectStreamTemplate,
  connectStreamTwiml,
  dialTwiml,
  hangupTwiml,
} from '../src/twiml.js';

const SID = `CA${'ab'.repeat(16)}`;
const ACTION = 'https://gw.example.com/twilio/stream-ended';
const XML = '<?xml version="1.0" encoding="UTF-8"?>';

describe('TwiML', () => {
  it('connects the stream with the callSid and asks the gateway what next once it ends: no goodbye of its own', () => {
    const xml = connectStreamTwiml('wss://media.example.com/media-stream', SID, { actionUrl: ACTION });
    expect(xml).toBe(
      `${XML}<Response><Connect action="${ACTION}">` +
        '<Stream url="wss://media.example.com/media-stream">' +
        `<Parameter name="callSid" value="${SID}"/></Stream></Connect></Response>`,
    );
  });

  it('adds the parameters a reconnected stream carries', () => {
    const xml = connectStreamTwiml('wss://m.example.com/s', SID, {
      actionUrl: ACTION,
      parameters: { transferFailed: 'busy', transferTarget: 'front_desk' },
    });
    expect(xml).toContain(
      `<Parameter name="callSid" value="${SID}"/><Parameter name="transferFailed" value="busy"/>` +
        '<Parameter name="transferTarget" value="front_desk"/></Stream></Connect></Response>',
    );
  });

  it('escapes the stream URL', () => {
    const xml = connectStreamTwiml('wss://media.example.com/s?a=1&b="2"', SID, { actionUrl: ACTION });
    expect(xml).toContain('url="wss://media.example.com/s?a=1&amp;b=&quot;2&quot;"');
  });

  it('the per-gateway template gives the same document as the builder', () => {
    const url = 'wss://media.example.com/s?a=1&b=2';
    const fill = connectStreamTemplate(url, ACTION);
    expect(fill(SID)).toBe(connectStreamTwiml(url, SID, { actionUrl: ACTION }));
    const other = `CA${'cd'.repeat(16)}`;
    expect(fill(other)).toBe(connectStreamTwiml(url, other, { actionUrl: ACTION }));
  });

  it('apologises and hangs up, or just hangs up', () => {
    expect(apologyTwiml()).toBe(`${XML}<Response><Say>${APOLOGY_MESSAGE}</Say><Hangup/></Response>`);
    expect(hangupTwiml()).toBe(`${XML}<Response><Hangup/></Response>`);
  });

  it('dials a number or a SIP URI with the dial-result action and a timeout, showing the caller’s number', () => {
    const action = 'https://gw.example.com/twilio/dial-result?target=front_desk';
    expect(dialTwiml({ to: '+15550005555', actionUrl: action, timeoutSeconds: 20 })).toBe(
      `${XML}<Response><Dial action="${action}" timeout="20"><Number>+15550005555</Number></Dial></Response>`,
    );
    expect(dialTwiml({ to: 'sip:desk@pbx.example.com', actionUrl: action, timeoutSeconds: 30 })).toBe(
      `${XML}<Response><Dial action="${action}" timeout="30"><Sip>sip:desk@pbx.example.com</Sip></Dial></Response>`,
    );
    // The same document the twilio library builds from Twilio's own docs' example.
    const reference = new twilio.twiml.VoiceResponse();
    reference.dial({ action, timeout: 20 }).number('+15550005555');
    expect(dialTwiml({ to: '+15550005555', actionUrl: action, timeoutSeconds: 20 })).toBe(
      reference.toString(),
    );
  });
});
