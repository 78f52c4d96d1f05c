// The console's pure bookkeeping: no DOM, no I/O, unit-tested. What a call looks like as events arrive.
import type { Call, CallEndReason, CallEvent, CallStatus, TranscriptSegment } from '@switchboard/contracts';

const TERMINAL: ReadonlySet<CallStatus> = new Set(['completed', 'busy', 'failed', 'no-answer', 'canceled']);
const RANK: Record<CallStatus, number> = {
  queued: 0,
  initiated: 1,
  ringing: 2,
  'in-progress': 3,
  completed: 4,
  busy: 4,
  failed: 4,
  'no-answer': 4,
  canceled: 4,
};

/** The further along of two statuses (status only moves forward). */
export function laterStatus(a: CallStatus, b: CallStatus): CallStatus {
  return RANK[b] > RANK[a] ? b : a;
}

export function isTerminal(status: CallStatus): boolean {
  return TERMINAL.has(status);
}

/** One line of the timeline: a status, a stream starting or stopping, the end. */
export interface TimelineEntry {
  at: string;
  label: string;
}

/** A call as the console knows it: the API's Call (once read), and what events said since. */
export interface CallView {
  callSid: string;
  call: Call | undefined;
  status: CallStatus;
  /** When the status was last moved by an event (the Call may be older). */
  answeredAt: string | null;
  endedAt: string | null;
  /** Why the call's media stream last ended (the Call's `endedReason`, as the registry keeps it). */
  endedReason: CallEndReason | null;
  createdAt: string;
  segments: TranscriptSegment[];
  timeline: TimelineEntry[];
  /** Stream sequence of the last event applied. */
  lastSeq: number;
}

export function viewOfCall(call: Call): CallView {
  return {
    callSid: call.callSid,
    call,
    status: call.status,
    answeredAt: call.answeredAt,
    endedAt: call.endedAt,
    endedReason: call.endedReason,
    createdAt: call.createdAt,
    segments: [],
    timeline: [],
    lastSeq: 0,
  };
}

export function emptyView(callSid: string, at: string): CallView {
  return {
    callSid,
    call: undefined,
    status: 'queued',
    answeredAt: null,
    endedAt: null,
    endedReason: null,
    createdAt: at,
    segments: [],
    timeline: [],
    lastSeq: 0,
  };
}

/** The same segment whether it came from the API's transcript or from an event. */
function segmentKey(s: Pick<TranscriptSegment, 'role' | 'at' | 'text'>): string {
  return `${s.role}|${Date.parse(s.at)}|${s.text}`;
}

/** Adds segments not there yet, keeping spoken order (by `at`, stable for equal times). */
export function mergeSegments(
  current: TranscriptSegment[],
  incoming: TranscriptSegment[],
): TranscriptSegment[] {
  const seen = new Set(current.map(segmentKey));
  const added = incoming.filter((s) => {
    const key = segmentKey(s);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  if (added.length === 0) return current;
  return [...current, ...added].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

/** A call after one more event (an event already applied, by sequence, changes nothing). */
export function applyEvent(view: CallView, event: CallEvent, seq: number): CallView {
  if (seq !== 0 && seq <= view.lastSeq) return view;
  const next: CallView = { ...view, lastSeq: Math.max(view.lastSeq, seq) };
  switch (event.kind) {
    case 'status':
      if (RANK[event.status] > RANK[view.status]) next.status = event.status;
      if (event.status === 'in-progress') next.answeredAt ??= event.at;
      if (isTerminal(event.status)) next.endedAt ??= event.at;
      next.timeline = addTimeline(view.timeline, { at: event.at, label: event.status });
      return next;
    case 'stream':
      next.timeline = addTimeline(view.timeline, {
        at: event.at,
        label: event.reason ? `stream ${event.action} (${event.reason})` : `stream ${event.action}`,
      });
      if (event.action === 'started') {
        if (RANK[view.status] < RANK['in-progress']) next.status = 'in-progress';
        next.answeredAt ??= event.at;
        // A new stream of a live call (back from a transfer): the last end's reason is history.
        if (!isTerminal(next.status)) next.endedReason = null;
        return next;
      }
      return streamEnded(next, event.at, event.reason, false);
    case 'transcript': {
      const segment: TranscriptSegment = { role: event.role, text: event.text, at: event.at };
      if (event.tool) segment.tool = event.tool;
      next.segments = mergeSegments(view.segments, [segment]);
      return next;
    }
    case 'dtmf':
      next.timeline = addTimeline(view.timeline, { at: event.at, label: `keypad ${event.digit}` });
      return next;
    case 'ended':
      next.timeline = addTimeline(view.timeline, { at: event.at, label: `ended (${event.reason})` });
      // The registry's `worker-lost` fills gaps only, as the registry applies it.
      return streamEnded(next, event.at, event.reason, event.reason !== 'worker-lost');
    case 'recording':
      next.timeline = addTimeline(view.timeline, {
        at: event.at,
        label: event.detail ? `recording ${event.status}: ${event.detail}` : `recording ${event.status}`,
      });
      return next;
    case 'answered-by':
      next.timeline = addTimeline(view.timeline, { at: event.at, label: `answered by ${event.answeredBy}` });
      return next;
    default:
      return next;
  }
}

/**
 * A stream's end, as the registry applies it: a newer stream of the call changes nothing; a transfer leaves the
 * call live (a person has it) and only fills in the reason; any other end completes the call. The worker's
 * `ended` event names the reason that counts; a stopped stream's fills a gap (none yet, or a transfer's).
 */
function streamEnded(
  view: CallView,
  at: string,
  reason: CallEndReason | undefined,
  fromEndedEvent: boolean,
): CallView {
  if (reason === 'replaced') return view;
  if (reason === 'transferred') return { ...view, endedReason: view.endedReason ?? reason };
  const next = { ...view };
  if (!isTerminal(view.status)) {
    next.status = 'completed';
    next.endedAt ??= at;
  }
  if (
    reason !== undefined &&
    (fromEndedEvent || view.endedReason === null || view.endedReason === 'transferred')
  )
    next.endedReason = reason;
  return next;
}

function addTimeline(timeline: TimelineEntry[], entry: TimelineEntry): TimelineEntry[] {
  if (timeline.some((t) => t.at === entry.at && t.label === entry.label)) return timeline;
  return [...timeline, entry].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

/** What each reason a call's stream ended for means, in a few words for an operator. */
export const ENDED_REASON_TEXT: Record<CallEndReason, string> = {
  'twilio-stopped': 'Twilio stopped the stream: the caller hung up, or the call moved on',
  'twilio-closed': 'Twilio closed the stream without a stop',
  'no-start': 'the stream never started',
  'bad-start': 'the stream did not name a valid call',
  'unknown-call': 'the registry did not know the call',
  'lookup-failed': 'the registry could not be asked about the call',
  'realtime-failed': 'no OpenAI Realtime session could be kept up',
  'realtime-not-ready': 'the caller waited too long for an OpenAI Realtime session',
  'agent-ended': 'the agent hung up',
  'operator-ended': 'an operator hung up',
  transferred: 'transferred to a person',
  replaced: 'a newer stream of the call took over',
  drained: 'the media worker shut down',
  'worker-full': 'the media worker had no room for the stream',
  'worker-lost': 'the media worker holding the call stopped answering',
};

/** A live call leaves the live list once its status is terminal or its stream ended for good. */
export function isLive(view: CallView): boolean {
  return !isTerminal(view.status) && view.endedAt === null;
}

/** `+15551230000` → `+1555•••0000`: enough to tell calls apart, not enough to dial. */
export function maskNumber(value: string): string {
  const match = /^(\+\d{4})(\d+)(\d{4})$/.exec(value);
  if (match) return `${match[1]}${'•'.repeat(Math.min(3, match[2]?.length ?? 0))}${match[3]}`;
  if (value.length <= 4) return value;
  return `${value.slice(0, 2)}•••${value.slice(-2)}`;
}

/** `m:ss` or `h:mm:ss`. */
export function formatDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/** Seconds of a call so far (or in all, once ended), counted from its answer, else its creation. */
export function callSeconds(
  view: Pick<CallView, 'answeredAt' | 'createdAt' | 'endedAt'>,
  nowMs: number,
): number {
  const start = Date.parse(view.answeredAt ?? view.createdAt);
  const end = view.endedAt ? Date.parse(view.endedAt) : nowMs;
  return (end - start) / 1000;
}
