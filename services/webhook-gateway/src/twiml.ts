import twilio from 'twilio';

/** Said when the call cannot be handled right now (the registry did not answer in time). */
export const APOLOGY_MESSAGE = 'Sorry, we cannot take your call right now. Please try again later. Goodbye.';
/** Said when the call's media stream ended and it was not the agent (or an operator) who ended the call. */
export const STREAM_FAILED_MESSAGE =
  'Sorry, something went wrong on our side and the call has to end. Please call again later. Goodbye.';

export const TWIML_CONTENT_TYPE = 'text/xml; charset=utf-8';

/** Stands for the callSid while the document is built; call SIDs (CA + 32 hex digits) never need escaping. */
const CALL_SID_SLOT = 'CALLSIDSLOT';

/** The paths of the gateway's own TwiML callbacks, under PUBLIC_BASE_URL. */
export const STREAM_ENDED_PATH = '/twilio/stream-ended';
export const DIAL_RESULT_PATH = '/twilio/dial-result';

export interface ConnectStreamOptions {
  /** Where Twilio asks what to do once the stream has ended: `PUBLIC_BASE_URL/twilio/stream-ended`. */
  actionUrl: string;
  /** `<Parameter>`s after `callSid`, given to the worker in `start.customParameters`. */
  parameters?: Record<string, string>;
}

/**
 * Connects the call to the media worker's WebSocket with the callSid as a custom parameter. Nothing follows
 * `<Connect>`: when the stream ends Twilio asks `actionUrl`, which says whether to hang up at once (the agent
 * ended the call) or to apologise first (the stream failed).
 */
export function connectStreamTwiml(
  mediaStreamUrl: string,
  callSid: string,
  options: ConnectStreamOptions,
): string {
  const response = new twilio.twiml.VoiceResponse();
  const stream = response.connect({ action: options.actionUrl }).stream({ url: mediaStreamUrl });
  stream.parameter({ name: 'callSid', value: callSid });
  for (const [name, value] of Object.entries(options.parameters ?? {})) stream.parameter({ name, value });
  return response.toString();
}

/**
 * `connectStreamTwiml` for one media stream URL, built once with the twilio library and then filled in per
 * call: building the XML document costs more than the rest of the webhook's own work.
 */
export function connectStreamTemplate(
  mediaStreamUrl: string,
  actionUrl: string,
): (callSid: string) => string {
  const [before, after] = connectStreamTwiml(mediaStreamUrl, CALL_SID_SLOT, { actionUrl }).split(
    CALL_SID_SLOT,
  );
  if (before === undefined || after === undefined) throw new Error('TwiML template has no callSid slot');
  return (callSid) => before + callSid + after;
}

/** Templates cached per media URL (a worker's own, or MEDIA_STREAM_URL) beyond which URLs are built afresh. */
const MAX_CACHED_TEMPLATES = 1_024;

/**
 * `connectStreamTemplate` for whichever media URL each call is placed on: one template per worker URL, built
 * the first time that worker takes a call.
 */
export function connectStreamTemplates(
  actionUrl: string,
): (mediaStreamUrl: string, callSid: string) => string {
  const templates = new Map<string, (callSid: string) => string>();
  return (mediaStreamUrl, callSid) => {
    let template = templates.get(mediaStreamUrl);
    if (template === undefined) {
      template = connectStreamTemplate(mediaStreamUrl, actionUrl);
      if (templates.size < MAX_CACHED_TEMPLATES) templates.set(mediaStreamUrl, template);
    }
    return template(callSid);
  };
}

/** Apologises and hangs up: better for the caller than Twilio's own "application error" message. */
export function apologyTwiml(message = APOLOGY_MESSAGE): string {
  const response = new twilio.twiml.VoiceResponse();
  response.say(message);
  response.hangup();
  return response.toString();
}

/** Hangs up without a word: the agent (or an operator) has already said goodbye. */
export function hangupTwiml(): string {
  const response = new twilio.twiml.VoiceResponse();
  response.hangup();
  return response.toString();
}

export interface DialOptions {
  /** An E.164 number or a `sip:` URI. */
  to: string;
  /** `PUBLIC_BASE_URL/twilio/dial-result?target=…`. */
  actionUrl: string;
  /** How long the other side may ring. */
  timeoutSeconds: number;
}

/**
 * Hands the call to a person: `<Dial>` the number (or SIP URI) with no callerId, so Twilio shows the caller's
 * own number, and `action` back to the gateway, which learns how the dial ended.
 */
export function dialTwiml({ to, actionUrl, timeoutSeconds }: DialOptions): string {
  const response = new twilio.twiml.VoiceResponse();
  const dial = response.dial({ action: actionUrl, timeout: timeoutSeconds });
  if (/^sips?:/.test(to)) dial.sip(to);
  else dial.number(to);
  return response.toString();
}
