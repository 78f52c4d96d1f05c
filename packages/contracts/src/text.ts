import type { z } from 'zod';

/**
 * Text a client controls must never reach a service it can break: PostgreSQL refuses the NUL character in
 * `text` and in `jsonb` (`\u0000`), `jsonb` refuses a lone UTF-16 surrogate (`\ud800`, which JSON can carry),
 * and control characters have no business in a name, a number or a URL. Every schema of a string that is
 * stored or shown takes one of these refinements, so each service refuses such input with a 400 at its own
 * boundary.
 */

/** Whether the UTF-16 unit at `i` is half of a surrogate pair that is not there (not well-formed text). */
function loneSurrogateAt(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c < 0xd800 || c > 0xdfff) return 0;
  const next = text.charCodeAt(i + 1);
  if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) return 2;
  return -1;
}

/**
 * Whether `text` holds a control character (C0, DEL or C1) or a lone surrogate; with `allowLineBreaks`, tab,
 * LF and CR pass.
 */
export function hasControlCharacters(text: string, allowLineBreaks = false): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x20 && c < 0x7f) continue;
    if (c < 0x20) {
      if (allowLineBreaks && (c === 0x09 || c === 0x0a || c === 0x0d)) continue;
      return true;
    }
    if (c <= 0x9f) return true;
    const pair = loneSurrogateAt(text, i);
    if (pair < 0) return true;
    if (pair === 2) i++;
  }
  return false;
}

/** Whether `text` can be stored in `jsonb`: no NUL, no lone surrogate. */
function storableInJson(text: string): boolean {
  if (text.includes('\u0000')) return false;
  for (let i = 0; i < text.length; i++) {
    const pair = loneSurrogateAt(text, i);
    if (pair < 0) return false;
    if (pair === 2) i++;
  }
  return true;
}

/**
 * Whether any string in a JSON value (keys included) holds what PostgreSQL's `jsonb` refuses: NUL or a lone
 * surrogate.
 */
export function jsonRefusedByPostgres(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return !storableInJson(value);
  if (value === null || typeof value !== 'object' || depth > 64) return false;
  if (Array.isArray(value)) return value.some((item) => jsonRefusedByPostgres(item, depth + 1));
  return Object.entries(value).some(
    ([key, item]) => !storableInJson(key) || jsonRefusedByPostgres(item, depth + 1),
  );
}

/** One line of text: a name, a number, a URL. No control characters at all. */
export const singleLine = <T extends z.ZodType<string>>(schema: T): T =>
  schema.refine((s) => !hasControlCharacters(s), {
    message: 'must not contain control characters (or unpaired surrogates)',
  });

/** Prose (instructions, a greeting, a description): line breaks and tabs, no other control characters. */
export const prose = <T extends z.ZodType<string>>(schema: T): T =>
  schema.refine((s) => !hasControlCharacters(s, true), {
    message: 'must not contain control characters other than tab and line breaks',
  });
