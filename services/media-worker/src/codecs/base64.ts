/** 1 for each byte of the standard base64 alphabet (`A–Z a–z 0–9 + /`). */
const ALPHABET = new Uint8Array(256);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/')
  ALPHABET[c.charCodeAt(0)] = 1;
const EQUALS = 0x3d;

/**
 * Whether bytes are standard base64 text (the alphabet, then up to two `=`). Audio payloads are checked with
 * this before they are spliced into outgoing JSON, so they can never break out of their string.
 */
export function isBase64Bytes(bytes: Uint8Array): boolean {
  let end = bytes.length;
  if (end > 0 && bytes[end - 1] === EQUALS) end--;
  if (end > 0 && bytes[end - 1] === EQUALS) end--;
  for (let i = 0; i < end; i++) if (ALPHABET[bytes[i] as number] === 0) return false;
  return true;
}

/** The same for text. */
export function isBase64(text: string): boolean {
  let end = text.length;
  if (end > 0 && text.charCodeAt(end - 1) === EQUALS) end--;
  if (end > 0 && text.charCodeAt(end - 1) === EQUALS) end--;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c > 255 || ALPHABET[c] === 0) return false;
  }
  return true;
}
