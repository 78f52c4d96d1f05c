import type { TranscriptSegment } from '@switchboard/contracts';
import { useEffect, useRef } from 'preact/hooks';

const ROLE_LABEL: Record<TranscriptSegment['role'], string> = {
  caller: 'Caller',
  agent: 'Agent',
  tool: 'Tool',
  event: 'Event',
};

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
          <span class="segment-text">
            {s.tool ? (
              <>
                <code>{s.tool.name}</code> {s.tool.status} in {s.tool.ms} ms{s.text ? ` — ${s.text}` : ''}
              </>
            ) : (
              s.text
            )}
          </span>
        </li>
      ))}
    </ol>
  );
}
