import { z } from 'zod';

/**
 * The OpenAI Realtime API (GA) events switchboard sends and reads over its WebSocket
 * (`wss://api.openai.com/v1/realtime?model=…`, `Authorization: Bearer …`).
 * https://platform.openai.com/docs/api-reference/realtime-client-events and …/realtime-server-events
 * Objects are not strict: the API adds fields over time, and unknown ones are dropped, not refused.
 * Held against OpenAI's own definitions twice: the `openai` SDK's GA types at build time
 * (openai-realtime-sdk-check.ts), and the published JSON schemas in test/contracts.
 */

export const RealtimeAudioFormat = z.discriminatedUnion('type', [
  z.object({ type: z.literal('audio/pcm'), rate: z.literal(24_000).optional() }),
  /** G.711 mu-law, 8 kHz: what Twilio streams, so no transcoding is needed. */
  z.object({ type: z.literal('audio/pcmu') }),
  z.object({ type: z.literal('audio/pcma') }),
]);
export type RealtimeAudioFormat = z.infer<typeof RealtimeAudioFormat>;

export const ServerVadTurnDetection = z.object({
  type: z.literal('server_vad'),
  threshold: z.number().min(0).max(1).optional(),
  prefix_padding_ms: z.number().int().nonnegative().optional(),
  silence_duration_ms: z.number().int().nonnegative().optional(),
  /** Published range: 5 to 30 s. */
  idle_timeout_ms: z.number().int().min(5_000).max(30_000).nullable().optional(),
  /** Start a response when the caller stops speaking (default true). */
  create_response: z.boolean().optional(),
  /** Cancel the running response when the caller starts speaking (default true). */
  interrupt_response: z.boolean().optional(),
});

export const SemanticVadTurnDetection = z.object({
  type: z.literal('semantic_vad'),
  eagerness: z.enum(['low', 'medium', 'high', 'auto']).optional(),
  create_response: z.boolean().optional(),
  interrupt_response: z.boolean().optional(),
});

export const TurnDetection = z.discriminatedUnion('type', [ServerVadTurnDetection, SemanticVadTurnDetection]);
export type TurnDetection = z.infer<typeof TurnDetection>;

export const AudioTranscription = z.object({
  model: z.string().optional(),
  language: z.string().optional(),
  prompt: z.string().optional(),
});

/** How the model picks tools (`ToolChoiceOptions`; forcing one named tool is not used here). */
export const ToolChoice = z.enum(['none', 'auto', 'required']);

export const RealtimeFunctionTool = z.object({
  type: z.literal('function'),
  name: z.string().min(1).max(64),
  description: z.string().optional(),
  /** JSON Schema of the arguments. */
  parameters: z.record(z.string(), z.unknown()).optional(),
});
export type RealtimeFunctionTool = z.infer<typeof RealtimeFunctionTool>;

/**
 * `session` of `session.update`: a realtime (speech-to-speech) session. To turn transcription or noise
 * reduction off, leave it out: OpenAI's prose allows `null`, but its published schema and SDK type do not.
 */
export const RealtimeSessionConfig = z.object({
  type: z.literal('realtime'),
  model: z.string().optional(),
  instructions: z.string().optional(),
  output_modalities: z.array(z.enum(['audio', 'text'])).optional(),
  audio: z
    .object({
      input: z
        .object({
          format: RealtimeAudioFormat.optional(),
          transcription: AudioTranscription.optional(),
          turn_detection: TurnDetection.nullable().optional(),
          noise_reduction: z.object({ type: z.enum(['near_field', 'far_field']) }).optional(),
        })
        .optional(),
      output: z
        .object({
          format: RealtimeAudioFormat.optional(),
          voice: z.string().optional(),
          speed: z.number().min(0.25).max(1.5).optional(),
        })
        .optional(),
    })
    .optional(),
  tools: z.array(RealtimeFunctionTool).optional(),
  tool_choice: ToolChoice.optional(),
});
export type RealtimeSessionConfig = z.infer<typeof RealtimeSessionConfig>;

const clientBase = { event_id: z.string().max(512).optional() };

// ---------------------------------------------------------------------------------------------- client → server

export const SessionUpdateEvent = z.object({
  ...clientBase,
  type: z.literal('session.update'),
  session: RealtimeSessionConfig,
});
export type SessionUpdateEvent = z.infer<typeof SessionUpdateEvent>;

export const InputAudioBufferAppendEvent = z.object({
  ...clientBase,
  type: z.literal('input_audio_buffer.append'),
  /** Base64 audio in the session's input format. */
  audio: z.string(),
});
export type InputAudioBufferAppendEvent = z.infer<typeof InputAudioBufferAppendEvent>;

export const ResponseCreateEvent = z.object({
  ...clientBase,
  type: z.literal('response.create'),
  response: z
    .object({
      instructions: z.string().optional(),
      output_modalities: z.array(z.enum(['audio', 'text'])).optional(),
      conversation: z.string().optional(),
      metadata: z.record(z.string(), z.string()).nullable().optional(),
      tool_choice: ToolChoice.optional(),
    })
    .optional(),
});
export type ResponseCreateEvent = z.infer<typeof ResponseCreateEvent>;

export const ResponseCancelEvent = z.object({
  ...clientBase,
  type: z.literal('response.cancel'),
  response_id: z.string().optional(),
});
export type ResponseCancelEvent = z.infer<typeof ResponseCancelEvent>;

/** Cuts an assistant item's audio (and transcript) at what the caller actually heard. */
export const ConversationItemTruncateEvent = z.object({
  ...clientBase,
  type: z.literal('conversation.item.truncate'),
  item_id: z.string(),
  content_index: z.number().int().nonnegative(),
  audio_end_ms: z.number().int().nonnegative(),
});
export type ConversationItemTruncateEvent = z.infer<typeof ConversationItemTruncateEvent>;

export const ConversationItemDeleteEvent = z.object({
  ...clientBase,
  type: z.literal('conversation.item.delete'),
  item_id: z.string(),
});
export type ConversationItemDeleteEvent = z.infer<typeof ConversationItemDeleteEvent>;

/** A tool's result, answering the model's `function_call` with the same `call_id`. */
export const FunctionCallOutputItem = z.object({
  type: z.literal('function_call_output'),
  call_id: z.string(),
  output: z.string(),
});

const inputText = z.object({ type: z.literal('input_text'), text: z.string() });

/**
 * A text message added to the conversation: what the caller said or did (`user`, `input_text`), an
 * instruction (`system`), or what the agent said earlier (`assistant`, `output_text`), as when a new session
 * is given the transcript so far.
 */
export const MessageItem = z.discriminatedUnion('role', [
  z.object({ type: z.literal('message'), role: z.literal('user'), content: z.array(inputText) }),
  z.object({ type: z.literal('message'), role: z.literal('system'), content: z.array(inputText) }),
  z.object({
    type: z.literal('message'),
    role: z.literal('assistant'),
    /** Ours when we may need to delete it later (the API lets the client name an item). */
    id: z.string().max(32).optional(),
    content: z.array(z.object({ type: z.literal('output_text'), text: z.string() })),
  }),
]);
export type MessageItem = z.infer<typeof MessageItem>;

export const ConversationItemCreateEvent = z.object({
  ...clientBase,
  type: z.literal('conversation.item.create'),
  previous_item_id: z.string().optional(),
  item: z.discriminatedUnion('type', [FunctionCallOutputItem, MessageItem]),
});
export type ConversationItemCreateEvent = z.infer<typeof ConversationItemCreateEvent>;

export const RealtimeClientEvent = z.discriminatedUnion('type', [
  SessionUpdateEvent,
  InputAudioBufferAppendEvent,
  ResponseCreateEvent,
  ResponseCancelEvent,
  ConversationItemTruncateEvent,
  ConversationItemDeleteEvent,
  ConversationItemCreateEvent,
]);
export type RealtimeClientEvent = z.infer<typeof RealtimeClientEvent>;

// ---------------------------------------------------------------------------------------------- server → client

const serverBase = { event_id: z.string().optional() };

export const RealtimeErrorEvent = z.object({
  ...serverBase,
  type: z.literal('error'),
  error: z.object({
    type: z.string(),
    code: z.string().nullable().optional(),
    message: z.string(),
    param: z.string().nullable().optional(),
    event_id: z.string().nullable().optional(),
  }),
});
export type RealtimeErrorEvent = z.infer<typeof RealtimeErrorEvent>;

const SessionEcho = z.object({ id: z.string().optional(), type: z.string().optional() }).loose();

export const SessionCreatedEvent = z.object({
  ...serverBase,
  type: z.literal('session.created'),
  session: SessionEcho,
});
export const SessionUpdatedEvent = z.object({
  ...serverBase,
  type: z.literal('session.updated'),
  session: SessionEcho,
});

/** Server VAD heard the caller start speaking; `item_id` is the user item it will become. */
export const SpeechStartedEvent = z.object({
  ...serverBase,
  type: z.literal('input_audio_buffer.speech_started'),
  /** Milliseconds into all audio appended during this session. */
  audio_start_ms: z.number().nonnegative(),
  item_id: z.string(),
});
export type SpeechStartedEvent = z.infer<typeof SpeechStartedEvent>;

export const SpeechStoppedEvent = z.object({
  ...serverBase,
  type: z.literal('input_audio_buffer.speech_stopped'),
  audio_end_ms: z.number().nonnegative(),
  item_id: z.string(),
});

export const InputTranscriptionCompletedEvent = z.object({
  ...serverBase,
  type: z.literal('conversation.item.input_audio_transcription.completed'),
  item_id: z.string(),
  content_index: z.number().int().nonnegative().optional(),
  transcript: z.string(),
});
export type InputTranscriptionCompletedEvent = z.infer<typeof InputTranscriptionCompletedEvent>;

const ResponseResource = z
  .object({
    id: z.string(),
    status: z.enum(['completed', 'cancelled', 'failed', 'incomplete', 'in_progress']).optional(),
    status_details: z
      .object({ type: z.string().optional(), reason: z.string().optional() })
      .loose()
      .nullish(),
  })
  .loose();

export const ResponseCreatedEvent = z.object({
  ...serverBase,
  type: z.literal('response.created'),
  response: ResponseResource,
});
export const ResponseDoneEvent = z.object({
  ...serverBase,
  type: z.literal('response.done'),
  response: ResponseResource,
});
export type ResponseDoneEvent = z.infer<typeof ResponseDoneEvent>;

const responsePart = {
  response_id: z.string(),
  item_id: z.string(),
  output_index: z.number().int().nonnegative(),
  content_index: z.number().int().nonnegative(),
};

/** A chunk of the agent's speech, base64 in the session's output format. */
export const OutputAudioDeltaEvent = z.object({
  ...serverBase,
  type: z.literal('response.output_audio.delta'),
  ...responsePart,
  delta: z.string(),
});
export type OutputAudioDeltaEvent = z.infer<typeof OutputAudioDeltaEvent>;

export const OutputAudioDoneEvent = z.object({
  ...serverBase,
  type: z.literal('response.output_audio.done'),
  ...responsePart,
});

export const OutputAudioTranscriptDeltaEvent = z.object({
  ...serverBase,
  type: z.literal('response.output_audio_transcript.delta'),
  ...responsePart,
  delta: z.string(),
});

export const OutputAudioTranscriptDoneEvent = z.object({
  ...serverBase,
  type: z.literal('response.output_audio_transcript.done'),
  ...responsePart,
  transcript: z.string(),
});
export type OutputAudioTranscriptDoneEvent = z.infer<typeof OutputAudioTranscriptDoneEvent>;

export const OutputItem = z.discriminatedUnion('type', [
  z.object({ type: z.literal('message'), id: z.string().optional(), role: z.string().optional() }).loose(),
  z
    .object({
      type: z.literal('function_call'),
      id: z.string().optional(),
      call_id: z.string(),
      name: z.string(),
      arguments: z.string(),
    })
    .loose(),
]);

/** The model finished a function call's arguments (a JSON string); the call is answered by its `call_id`. */
export const FunctionCallArgumentsDoneEvent = z.object({
  ...serverBase,
  type: z.literal('response.function_call_arguments.done'),
  response_id: z.string(),
  item_id: z.string(),
  output_index: z.number().int().nonnegative(),
  call_id: z.string(),
  name: z.string(),
  arguments: z.string(),
});
export type FunctionCallArgumentsDoneEvent = z.infer<typeof FunctionCallArgumentsDoneEvent>;

/** An output item (message or function call) is finished; a function call's name and arguments are final. */
export const OutputItemDoneEvent = z.object({
  ...serverBase,
  type: z.literal('response.output_item.done'),
  response_id: z.string(),
  output_index: z.number().int().nonnegative(),
  item: OutputItem,
});
export type OutputItemDoneEvent = z.infer<typeof OutputItemDoneEvent>;

export const ConversationItemTruncatedEvent = z.object({
  ...serverBase,
  type: z.literal('conversation.item.truncated'),
  item_id: z.string(),
  content_index: z.number().int().nonnegative(),
  audio_end_ms: z.number().int().nonnegative(),
});
export const ConversationItemDeletedEvent = z.object({
  ...serverBase,
  type: z.literal('conversation.item.deleted'),
  item_id: z.string(),
});

/** The server events switchboard reads; others (rate limits, content parts, …) exist and are ignored. */
export const RealtimeServerEvent = z.discriminatedUnion('type', [
  RealtimeErrorEvent,
  SessionCreatedEvent,
  SessionUpdatedEvent,
  SpeechStartedEvent,
  SpeechStoppedEvent,
  InputTranscriptionCompletedEvent,
  ResponseCreatedEvent,
  ResponseDoneEvent,
  OutputAudioDeltaEvent,
  OutputAudioDoneEvent,
  OutputAudioTranscriptDeltaEvent,
  OutputAudioTranscriptDoneEvent,
  FunctionCallArgumentsDoneEvent,
  OutputItemDoneEvent,
  ConversationItemTruncatedEvent,
  ConversationItemDeletedEvent,
]);
export type RealtimeServerEvent = z.infer<typeof RealtimeServerEvent>;
export type RealtimeServerEventType = RealtimeServerEvent['type'];
