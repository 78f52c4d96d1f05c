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
      const { transferFailed, transferTarget } = customParameters;
      return {
        kind: 'twilio-start',
        callSid,
        streamSid: frame.streamSid,
        callSidParameter: customParameters.callSid,
        // The gateway's dial-result TwiML: the caller is back after a transfer that did not connect.
        transferFailed: !transferFailed
          ? undefined
          : { status: transferFailed.slice(0, 32), target: (transferTarget ?? 'the person').slice(0, 256) },
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
