import type { ToolCallRecord } from '@switchboard/contracts';
import type { ToolResult } from './types.js';

/** The most of a tool's JSON result the model is given (16 KiB); beyond it the result is cut, and says so. */
export const TOOL_RESULT_MAX_CHARS = 16_384;
/** What of a result a `tool` transcript segment shows. */
const SEGMENT_MAX_CHARS = 2_000;
/** Room left in a cut result for the note around it. */
const CUT_NOTE_ROOM = 512;

export interface ToolOutput {
  status: ToolCallRecord['status'];
  /** The `output` of the `function_call_output` (JSON text). */
  output: string;
  /** The `tool` transcript segment's text. */
  text: string;
}

/** An error the model can speak about, as a tool's output. */
export function errorOutput(message: string, status: 'error' | 'timeout' = 'error'): ToolOutput {
  return { status, output: JSON.stringify({ error: message }), text: message };
}

/** A result of the worker's own (a built-in tool), as a tool's output. */
export function okOutput(result: Record<string, unknown>, text: string): ToolOutput {
  return { status: 'ok', output: JSON.stringify(result), text };
}

/**
 * What the model is told of an HTTP tool's answer: its JSON as received, or, above TOOL_RESULT_MAX_CHARS,
 * its beginning in a note that says it was cut; an error or timeout as `{"error": …}`.
 */
export function toolOutput(result: ToolResult): ToolOutput {
  if (result.status !== 'ok') return errorOutput(result.message, result.status);
  const body = result.body;
  if (body.length <= TOOL_RESULT_MAX_CHARS) {
    return { status: 'ok', output: body, text: body.slice(0, SEGMENT_MAX_CHARS) };
  }
  let partial = body.slice(0, TOOL_RESULT_MAX_CHARS - CUT_NOTE_ROOM);
  const note = (kept: number) =>
    `The result was ${body.length} characters of JSON, more than the ${TOOL_RESULT_MAX_CHARS} you can be given: ` +
    `it is cut, and "partial" holds its first ${kept} characters. Tell the caller if something may be missing.`;
  let output = JSON.stringify({ truncated: true, note: note(partial.length), partial });
  // Escaping can lengthen the text: cut further until the whole output fits.
  while (output.length > TOOL_RESULT_MAX_CHARS) {
    partial = partial.slice(0, partial.length - (output.length - TOOL_RESULT_MAX_CHARS));
    output = JSON.stringify({ truncated: true, note: note(partial.length), partial });
  }
  return { status: 'ok', output, text: `${note(partial.length)}\n${partial.slice(0, SEGMENT_MAX_CHARS)}` };
}
