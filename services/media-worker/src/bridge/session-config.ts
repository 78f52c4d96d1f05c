import type {
  Agent,
  RealtimeFunctionTool,
  ResponseCreateEvent,
  SessionUpdateEvent,
} from '@switchboard/contracts';

export const END_CALL_TOOL_NAME = 'end_call';

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

export interface SessionOptions {
  /** Model that transcribes the caller's speech. */
  transcriptionModel: string;
}

/**
 * The `session.update` for a call: the agent's instructions and voice, mu-law 8 kHz both ways (what Twilio
 * streams, so audio passes through untouched), server VAD that interrupts the agent when the caller speaks,
 * transcription of the caller, and the `end_call` tool.
 */
export function sessionUpdateFor(agent: Agent, options: SessionOptions): SessionUpdateEvent {
  return {
    type: 'session.update',
    session: {
      type: 'realtime',
      instructions: agent.instructions,
      output_modalities: ['audio'],
      audio: {
        input: {
          format: { type: 'audio/pcmu' },
          turn_detection: { type: 'server_vad', create_response: true, interrupt_response: true },
          transcription: { model: options.transcriptionModel },
        },
        output: { format: { type: 'audio/pcmu' }, voice: agent.voice },
      },
      tools: [END_CALL_TOOL],
      tool_choice: 'auto',
    },
  };
}

/** Asks the agent to open the call with its greeting, word for word. */
export function greetingResponse(greeting: string): ResponseCreateEvent {
  return {
    type: 'response.create',
    response: {
      instructions: `Greet the caller by saying exactly this, then wait for their answer: ${greeting}`,
    },
  };
}
