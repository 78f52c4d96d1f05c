/**
 * How a call's media stream can end, and what each way tells Twilio: 1000/1001 let the TwiML after
 * `<Connect>` go on (the caller hears the goodbye); 4xxx and 1011 say what was wrong with the stream.
 * `publishEnded`: whether the worker ended the call (an `ended` event), rather than Twilio.
 */
export const STREAM_ENDINGS = {
  stopped: { code: 1000, publishEnded: false, reason: 'Twilio stopped the stream' },
  twilio_closed: { code: 1000, publishEnded: false, reason: 'Twilio closed the stream' },
  no_start: { code: 4408, publishEnded: false, reason: 'no start message in time' },
  bad_start: { code: 4400, publishEnded: false, reason: 'the start message is not valid for this stream' },
  unknown_call: { code: 4404, publishEnded: false, reason: 'unknown callSid' },
  lookup_failed: { code: 1011, publishEnded: false, reason: 'the call could not be looked up' },
  realtime_failed: { code: 1000, publishEnded: true, reason: 'the OpenAI Realtime session failed' },
  realtime_not_ready: { code: 1000, publishEnded: true, reason: 'the OpenAI Realtime session was not ready' },
  agent_ended: { code: 1000, publishEnded: true, reason: 'the agent ended the call' },
  replaced: { code: 4409, publishEnded: false, reason: 'a newer stream for this call replaced this one' },
  drained: { code: 1001, publishEnded: true, reason: 'the media worker is shutting down' },
} as const satisfies Record<string, { code: number; publishEnded: boolean; reason: string }>;

export type EndOutcome = keyof typeof STREAM_ENDINGS;
