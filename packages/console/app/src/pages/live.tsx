import { type Signal, useComputed } from '@preact/signals';
import type { Transcript as TranscriptReply } from '@switchboard/contracts';
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import { CallControls } from '../components/call-controls.js';
import { EndedReason, PhoneNumber, StatusBadge } from '../components/layout.js';
import { ROLE_LABEL, Transcript } from '../components/transcript.js';
import { VirtualList } from '../components/virtual-list.js';
import { openEvents } from '../events.js';
import { type CallView, callSeconds, formatDuration, isLive, mergeSegments } from '../model.js';
import { LiveCalls, now } from '../store.js';

const live = new LiveCalls();

function Duration({ view }: { view: CallView }) {
  return <span class="duration">{formatDuration(callSeconds(view, now.value))}</span>;
}

function CallCard({
  view,
  selected,
  onSelect,
}: {
  view: Signal<CallView>;
  selected: boolean;
  onSelect: () => void;
}) {
  const v = view.value;
  const last = v.segments.at(-1);
  const ended = !isLive(v);
  return (
    <button
      type="button"
      class={`call-card ${selected ? 'selected' : ''} ${ended ? 'ended' : ''}`}
      aria-pressed={selected}
      data-call-sid={v.callSid}
      onClick={onSelect}
    >
      <span class="call-card-top">
        <code class="sid">{v.callSid}</code>
        <StatusBadge status={v.status} />
      </span>
      <span class="call-card-parties">
        {v.call ? (
          <>
            <PhoneNumber value={v.call.from} /> → <PhoneNumber value={v.call.to} /> · {v.call.agent.id}
          </>
        ) : (
          <span class="muted">registering…</span>
        )}
        <Duration view={v} />
      </span>
      <span class="call-card-last">
        {last ? (
          <>
            <span class="segment-role">{ROLE_LABEL[last.role]}:</span>{' '}
            {last.tool ? `${last.tool.name} ${last.tool.status}` : last.text}
          </>
        ) : (
          <span class="muted">no words yet</span>
        )}
      </span>
    </button>
  );
}

function LiveDetail({ view }: { view: Signal<CallView> }) {
  const v = view.value;
  useEffect(() => {
    // What was said before this page opened (events since then are in the view already).
    void api<TranscriptReply>(`/api/calls/${v.callSid}/transcript`).then(
      (t) => {
        view.value = { ...view.value, segments: mergeSegments(view.value.segments, t.segments) };
      },
      () => undefined,
    );
  }, [v.callSid]);
  // Who spoke last: the caller or the agent (tool calls and events are not speech).
  const speaking = v.segments.findLast((s) => s.role === 'caller' || s.role === 'agent')?.role;
  return (
    <section class="live-detail" aria-label={`Call ${v.callSid}`}>
      <h2>
        <a href={`/console/calls/${v.callSid}`}>
          <code>{v.callSid}</code>
        </a>
      </h2>
      <p class="muted">
        <StatusBadge status={v.status} /> <Duration view={v} />
        {speaking && isLive(v) ? ` · last spoke: ${speaking}` : ''}
        {v.endedReason && (
          <>
            {' · stream ended: '}
            <EndedReason reason={v.endedReason} full />
          </>
        )}
      </p>
      <CallControls callSid={v.callSid} disabled={!isLive(v)} targets={v.call?.agent.transferTargets} />
      <Transcript segments={v.segments} live={isLive(v)} />
    </section>
  );
}

export function LivePage() {
  const [selected, setSelected] = useState<string | undefined>();
  useEffect(() => {
    const stop = openEvents({
      onReady: (_after, first) => {
        // The snapshot is read once the stream is open: nothing that happens after it is missed.
        if (first) void live.loadSnapshot().catch(() => undefined);
      },
      onEvents: (batch) => live.apply(batch),
    });
    live.startRefreshing();
    return () => {
      stop();
      live.stop();
    };
  }, []);
  const order = live.order.value;
  // Re-renders the page when the count changes, not on every event of every call.
  const liveCount = useComputed(
    () =>
      live.order.value.filter((sid) => {
        const v = live.view(sid);
        return v !== undefined && isLive(v.value);
      }).length,
  ).value;
  const current = selected ? live.view(selected) : undefined;
  return (
    <div class="live">
      <div class="live-list">
        <h1>
          Live calls <span class="count">{liveCount}</span>
        </h1>
        {order.length === 0 ? (
          <p class="muted">{live.loaded.value ? 'No calls in progress.' : 'Loading…'}</p>
        ) : (
          <VirtualList
            label="Live calls"
            count={order.length}
            estimate={96}
            renderRow={(index) => {
              const sid = order[index] as string;
              const view = live.view(sid);
              return view ? (
                <CallCard view={view} selected={sid === selected} onSelect={() => setSelected(sid)} />
              ) : null;
            }}
          />
        )}
      </div>
      {current ? (
        <LiveDetail view={current} />
      ) : (
        <p class="live-detail muted">Select a call to follow its transcript.</p>
      )}
    </div>
  );
}
