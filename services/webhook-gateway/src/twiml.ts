import twilio from 'twilio';

/** Said when the media stream ends, before hanging up. */
export const GOODBYE_MESSAGE = 'Thank you for calling. Goodbye.';
/** Said when the call cannot be handled right now (the registry did not answer in time). */
export const APOLOGY_MESSAGE = 'Sorry, we cannot take your call right now. Please try again later. Goodbye.';

export const TWIML_CONTENT_TYPE = 'text/xml; charset=utf-8';

/** Stands for the callSid while the document is built; call SIDs (CA + 32 hex digits) never need escaping. */
const CALL_SID_SLOT = 'CALLSIDSLOT';

/**
 * Connects the call to the media worker's WebSocket with the callSid as a custom parameter. When the stream
 * ends (the worker closes it), Twilio goes on with the next verbs: a goodbye, then hang up.
 */
export function connectStreamTwiml(mediaStreamUrl: string, callSid: string): string {
  const response = new twilio.twiml.VoiceResponse();
  const stream = response.connect().stream({ url: mediaStreamUrl });
  stream.parameter({ name: 'callSid', value: callSid });
  response.say(GOODBYE_MESSAGE);
  response.hangup();
  return response.toString();
}

/**
 * `connectStreamTwiml` for one media stream URL, built once with the twilio library and then filled in per
 * call: building the XML document costs more than the rest of the webhook's own work.
 */
export function connectStreamTemplate(mediaStreamUrl: string): (callSid: string) => string {
  const [before, after] = connectStreamTwiml(mediaStreamUrl, CALL_SID_SLOT).split(CALL_SID_SLOT);
  if (before === undefined || after === undefined) throw new Error('TwiML template has no callSid slot');
  return (callSid) => before + callSid + after;
}

/** Apologises and hangs up: better for the caller than Twilio's own "application error" message. */
export function apologyTwiml(): string {
  const response = new twilio.twiml.VoiceResponse();
  response.say(APOLOGY_MESSAGE);
  response.hangup();
  return response.toString();
}
