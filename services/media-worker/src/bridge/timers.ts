/**
 * Every deadline of a call, in one table. The bridge asks for a timer (`set-timer` with the time it is due)
 * and hears back `timer-fired`; the session only runs them. One timer of each name per call at a time.
 * Caller audio held while no session is ready is bounded too, but by the audio itself (MAX_HELD_AUDIO_MS of
 * it), not by a clock.
 */
export const TIMERS = {
  'stream-start': 'from the socket opening to Twilio’s start (STREAM_START_TIMEOUT_MS) → end: no-start',
  'session-ready':
    'from dialling a Realtime socket to its session.updated (REALTIME_CONNECT_TIMEOUT_MS) → that socket failed',
  redial: 'a pause before dialling again after a failed socket (REDIAL_DELAYS_MS) → dial',
  'session-max':
    'from a session becoming the call’s to its planned replacement (REALTIME_SESSION_MAX_MS) → roll over',
  'rollover-force':
    'from a replacement being ready to moving even while someone speaks (ROLLOVER_FORCE_MS) → move now',
  'old-session':
    'after a move, how long the old socket stays open for its late transcripts (OLD_SESSION_LINGER_MS) → close it',
  'end-call-playout':
    'from end_call to hanging up even if the goodbye has not played out (END_CALL_MAX_WAIT_MS) → end: agent-ended',
} as const;

export type TimerName = keyof typeof TIMERS;
