import type { AudioBytes } from './types.js';

const EQUALS = 0x3d;

/** Bytes of audio that base64 text (as its bytes) decodes to, without decoding it. */
export function base64DecodedLength(b64: AudioBytes): number {
  const len = b64.length;
  if (len === 0) return 0;
  let padding = 0;
  if (b64[len - 1] === EQUALS) padding++;
  if (len > 1 && b64[len - 2] === EQUALS) padding++;
  return Math.floor((len * 3) / 4) - padding;
}
