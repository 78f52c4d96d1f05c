import type { TransferTarget } from '@switchboard/contracts';
import { useState } from 'preact/hooks';
import { ApiError, api } from '../api.js';
import { Notice } from './layout.js';

type Action = 'hangup' | 'transfer' | 'say';

const DONE: Record<Action, string> = {
  hangup: 'Hanging up.',
  transfer: 'Transferring: the gateway asks Twilio to dial the target.',
  say: 'The agent will say it.',
};

/** What an operator reads after a live-control request the API refused (SPEC "Live control"). */
export function controlMessage(err: unknown): string {
  if (!(err instanceof ApiError)) return `Could not reach the gateway: ${(err as Error).message}`;
  switch (err.code) {
    case 'CALL_NOT_LIVE':
      return (
        'Not connected to an agent: no media worker holds this call’s stream right now ' +
        '(it has been transferred to a person, or its stream has not started).'
      );
    case 'CALL_ENDED':
      return `This call can no longer be controlled: ${err.message}.`;
    case 'CALL_NOT_FOUND':
      return 'The registry does not know this call.';
    default:
      return err.message;
  }
}

/**
 * Hang up, transfer, "tell the agent" (SPEC "Live control"). Transfer offers the agent's transfer targets by
 * name; a number in E.164 works too.
 */
export function CallControls({
  callSid,
  disabled,
  targets = [],
}: {
  callSid: string;
  disabled: boolean;
  targets?: readonly TransferTarget[] | null | undefined;
}) {
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
      setResult({ kind: 'ok', text: DONE[action] });
      if (action === 'say') setText('');
    } catch (err) {
      setResult({ kind: 'error', text: controlMessage(err) });
    }
  };
  const listId = `targets-${callSid}`;
  return (
    <section class="controls" aria-label="Live control">
      <button type="button" class="danger" disabled={disabled} onClick={() => send('hangup')}>
        Hang up
      </button>
      <form
        class="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void send('transfer', { target: target.trim() });
        }}
      >
        <label for={`transfer-${callSid}`}>Transfer to</label>
        <input
          id={`transfer-${callSid}`}
          value={target}
          placeholder="target name or +1…"
          list={targets?.length ? listId : undefined}
          required
          disabled={disabled}
          onInput={(e) => setTarget((e.target as HTMLInputElement).value)}
        />
        {targets?.length ? (
          <datalist id={listId}>
            {targets.map((t) => (
              <option key={t.name} value={t.name}>
                {t.description}
              </option>
            ))}
          </datalist>
        ) : null}
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
