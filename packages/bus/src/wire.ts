import type { z } from 'zod';

const decoder = new TextDecoder();

export type Decoded = { ok: true; value: unknown } | { ok: false; error: Error };

/** JSON.parse without throwing: bad input from the wire is a value to handle, not an exception. */
export function decodeJson(data: Uint8Array): Decoded {
  try {
    return { ok: true, value: JSON.parse(decoder.decode(data)) };
  } catch (error) {
    return { ok: false, error: error as Error };
  }
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

/**
 * A message body from the wire, JSON-decoded and parsed with its contracts schema; when it is not valid,
 * why, in a few words (`malformed JSON`, or the first issue's path and message), for a log line or a 400.
 */
export function parseMessage<S extends z.ZodType>(data: Uint8Array, schema: S): Parsed<z.output<S>> {
  const decoded = decodeJson(data);
  if (!decoded.ok) return { ok: false, reason: 'malformed JSON' };
  const parsed = schema.safeParse(decoded.value);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0];
  return { ok: false, reason: issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid' };
}
