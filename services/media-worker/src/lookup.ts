import type { RegistryClient } from '@switchboard/bus';
import { type Call, SwitchboardError } from '@switchboard/contracts';
import type { Logger } from '@switchboard/logger';

/** `call.bySid` attempts for a stream's call. */
export const LOOKUP_ATTEMPTS = 2;

/** Looks the stream's call up, trying once more when the registry was unavailable or slow. */
export async function lookUpCall(
  registry: Pick<RegistryClient, 'callBySid'>,
  callSid: string,
  timeoutMs: number,
  log: Logger,
): Promise<Call> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await registry.callBySid({ callSid }, { timeoutMs });
    } catch (err) {
      if (attempt >= LOOKUP_ATTEMPTS || !(err instanceof SwitchboardError) || !err.retryable) throw err;
      log.warn({ err }, 'call lookup failed, trying again');
    }
  }
}
