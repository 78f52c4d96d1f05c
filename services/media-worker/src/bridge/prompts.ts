import type { ConversationItemCreateEvent, ResponseCreateEvent } from '@switchboard/contracts';
import type { TransferFailure } from './types.js';

/** What the worker asks of the model besides answering the caller: each a `response` of `response.create`. */
export type ResponseRequest = NonNullable<ResponseCreateEvent['response']>;

/** Words the worker puts in the agent's mouth are said as given, and never lead to a tool call. */
const spoken = (instructions: string): ResponseRequest => ({ instructions, tool_choice: 'none' });

/** Asks the agent to open the call with its greeting, word for word. */
export function greetingResponse(greeting: string): ResponseCreateEvent {
  return {
    type: 'response.create',
    response: {
      instructions: `Greet the caller by saying exactly this, then wait for their answer: ${greeting}`,
    },
  };
}

/** An operator's `say`: the agent says the text now, as it is. */
export function sayResponse(text: string): ResponseRequest {
  return spoken(`Say exactly this to the caller, word for word, and nothing else: ${text}`);
}

/** A machine answered and its greeting is over: the agent leaves the call's voicemail message, as it is. */
export function voicemailResponse(text: string): ResponseRequest {
  return spoken(
    'An answering machine took the call and is recording now. Leave this message, word for word, and ' +
      `nothing else: ${text}`,
  );
}

/** The caller has been silent for the agent's idle timeout. */
export function repromptResponse(): ResponseRequest {
  return spoken(
    'The caller has not said anything for a while. In one short sentence, check whether they are still there.',
  );
}

export type GoodbyeCause = 'idle' | 'max-call';

/** The agent's last words before the worker hangs up: no answer for too long, or the call is at its limit. */
export function goodbyeResponse(cause: GoodbyeCause): ResponseRequest {
  return cause === 'idle'
    ? spoken(
        'The caller has not answered for a while. Say a short, polite goodbye and that you are ending the call now.',
      )
    : spoken(
        'The call has reached its time limit. Tell the caller politely that you have to end the call now, and say goodbye.',
      );
}

/** While a tool is slow: a holding line, so the caller is not left in silence. */
export function fillerResponse(): ResponseRequest {
  return spoken(
    'A lookup is taking a moment. Tell the caller in one short sentence that you are checking, for example ' +
      '"One moment while I check that." Say nothing else.',
  );
}

const DIAL_STATUS_WORDS: Record<string, string> = {
  busy: 'the line was busy',
  'no-answer': 'nobody answered',
  failed: 'the call could not be connected',
  canceled: 'the call was canceled',
};

/** The caller is back after a transfer that did not connect: the agent says so instead of greeting. */
export function transferFailedResponse(failure: TransferFailure): ResponseCreateEvent {
  const why = DIAL_STATUS_WORDS[failure.status] ?? `it ended with "${failure.status}"`;
  return {
    type: 'response.create',
    response: {
      instructions:
        `You tried to transfer the caller to ${failure.target}, but the transfer did not go through: ${why}. ` +
        'Tell the caller, apologise briefly, and ask how else you can help.',
    },
  };
}

/** Keys the caller pressed, as conversation input for the model. */
export function keypadItem(digits: string, gathered: boolean): ConversationItemCreateEvent {
  const text = gathered
    ? `The caller entered ${digits} on the phone keypad.`
    : `The caller pressed ${digits} on the phone keypad.`;
  return {
    type: 'conversation.item.create',
    item: { type: 'message', role: 'user', content: [{ type: 'input_text', text }] },
  };
}
