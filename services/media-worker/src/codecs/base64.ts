/**
 * Whether text is standard base64 (`A–Z a–z 0–9 + /`, then up to two `=`). Audio payloads are checked with
 * this before they are spliced into outgoing JSON, so they can never break out of their string.
 */
export function isBase64(text: string): boolean {
  const len = text.length;
  let end = len;
  if (end > 0 && text.charCodeAt(end - 1) === 61) end--;
  if (end > 0 && text.charCodeAt(end - 1) === 61) end--;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    // A-Z 65-90, a-z 97-122, 0-9 48-57, + 43, / 47
    if (!((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 47 && c <= 57) || c === 43)) return false;
  }
  return true;
}
