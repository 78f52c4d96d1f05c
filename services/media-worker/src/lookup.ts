import { type RegistryClient, withRetry } from '@switchboard/bus';
import { CallNotFoundError } from '@switchboard/contracts';
import type { Logger } from '@switchboard/logger';
import type { BridgeInput } from './bridge/types.js';

/** `call.bySid` attempts for a stream's call. */
export const LOOKUP_ATTEMPTS = 2;

/**
 * Looks the stream's call up, trying again (the bus' request policy) when the registry was unavailable or
 * slow, and says what came of it as the bridge's input.
 */
export async function lookUpCall(
  registry: Pick<RegistryClient, 'callBySid'>,
  callSid: string,
  timeoutMs: number,
  log: Logger,
): Promise<BridgeInput> {
  try {
    const call = await withRetry(
      (attemptTimeoutMs) => registry.callBySid({ callSid }, { timeoutMs: attemptTimeoutMs }),
      {
        budgetMs: LOOKUP_ATTEMPTS * timeoutMs,
        attemptTimeoutMs: timeoutMs,
        maxAttempts: LOOKUP_ATTEMPTS,
        onRetry: (err) => log.warn({ err }, 'call lookup failed, trying again'),
      },
    );
    const answeredAt = call.answeredAt === null ? undefined : Date.parse(call.answeredAt);
    return { kind: 'call-found', agent: call.agent, answeredAt };
  } catch (err) {
    const notFound = err instanceof CallNotFoundError;
    if (notFound) log.warn('stream for an unknown call');
    else log.error({ err }, 'call lookup failed');
    return { kind: 'lookup-failed', notFound };
  }
}
