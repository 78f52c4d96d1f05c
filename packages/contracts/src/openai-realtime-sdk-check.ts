/**
 * Compile-time checks of `openai-realtime.ts` against the Realtime types OpenAI publishes in its own SDK
 * (`openai`, GA Realtime: `openai/resources/realtime/realtime`). Nothing here runs: `tsc -b` (`pnpm build`)
 * fails when switchboard's messages drift from OpenAI's definitions. The package is a devDependency used
 * for types only; no export of this file is part of the contracts' public face.
 *
 * Directions:
 * - Client events (the worker sends them): our type must be assignable TO the SDK's event, and may not
 *   carry a field the SDK does not name (`ExtraKeys`), so nothing we send is unknown to OpenAI.
 * - Server events (the worker reads them): the SDK's event must be assignable to our zod INPUT type, so
 *   everything OpenAI may send is something our schema accepts at the type level (our loose objects' catch-all
 *   `[k: string]: unknown` left out: `Named`). Where the worker needs a field the SDK marks optional, the
 *   check says so by name (`Requiring`): those fields are what we rely on beyond the published type, and each
 *   is listed here rather than hidden in a looser comparison.
 */
import type * as OpenAI from 'openai/resources/realtime/realtime';
import type { z } from 'zod';
import type * as Ours from './openai-realtime.js';

/** Compiles only when `A` is assignable to `B`; the error names the property that is not. */
type Check<A extends B, B> = A;

type KeysOf<T> = T extends unknown ? keyof T : never;
type ObjectPart<T> = Exclude<Extract<T, object>, readonly unknown[]>;
type ElementOf<T> = Extract<T, readonly unknown[]> extends readonly (infer E)[] ? E : never;
type ValueAt<T, K> = T extends unknown ? (K extends keyof T ? T[K] : never) : never;
/** The members of `B` that `A` fits (all of `B` when none does alone). */
type Matching<A, B> = B extends unknown ? ([A] extends [B] ? B : never) : never;
type Target<A, B> = [Matching<A, B>] extends [never] ? B : Matching<A, B>;

/** Paths of the fields of `A` that `B` does not name, recursively (`never` when there are none). */
type ExtraKeys<A, B, Path extends string = ''> = unknown extends B
  ? never
  : A extends unknown
    ? ExtraKeysOf<A, Target<A, B>, Path>
    : never;
type ExtraKeysOf<A, B, Path extends string> = A extends readonly (infer E)[]
  ? ExtraKeys<E, ElementOf<B>, `${Path}[]`>
  : A extends object
    ? {
        [K in keyof A & string]-?: K extends KeysOf<ObjectPart<B>>
          ? ExtraKeys<Exclude<A[K], undefined | null>, ValueAt<ObjectPart<B>, K>, `${Path}.${K}`>
          : `${Path}.${K}`;
      }[keyof A & string]
    : never;

/**
 * The fields of a client event `O` we send that the SDK's `S` does not name; using it also requires `O` to be
 * assignable to `S`. Checked as `Check<Sends<O, S>, never>`, so an error names the field.
 */
type Sends<O extends S, S> = ExtraKeys<O, S>;

/** What a loose zod object accepts besides its named fields (`[k: string]: unknown`), left out, recursively. */
type Named<T> = T extends readonly (infer E)[]
  ? Named<E>[]
  : T extends object
    ? { [K in keyof T as string extends K ? never : K]: Named<T[K]> }
    : T;

/** The SDK's server event `S` must be assignable to what our schema reads. */
type Reads<S extends Named<O>, O> = S;

/** `T` with `K` required (the SDK marks it optional; the worker cannot do without it). */
type Requiring<T, K extends keyof T> = T & { [P in K]-?: Exclude<T[P], undefined> };

// ------------------------------------------------------------------------------------------ client → server

export type ClientEventChecks = [
  Check<Sends<z.output<typeof Ours.SessionUpdateEvent>, OpenAI.SessionUpdateEvent>, never>,
  Check<Sends<z.output<typeof Ours.InputAudioBufferAppendEvent>, OpenAI.InputAudioBufferAppendEvent>, never>,
  Check<Sends<z.output<typeof Ours.ResponseCreateEvent>, OpenAI.ResponseCreateEvent>, never>,
  Check<Sends<z.output<typeof Ours.ResponseCancelEvent>, OpenAI.ResponseCancelEvent>, never>,
  Check<
    Sends<z.output<typeof Ours.ConversationItemTruncateEvent>, OpenAI.ConversationItemTruncateEvent>,
    never
  >,
  Check<Sends<z.output<typeof Ours.ConversationItemDeleteEvent>, OpenAI.ConversationItemDeleteEvent>, never>,
  Check<Sends<z.output<typeof Ours.ConversationItemCreateEvent>, OpenAI.ConversationItemCreateEvent>, never>,
  Check<Sends<z.output<typeof Ours.RealtimeClientEvent>, OpenAI.RealtimeClientEvent>, never>,
];

// ------------------------------------------------------------------------------------------ server → client

/** A response resource: the SDK marks `id` optional; every response the server announces has one. */
type WithResponseId<E extends { response: OpenAI.RealtimeResponse }> = E & {
  response: Requiring<OpenAI.RealtimeResponse, 'id'>;
};

/**
 * The items a response can output in a session whose tools are all functions (switchboard configures no MCP
 * server): messages and function calls. A function call's `call_id` is optional in the SDK; the worker
 * answers the call with it.
 */
type FunctionSessionOutputItem =
  | Extract<OpenAI.ConversationItem, { type: 'message' }>
  | Requiring<OpenAI.RealtimeConversationItemFunctionCall, 'call_id'>;

export type ServerEventChecks = [
  Reads<OpenAI.RealtimeErrorEvent, z.input<typeof Ours.RealtimeErrorEvent>>,
  Reads<OpenAI.SessionCreatedEvent, z.input<typeof Ours.SessionCreatedEvent>>,
  Reads<OpenAI.SessionUpdatedEvent, z.input<typeof Ours.SessionUpdatedEvent>>,
  Reads<OpenAI.InputAudioBufferSpeechStartedEvent, z.input<typeof Ours.SpeechStartedEvent>>,
  Reads<OpenAI.InputAudioBufferSpeechStoppedEvent, z.input<typeof Ours.SpeechStoppedEvent>>,
  Reads<
    OpenAI.ConversationItemInputAudioTranscriptionCompletedEvent,
    z.input<typeof Ours.InputTranscriptionCompletedEvent>
  >,
  Reads<WithResponseId<OpenAI.ResponseCreatedEvent>, z.input<typeof Ours.ResponseCreatedEvent>>,
  Reads<WithResponseId<OpenAI.ResponseDoneEvent>, z.input<typeof Ours.ResponseDoneEvent>>,
  Reads<OpenAI.ResponseAudioDeltaEvent, z.input<typeof Ours.OutputAudioDeltaEvent>>,
  Reads<OpenAI.ResponseAudioDoneEvent, z.input<typeof Ours.OutputAudioDoneEvent>>,
  Reads<OpenAI.ResponseAudioTranscriptDeltaEvent, z.input<typeof Ours.OutputAudioTranscriptDeltaEvent>>,
  Reads<OpenAI.ResponseAudioTranscriptDoneEvent, z.input<typeof Ours.OutputAudioTranscriptDoneEvent>>,
  Reads<OpenAI.ResponseFunctionCallArgumentsDoneEvent, z.input<typeof Ours.FunctionCallArgumentsDoneEvent>>,
  Reads<
    OpenAI.ResponseOutputItemDoneEvent & { item: FunctionSessionOutputItem },
    z.input<typeof Ours.OutputItemDoneEvent>
  >,
  Reads<OpenAI.ConversationItemTruncatedEvent, z.input<typeof Ours.ConversationItemTruncatedEvent>>,
  Reads<OpenAI.ConversationItemDeletedEvent, z.input<typeof Ours.ConversationItemDeletedEvent>>,
];

/** Every server event our schema reads is one the SDK names, and each has its check above. */
export type ServerEventCoverage = [
  Check<Ours.RealtimeServerEventType, OpenAI.RealtimeServerEvent['type']>,
  Check<Ours.RealtimeServerEventType, ServerEventChecks[number]['type']>,
];
