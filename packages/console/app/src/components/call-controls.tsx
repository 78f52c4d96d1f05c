import { useState } from 'preact/hooks';
import { ApiError, api } from '../api.js';
import { Notice } from './layout.js';

type Action = 'hangup' | 'transfer' | 'say';

/** What an operator reads after a live-control request. */
export function controlMessage(action: Action, err: unknown): string {
  if (!(err instanceof ApiError)) return `Could not reach the gateway: ${(err as Error).message}`;
  if (err.routeMissing)
    return `Live control is not available on this gateway: it has no POST /api/calls/:callSid/${action} yet.`;
  switch (err.code) {
    case 'CALL_NOT_LIVE':
      return 'No media worker holds this call right now.';
    case 'CALL_ENDED':
      return 'The call has ended.';
    case 'CALL_NOT_FOUND':
      return 'The registry does not know this call.';
    default:
      return err.message;
  }
}

/** Hang up, transfer, "tell the agent": the live-control API (SPEC: Live control). */
export function CallControls({ callSid, disabled }: { callSid: string; disabled: boolean }) {
  const [target, setTarget] = useState('');
  const [text, setText] = useState('');
  const [result, setResult] = useState<{ kind: 'ok' | 'error'; text: string } | undefined>();
  const send = async (action: Action, body?: unknown) => {
    setResult(undefined);
    try {
      await api(`/api/calls/${callSid}/${action}`, {
        method: 'POST',
        ...(body === undefined ? {} : { body }),
      });
      setResult({
        kind: 'ok',
        text:
          action === 'hangup'
            ? 'Hanging up.'
            : action === 'transfer'
              ? 'Transferring.'
              : 'The agent will say it.',
      });
      if (action === 'say') setText('');
    } catch (err) {
      setResult({ kind: 'error', text: controlMessage(action, err) });
    }
  };
  return (
    <section class="controls" aria-label="Live control">
      <button type="button" class="danger" disabled={disabled} onClick={() => send('hangup')}>
        Hang up
      </button>
      <form
        class="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void send('transfer', { target });
        }}
      >
        <label for={`transfer-${callSid}`}>Transfer to</label>
        <input
          id={`transfer-${callSid}`}
          value={target}
          placeholder="target name or +1…"
          required
          disabled={disabled}
          onInput={(e) => setTarget((e.target as HTMLInputElement).value)}
        />
        <button type="submit" disabled={disabled}>
          Transfer
        </button>
      </form>
      <form
        class="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void send('say', { text });
        }}
      >
        <label for={`say-${callSid}`}>Tell the agent</label>
        <input
          id={`say-${callSid}`}
          value={text}
          required
          maxLength={2000}
          disabled={disabled}
          onInput={(e) => setText((e.target as HTMLInputElement).value)}
        />
        <button type="submit" disabled={disabled}>
          Send
        </button>
      </form>
      {result && <Notice kind={result.kind}>{result.text}</Notice>}
    </section>
  );
}
