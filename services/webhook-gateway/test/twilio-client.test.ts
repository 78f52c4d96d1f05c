import twilio from 'twilio';
import { describe, expect, it } from 'vitest';
import { TwilioError } from '../src/errors.js';
import { clientStatusFor, twilioFailure } from '../src/twilio-client.js';

describe('Twilio REST failures', () => {
  it("pass Twilio's 4xx about the request through, and turn the rest into 502", () => {
    expect(clientStatusFor(400)).toBe(400);
    expect(clientStatusFor(429)).toBe(429);
    expect(clientStatusFor(401)).toBe(502);
    expect(clientStatusFor(403)).toBe(502);
    expect(clientStatusFor(404)).toBe(502);
    expect(clientStatusFor(500)).toBe(502);
    expect(clientStatusFor(503)).toBe(502);
  });

  it("carry Twilio's code, message and link", () => {
    const rest = new twilio.RestException({
      statusCode: 400,
      body: { code: 21211, message: "Invalid 'To' Phone Number", more_info: 'https://x/21211', status: 400 },
    });
    const error = twilioFailure(rest);
    expect(error).toBeInstanceOf(TwilioError);
    expect(error.httpStatus).toBe(400);
    expect(error.toBody()).toEqual({
      error: {
        code: 'TWILIO_ERROR',
        message: "Twilio refused the call: Invalid 'To' Phone Number",
        details: { twilioStatus: 400, twilioCode: 21211, moreInfo: 'https://x/21211' },
      },
    });
  });

  it('a network failure is a 502 without Twilio details', () => {
    const error = twilioFailure(new Error('connect ECONNREFUSED 127.0.0.1:1'));
    expect(error.httpStatus).toBe(502);
    expect(error.toBody().error.message).toBe(
      'Twilio could not be reached: connect ECONNREFUSED 127.0.0.1:1',
    );
  });
});
