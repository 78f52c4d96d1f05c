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
  'goodbye-playout':
    'from the agent’s last words (end_call, a goodbye, transfer_call) to acting even if they have not played out (GOODBYE_MAX_WAIT_MS) → end: agent-ended, or request the transfer',
  'transfer-stop':
    'from Twilio taking a transfer to its stop of the stream (TRANSFER_STOP_WAIT_MS) → end: transferred',
  'ended-ack':
    'from publishing an ended event to closing Twilio’s socket even if JetStream has not acknowledged it (ENDED_ACK_WAIT_MS) → close',
  idle: 'from the conversation going quiet to the agent speaking again (the agent’s idleTimeoutMs) → reprompt, or goodbye',
  'max-call': 'from the call’s answer to its length limit (the agent’s maxCallSeconds) → goodbye',
  'tool-filler':
    'from the agent going quiet while a tool runs to a holding line (TOOL_FILLER_AFTER_MS) → “one moment”',
  'keypad-pause':
    'from the caller’s last key to telling the model what was gathered (the agent’s keypad.pauseMs) → digits to the model',
} as const;

export type TimerName = keyof typeof TIMERS;
