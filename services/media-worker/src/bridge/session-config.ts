import type { Agent, RealtimeSessionConfig, SessionUpdateEvent, TurnDetection } from '@switchboard/contracts';
import { toolsFor } from './built-in-tools.js';

export interface SessionOptions {
  /** Model that transcribes the caller's speech. */
  transcriptionModel: string;
}

type InputAudio = NonNullable<NonNullable<RealtimeSessionConfig['audio']>['input']>;

/**
 * The turn detection of an agent: server VAD by default. Either kind starts a response when the caller
 * stops and interrupts the agent when the caller speaks (barge-in relies on both).
 */
export function turnDetectionFor(agent: Agent): TurnDetection {
  const setting = agent.turnDetection;
  const always = { create_response: true, interrupt_response: true } as const;
  if (setting?.type === 'semantic_vad') {
    return {
      type: 'semantic_vad',
      ...(setting.eagerness === undefined ? {} : { eagerness: setting.eagerness }),
      ...always,
    };
  }
  return {
    type: 'server_vad',
    ...(setting?.threshold === undefined ? {} : { threshold: setting.threshold }),
    ...(setting?.silenceMs === undefined ? {} : { silence_duration_ms: setting.silenceMs }),
    ...always,
  };
}

/**
 * The `session.update` for a call: the agent's instructions and voice, mu-law 8 kHz both ways (what Twilio
 * streams, so audio passes through untouched), the agent's turn detection, transcription of the caller in
 * the agent's language, its noise reduction (none sent when off: OpenAI's schema has no `null` for it), and
 * the agent's tools with the built-in ones.
 */
export function sessionUpdateFor(agent: Agent, options: SessionOptions): SessionUpdateEvent {
  const input: InputAudio = {
    format: { type: 'audio/pcmu' },
    turn_detection: turnDetectionFor(agent),
    transcription: {
      model: options.transcriptionModel,
      ...(agent.language ? { language: agent.language } : {}),
    },
  };
  if (agent.noiseReduction) input.noise_reduction = { type: agent.noiseReduction };
  return {
    type: 'session.update',
    session: {
      type: 'realtime',
      instructions: agent.instructions,
      output_modalities: ['audio'],
      audio: {
        input,
        output: { format: { type: 'audio/pcmu' }, voice: agent.voice },
      },
      tools: toolsFor(agent),
      tool_choice: 'auto',
    },
  };
}
