import type { z } from 'zod';

/**
 * Text a client controls must never reach a service it can break: PostgreSQL refuses the NUL character in
 * `text` and in `jsonb` (`\u0000`), and control characters have no business in a name, a number or a URL.
 * Every schema of a string that is stored or shown takes one of these refinements, so each service refuses
 * such input with a 400 at its own boundary.
 */

/** Whether `text` holds a control character (C0, DEL or C1); with `allowLineBreaks`, tab, LF and CR pass. */
export function hasControlCharacters(text: string, allowLineBreaks = false): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x20 && c < 0x7f) continue;
    if (c < 0x20) {
      if (allowLineBreaks && (c === 0x09 || c === 0x0a || c === 0x0d)) continue;
      return true;
    }
    if (c <= 0x9f) return true;
  }
  return false;
}

/** Whether any string in a JSON value (keys included) holds NUL, which PostgreSQL's `jsonb` refuses. */
export function jsonHasNul(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (value === null || typeof value !== 'object' || depth > 64) return false;
  if (Array.isArray(value)) return value.some((item) => jsonHasNul(item, depth + 1));
  return Object.entries(value).some(([key, item]) => key.includes('\u0000') || jsonHasNul(item, depth + 1));
}

/** One line of text: a name, a number, a URL. No control characters at all. */
export const singleLine = <T extends z.ZodType<string>>(schema: T): T =>
  schema.refine((s) => !hasControlCharacters(s), { message: 'must not contain control characters' });

/** Prose (instructions, a greeting, a description): line breaks and tabs, no other control characters. */
export const prose = <T extends z.ZodType<string>>(schema: T): T =>
  schema.refine((s) => !hasControlCharacters(s, true), {
    message: 'must not contain control characters other than tab and line breaks',
  });
