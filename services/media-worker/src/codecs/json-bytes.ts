/**
 * Reading the few fields the relay needs straight from a frame's bytes, for the two messages that are most
 * of the traffic (Twilio's `media`, OpenAI's audio deltas). Only flat objects without escapes are read this
 * way: with no `\` in the frame every `"` delimits a string, so a key pattern `"name":"` cannot occur inside
 * a value, and with a single `{` every key is at the top level. Anything else is left to `JSON.parse`.
 */
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;

/** Whether the frame is a flat JSON object without escapes, so that its fields can be read by pattern. */
export function isPlainFlatObject(frame: Buffer): boolean {
  return frame[0] === OPEN_BRACE && frame.indexOf(OPEN_BRACE, 1) === -1 && frame.indexOf(BACKSLASH) === -1;
}

/** Whether there are no escapes in the frame (nested objects allowed). */
export function hasNoEscapes(frame: Buffer): boolean {
  return frame.indexOf(BACKSLASH) === -1;
}

/** The bytes of the string value of `"key":"…"` (pattern built by `keyPattern`), or undefined. */
export function stringField(frame: Buffer, pattern: Buffer): Buffer | undefined {
  const at = frame.indexOf(pattern);
  if (at < 0) return undefined;
  const start = at + pattern.length;
  const end = frame.indexOf(QUOTE, start);
  return end < 0 ? undefined : frame.subarray(start, end);
}

/** The non-negative integer of `"key":123` or `"key":"123"` (pattern `"key":`), or undefined. */
export function integerField(frame: Buffer, pattern: Buffer): number | undefined {
  const at = frame.indexOf(pattern);
  if (at < 0) return undefined;
  let i = at + pattern.length;
  const quoted = frame[i] === QUOTE;
  if (quoted) i++;
  let value = 0;
  const first = i;
  for (; i < frame.length && i - first < 15; i++) {
    const digit = (frame[i] as number) - 0x30;
    if (digit < 0 || digit > 9) break;
    value = value * 10 + digit;
  }
  if (i === first || (quoted && frame[i] !== QUOTE)) return undefined;
  return value;
}

export const keyPattern = (key: string, quoted: boolean): Buffer =>
  Buffer.from(quoted ? `"${key}":"` : `"${key}":`);

export function startsWith(frame: Buffer, prefix: Buffer): boolean {
  return frame.length >= prefix.length && frame.compare(prefix, 0, prefix.length, 0, prefix.length) === 0;
}
