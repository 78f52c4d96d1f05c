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
