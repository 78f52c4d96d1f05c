import type { ConversationItemCreateEvent, MessageItem } from '@switchboard/contracts';

/**
 * Characters of the conversation a new session is given. A new session costs what it is told: 16,000
 * characters are about 4,000 tokens, enough for the last several minutes of talk.
 */
export const SEED_MAX_CHARS = 16_000;
/** What is kept to choose from; older talk is forgotten (a long call says far more than a seed can hold). */
const KEPT_MAX_CHARS = 4 * SEED_MAX_CHARS;

export const CONTINUATION_NOTE =
  'This phone call is already in progress on a new connection. The conversation so far follows; continue ' +
  'it naturally, without greeting the caller again.';
export const CUT_NOTE = 'The earliest part of the call is left out.';

interface Line {
  role: 'caller' | 'agent';
  text: string;
  at: number;
}

/**
 * What the caller and the agent said, as their transcripts arrived: what a new Realtime session for the
 * same call is seeded with, so the agent remembers the conversation when the call moves to it.
 */
export class ConversationHistory {
  private lines: Line[] = [];
  private chars = 0;

  get isEmpty(): boolean {
    return this.lines.length === 0;
  }

  add(role: Line['role'], text: string, at: number): void {
    this.lines.push({ role, text, at });
    this.chars += text.length;
    while (this.chars > KEPT_MAX_CHARS && this.lines.length > 1) {
      this.chars -= (this.lines.shift() as Line).text.length;
    }
  }

  /**
   * The conversation as `conversation.item.create` events, in spoken order: a note that the call goes on,
   * then the most recent lines that fit in SEED_MAX_CHARS (the earliest are cut, and the note says so).
   */
  seed(): ConversationItemCreateEvent[] {
    if (this.lines.length === 0) return [];
    const spoken = [...this.lines].sort((a, b) => a.at - b.at);
    const kept: Line[] = [];
    let budget = SEED_MAX_CHARS;
    for (let i = spoken.length - 1; i >= 0; i--) {
      const line = spoken[i] as Line;
      if (line.text.length > budget) break;
      budget -= line.text.length;
      kept.unshift(line);
    }
    const note = kept.length < spoken.length ? `${CONTINUATION_NOTE} ${CUT_NOTE}` : CONTINUATION_NOTE;
    const items: MessageItem[] = [
      { type: 'message', role: 'system', content: [{ type: 'input_text', text: note }] },
      ...kept.map(messageOf),
    ];
    return items.map((item) => ({ type: 'conversation.item.create', item }));
  }
}

function messageOf(line: Line): MessageItem {
  return line.role === 'caller'
    ? { type: 'message', role: 'user', content: [{ type: 'input_text', text: line.text }] }
    : { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: line.text }] };
}
