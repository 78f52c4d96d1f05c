import type { BridgeInput } from './bridge/types.js';
import type { TwilioFrame } from './codecs/twilio.js';

/** What a decoded Twilio frame means for the bridge: an input, nothing, or why it cannot be used. */
export function twilioInput(frame: TwilioFrame): BridgeInput | { ignored: string } | undefined {
  switch (frame.event) {
    case 'media':
      return { kind: 'caller-audio', payload: frame.payload, timestampMs: frame.timestampMs };
    case 'mark':
      return { kind: 'mark-echoed', name: frame.name };
    case 'start': {
      const { callSid, customParameters } = frame.start;
      return {
        kind: 'twilio-start',
        callSid,
        streamSid: frame.streamSid,
        callSidParameter: customParameters.callSid,
      };
    }
    case 'dtmf': {
      const { sequenceNumber } = frame;
      return {
        kind: 'caller-dtmf',
        digit: frame.dtmf.digit,
        sequenceNumber: sequenceNumber === undefined ? undefined : String(sequenceNumber),
      };
    }
    case 'stop':
      return { kind: 'twilio-stopped' };
    case 'connected':
    case '#unknown':
      return undefined;
    case '#invalid':
      return { ignored: frame.reason };
  }
}
