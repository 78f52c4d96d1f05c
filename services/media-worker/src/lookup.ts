import type { RegistryClient } from '@switchboard/bus';
import { CallNotFoundError, SwitchboardError } from '@switchboard/contracts';
import type { Logger } from '@switchboard/logger';
import type { BridgeInput } from './bridge/types.js';

/** `call.bySid` attempts for a stream's call. */
export const LOOKUP_ATTEMPTS = 2;

/**
 * Looks the stream's call up, once more when the registry was unavailable or slow, and says what came of
 * it as the bridge's input.
 */
export async function lookUpCall(
  registry: Pick<RegistryClient, 'callBySid'>,
  callSid: string,
  timeoutMs: number,
  log: Logger,
): Promise<BridgeInput> {
  for (let attempt = 1; ; attempt++) {
    try {
      const call = await registry.callBySid({ callSid }, { timeoutMs });
      return { kind: 'call-found', agent: call.agent };
    } catch (err) {
      const retryable = err instanceof SwitchboardError && err.retryable;
      if (retryable && attempt < LOOKUP_ATTEMPTS) {
        log.warn({ err }, 'call lookup failed, trying again');
        continue;
      }
      const notFound = err instanceof CallNotFoundError;
      if (notFound) log.warn('stream for an unknown call');
      else log.error({ err }, 'call lookup failed');
      return { kind: 'lookup-failed', notFound };
    }
  }
}
