import type { Agent, RealtimeFunctionTool, TransferTarget } from '@switchboard/contracts';

export const END_CALL_TOOL_NAME = 'end_call';
export const TRANSFER_CALL_TOOL_NAME = 'transfer_call';
export const SEND_DTMF_TOOL_NAME = 'send_dtmf';

/** Keys `send_dtmf` may press, and how many at once. */
export const DTMF_DIGITS_PATTERN = /^[0-9*#]{1,32}$/;

/** Lets the agent hang up: the worker plays out what is queued, then closes the stream. */
export const END_CALL_TOOL: RealtimeFunctionTool = {
  type: 'function',
  name: END_CALL_TOOL_NAME,
  description:
    'End the phone call. Call this only after you have said goodbye and the caller has nothing more to ask.',
  parameters: {
    type: 'object',
    properties: { reason: { type: 'string', description: 'Why the call is ending, in a few words.' } },
    required: [],
  },
};

/** Lets the agent press phone keys (an automated menu on the other end of an outbound call). */
export const SEND_DTMF_TOOL: RealtimeFunctionTool = {
  type: 'function',
  name: SEND_DTMF_TOOL_NAME,
  description:
    'Press keys on the phone keypad, as tones the other side hears: to choose options in an automated phone ' +
    'menu, or to enter a number it asks for. The result says once the tones have played.',
  parameters: {
    type: 'object',
    properties: {
      digits: {
        type: 'string',
        pattern: DTMF_DIGITS_PATTERN.source,
        description: 'The keys to press, in order: digits 0-9, * and #, at most 32.',
      },
    },
    required: ['digits'],
  },
};

/** Lets the agent hand the caller to a person: one of the agent's transfer targets, by name. */
export function transferCallTool(targets: readonly TransferTarget[]): RealtimeFunctionTool {
  const list = targets.map((t) => `"${t.name}": ${t.description}`).join('; ');
  return {
    type: 'function',
    name: TRANSFER_CALL_TOOL_NAME,
    description:
      'Transfer the caller to a person. First tell the caller you are connecting them, then call this. ' +
      `The targets: ${list}.`,
    parameters: {
      type: 'object',
      properties: {
        target: { type: 'string', enum: targets.map((t) => t.name), description: 'Who to transfer to.' },
        reason: { type: 'string', description: 'Why, in one line, for the person who answers.' },
      },
      required: ['target', 'reason'],
    },
  };
}

/** The tools the model is given: the agent's own, then the built-in ones (transfer only with targets). */
export function toolsFor(agent: Agent): RealtimeFunctionTool[] {
  const tools: RealtimeFunctionTool[] = (agent.tools ?? []).map((tool) => ({
    type: 'function',
    name: tool.name,
    description: tool.description,
    parameters: tool.parameters,
  }));
  tools.push(END_CALL_TOOL);
  const targets = agent.transferTargets ?? [];
  if (targets.length > 0) tools.push(transferCallTool(targets));
  tools.push(SEND_DTMF_TOOL);
  return tools;
}
