import { signal } from '@preact/signals';
import type { Call, Transcript as TranscriptReply } from '@switchboard/contracts';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, api } from '../api.js';
import { CallControls } from '../components/call-controls.js';
import { EndedReason, Notice, PhoneNumber, StatusBadge } from '../components/layout.js';
import { Transcript } from '../components/transcript.js';
import { openEvents } from '../events.js';
import {
  applyEvent,
  type CallView,
  callSeconds,
  formatDuration,
  isLive,
  mergeSegments,
  viewOfCall,
} from '../model.js';
import { now } from '../store.js';

/** Fields of a Call that later capabilities add (latency when the API has it). */
type RichCall = Call & {
  latency?: Record<string, number | null> | null;
};

export function CallPage({ callSid }: { callSid: string }) {
  const view = useMemo(() => signal<CallView | undefined>(undefined), [callSid]);
  const [error, setError] = useState<string | undefined>();

  useEffect(() => {
    let stop: (() => void) | undefined;
    void (async () => {
      try {
        const [call, transcript] = await Promise.all([
          api<Call>(`/api/calls/${callSid}`),
          api<TranscriptReply>(`/api/calls/${callSid}/transcript`),
        ]);
        view.value = { ...viewOfCall(call), segments: transcript.segments };
        // Every event of this call still in the stream (the status timeline), then what happens next.
        stop = openEvents({
          callSid,
          after: 0,
          onEvents: (batch) => {
            let v = view.value;
            if (!v) return;
            for (const { seq, event } of batch) v = applyEvent(v, event, seq);
            view.value = v;
          },
        });
      } catch (err) {
        setError(
          err instanceof ApiError && err.status === 404 ? `No call ${callSid}.` : (err as Error).message,
        );
      }
    })();
    return () => stop?.();
  }, [callSid]);

  const v = view.value;
  if (error) return <Notice kind="error">{error}</Notice>;
  if (!v?.call) return <p class="muted">Loading…</p>;
  const call = v.call as RichCall;
  const liveNow = isLive(v);
  const timeline = [
    { at: call.createdAt, label: 'registered' },
    ...v.timeline,
    ...(v.timeline.length === 0 && v.answeredAt ? [{ at: v.answeredAt, label: 'answered' }] : []),
    ...(v.timeline.length === 0 && v.endedAt ? [{ at: v.endedAt, label: 'ended' }] : []),
  ];
  const latency = call.latency ? Object.entries(call.latency).filter(([, ms]) => typeof ms === 'number') : [];
  return (
    <article class="call-page" aria-labelledby="call-title">
      <h1 id="call-title">
        Call <code>{call.callSid}</code> <StatusBadge status={v.status} />
      </h1>
      <dl class="facts">
        <dt>Direction</dt>
        <dd>{call.direction}</dd>
        <dt>From</dt>
        <dd>
          <PhoneNumber value={call.from} />
        </dd>
        <dt>To</dt>
        <dd>
          <PhoneNumber value={call.to} />
        </dd>
        <dt>Agent</dt>
        <dd>
          <a href={`/console/agents/${call.agent.id}`}>{call.agent.id}</a>
        </dd>
        <dt>Length</dt>
        <dd>{formatDuration(call.durationSeconds ?? callSeconds(v, now.value))}</dd>
        {v.endedReason && (
          <>
            <dt>Stream ended</dt>
            <dd>
              <EndedReason reason={v.endedReason} full />
            </dd>
          </>
        )}
        {call.answeredBy && (
          <>
            <dt>Answered by</dt>
            <dd>{call.answeredBy}</dd>
          </>
        )}
      </dl>
      {liveNow && (
        <CallControls callSid={call.callSid} disabled={false} targets={call.agent.transferTargets} />
      )}
      <section aria-labelledby="timeline-title">
        <h2 id="timeline-title">Status timeline</h2>
        <ol class="timeline">
          {timeline.map((t, i) => (
            <li key={`${t.at}-${i}`}>
              <time dateTime={t.at}>{new Date(t.at).toLocaleTimeString()}</time> {t.label}
            </li>
          ))}
        </ol>
      </section>
      {latency.length > 0 && (
        <section aria-labelledby="latency-title">
          <h2 id="latency-title">Latency</h2>
          <dl class="facts">
            {latency.map(([name, ms]) => (
              <>
                <dt key={`${name}-t`}>{name}</dt>
                <dd key={`${name}-d`}>{Math.round(ms as number)} ms</dd>
              </>
            ))}
          </dl>
        </section>
      )}
      {call.recording && (
        <section aria-labelledby="recording-title">
          <h2 id="recording-title">Recording</h2>
          {/* biome-ignore lint/a11y/useMediaCaption: the transcript below is the call's text */}
          <audio controls preload="none" src={`/api/calls/${call.callSid}/recording`} />
        </section>
      )}
      <section aria-labelledby="transcript-title">
        <h2 id="transcript-title">Transcript</h2>
        <Transcript segments={mergeSegments(v.segments, [])} live={liveNow} />
      </section>
    </article>
  );
}
