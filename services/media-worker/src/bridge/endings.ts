import type { StreamEndReason } from '@switchboard/contracts';

/**
 * What each way a stream can end (contracts' StreamEndReason) tells Twilio and the registry. Close codes
 * 1000/1001 let the TwiML after `<Connect>` go on; 4xxx and 1011 say what was wrong with the stream.
 * `publishEnded`: the worker ended the call (an `ended` event), rather than Twilio or a replacement stream.
 */
export const STREAM_ENDINGS = {
  'twilio-stopped': { code: 1000, publishEnded: false, text: 'Twilio stopped the stream' },
  'twilio-closed': { code: 1000, publishEnded: false, text: 'Twilio closed the stream' },
  'no-start': { code: 4408, publishEnded: false, text: 'no start message in time' },
  'bad-start': { code: 4400, publishEnded: false, text: 'the start message is not valid for this stream' },
  'unknown-call': { code: 4404, publishEnded: false, text: 'unknown callSid' },
  'lookup-failed': { code: 1011, publishEnded: false, text: 'the call could not be looked up' },
  'realtime-failed': { code: 1000, publishEnded: true, text: 'the OpenAI Realtime session failed' },
  'realtime-not-ready': {
    code: 1000,
    publishEnded: true,
    text: 'the OpenAI Realtime session was not ready in time',
  },
  'agent-ended': { code: 1000, publishEnded: true, text: 'the agent ended the call' },
  'operator-ended': { code: 1000, publishEnded: true, text: 'an operator ended the call' },
  transferred: { code: 1000, publishEnded: true, text: 'the call was transferred' },
  replaced: { code: 4409, publishEnded: false, text: 'a newer stream for this call replaced this one' },
  drained: { code: 1001, publishEnded: true, text: 'the media worker is shutting down' },
  // 1013 Try Again Later: the stream came before anything about the call was claimed, so nothing is published.
  'worker-full': { code: 1013, publishEnded: false, text: 'no free slot on this worker for the stream' },
} as const satisfies Record<StreamEndReason, { code: number; publishEnded: boolean; text: string }>;
