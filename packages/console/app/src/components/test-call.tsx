import type { Call } from '@switchboard/contracts';
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { Notice } from './layout.js';

/** "Place a test call to this number" with an agent, through the outbound API (`POST /api/calls`). */
export function TestCall({ agentId }: { agentId: string }) {
  const [to, setTo] = useState('');
  const [result, setResult] = useState<{ kind: 'ok' | 'error'; text: string } | undefined>();
  const place = async (e: Event) => {
    e.preventDefault();
    setResult(undefined);
    try {
      const call = await api<Call>('/api/calls', { method: 'POST', body: { to, agentId } });
      setResult({ kind: 'ok', text: `Placed ${call.callSid}.` });
    } catch (err) {
      setResult({ kind: 'error', text: (err as Error).message });
    }
  };
  return (
    <form class="inline-form test-call" onSubmit={place} aria-label="Test call">
      <label for="test-to">Place a test call to</label>
      <input
        id="test-to"
        value={to}
        inputMode="tel"
        placeholder="+15551230000"
        required
        onInput={(e) => setTo((e.target as HTMLInputElement).value)}
      />
      <button type="submit">Call</button>
      {result && <Notice kind={result.kind}>{result.text}</Notice>}
    </form>
  );
}
