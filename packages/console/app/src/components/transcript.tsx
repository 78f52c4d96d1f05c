import type { ToolCallRecord, TranscriptSegment } from '@switchboard/contracts';
import { useEffect, useRef } from 'preact/hooks';

export const ROLE_LABEL: Record<TranscriptSegment['role'], string> = {
  caller: 'Caller',
  agent: 'Agent',
  tool: 'Tool',
  event: 'Event',
};

/** At most `max` characters of `text`, with an ellipsis when cut. */
function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The model's arguments, compact: JSON on one line (a string when they were not JSON). */
function argumentsText(args: unknown): string {
  if (args === undefined) return '';
  return clip(typeof args === 'string' ? args : JSON.stringify(args), 160);
}

/** A call of one of the agent's tools: its name and arguments, how it went and how long it took, its result. */
function ToolCall({ tool, text }: { tool: ToolCallRecord; text: string }) {
  return (
    <>
      <code class="tool-name">{tool.name}</code>
      <code class="tool-args">({argumentsText(tool.arguments)})</code>{' '}
      <span class={`tool-status tool-status-${tool.status}`}>{tool.status}</span> in {tool.ms} ms
      {text ? <span class="tool-result"> → {clip(text, 400)}</span> : null}
    </>
  );
}

function time(at: string): string {
  return new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** The transcript as it grows: speech, tool calls and events inline, announced politely to screen readers. */
export function Transcript({ segments, live }: { segments: TranscriptSegment[]; live: boolean }) {
  const end = useRef<HTMLLIElement>(null);
  const count = segments.length;
  useEffect(() => {
    if (live) end.current?.scrollIntoView({ block: 'nearest' });
  }, [count, live]);
  if (count === 0) return <p class="muted">No transcript yet.</p>;
  return (
    <ol class="transcript" aria-label="Transcript" aria-live={live ? 'polite' : 'off'}>
      {segments.map((s, i) => (
        <li key={`${s.at}-${i}`} class={`segment segment-${s.role}`} ref={i === count - 1 ? end : undefined}>
          <span class="segment-meta">
            <span class="segment-role">{ROLE_LABEL[s.role]}</span> <time dateTime={s.at}>{time(s.at)}</time>
          </span>
          <span class="segment-text">{s.tool ? <ToolCall tool={s.tool} text={s.text} /> : s.text}</span>
        </li>
      ))}
    </ol>
  );
}
