import { twilioSignature } from '@switchboard/testkit';
import twilio from 'twilio';
import { describe, expect, it } from 'vitest';
import { formParams, isValidTwilioSignature, signedUrl } from '../src/signature.js';

// Twilio's documented example (https://www.twilio.com/docs/usage/security#validating-requests).
const AUTH_TOKEN = '12345';
const URL = 'https://mycompany.com/myapp.php?foo=1&bar=2';
const PARAMS = {
  CallSid: 'CA1234567890ABCDE',
  Caller: '+12349013030',
  Digits: '1234',
  From: '+12349013030',
  To: '+18005551212',
};
const EXPECTED = '0/KCTR6DLpKmkAf8muzZqo1nDgQ=';

describe('Twilio request signatures', () => {
  it("accepts Twilio's documented example", () => {
    expect(isValidTwilioSignature(AUTH_TOKEN, EXPECTED, URL, PARAMS)).toBe(true);
    expect(twilio.getExpectedTwilioSignature(AUTH_TOKEN, URL, PARAMS)).toBe(EXPECTED);
  });

  it('refuses a missing signature, a tampered param, URL or token', () => {
    expect(isValidTwilioSignature(AUTH_TOKEN, undefined, URL, PARAMS)).toBe(false);
    expect(isValidTwilioSignature(AUTH_TOKEN, '', URL, PARAMS)).toBe(false);
    expect(isValidTwilioSignature(AUTH_TOKEN, EXPECTED, URL, { ...PARAMS, Digits: '1235' })).toBe(false);
    expect(isValidTwilioSignature(AUTH_TOKEN, EXPECTED, `${URL}&baz=3`, PARAMS)).toBe(false);
    expect(isValidTwilioSignature('54321', EXPECTED, URL, PARAMS)).toBe(false);
    expect(isValidTwilioSignature(AUTH_TOKEN, EXPECTED.replace('0', '1'), URL, PARAMS)).toBe(false);
  });

  it("the testkit's signer agrees with the twilio library, repeated params included", () => {
    expect(twilioSignature(AUTH_TOKEN, URL, PARAMS)).toBe(EXPECTED);
    const params = { ...PARAMS, StatusCallbackEvent: ['ringing', 'initiated', 'ringing'] };
    expect(twilioSignature(AUTH_TOKEN, URL, params)).toBe(
      twilio.getExpectedTwilioSignature(AUTH_TOKEN, URL, params),
    );
  });

  it('signs the public base URL followed by the original path and query', () => {
    expect(signedUrl('https://gw.example.com', '/twilio/voice?x=1')).toBe(
      'https://gw.example.com/twilio/voice?x=1',
    );
    expect(signedUrl('https://gw.example.com/prefix/', '/twilio/status')).toBe(
      'https://gw.example.com/prefix/twilio/status',
    );
  });

  it('takes only string params from a parsed body', () => {
    expect(formParams(undefined)).toEqual({});
    expect(formParams({ a: '1', b: ['2', '3'], c: 4, d: { e: 'f' } })).toEqual({ a: '1', b: ['2', '3'] });
  });
});
