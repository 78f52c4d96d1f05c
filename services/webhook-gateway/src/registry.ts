import type { RegistryClient } from '@switchboard/bus';
import { SwitchboardError } from '@switchboard/contracts';

/** The registry endpoints the gateway asks. */
export type GatewayRegistry = Pick<
  RegistryClient,
  | 'callBySid'
  | 'callCreate'
  | 'callList'
  | 'callTranscript'
  | 'callActivity'
  | 'callMachineDetection'
  | 'agentGet'
  | 'agentPut'
  | 'agentList'
  | 'agentDelete'
  | 'registryHealth'
  | 'batchCreate'
  | 'batchAddCalls'
  | 'batchGet'
  | 'batchCancel'
  | 'batchClaim'
  | 'batchAttemptFailed'
  | 'webhookCreate'
  | 'webhookList'
  | 'webhookGet'
  | 'webhookDelete'
  | 'webhookFailedList'
  | 'webhookFailedRemove'
>;

export type RegistryObserver = (endpoint: string, outcome: string, durationMs: number) => void;

/** The same client, timing every request and recording its outcome (`ok` or the error's code). */
export function observedRegistry(client: RegistryClient, observe: RegistryObserver): GatewayRegistry {
  const timed =
    <A extends unknown[], R>(endpoint: string, fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const started = performance.now();
      let outcome = 'ok';
      try {
        return await fn(...args);
      } catch (err) {
        outcome = err instanceof SwitchboardError ? err.code : 'INTERNAL';
        throw err;
      } finally {
        observe(endpoint, outcome, performance.now() - started);
      }
    };
  return {
    callBySid: timed('call.bySid', client.callBySid),
    callCreate: timed('call.create', client.callCreate),
    callList: timed('call.list', client.callList),
    callTranscript: timed('call.transcript', client.callTranscript),
    callActivity: timed('call.activity', client.callActivity),
    callMachineDetection: timed('call.machineDetection', client.callMachineDetection),
    agentGet: timed('agent.get', client.agentGet),
    agentPut: timed('agent.put', client.agentPut),
    agentList: timed('agent.list', client.agentList),
    agentDelete: timed('agent.delete', client.agentDelete),
    registryHealth: timed('registry.health', client.registryHealth),
    batchCreate: timed('batch.create', client.batchCreate),
    batchAddCalls: timed('batch.addCalls', client.batchAddCalls),
    batchGet: timed('batch.get', client.batchGet),
    batchCancel: timed('batch.cancel', client.batchCancel),
    batchClaim: timed('batch.claim', client.batchClaim),
    batchAttemptFailed: timed('batch.attemptFailed', client.batchAttemptFailed),
    webhookCreate: timed('webhook.create', client.webhookCreate),
    webhookList: timed('webhook.list', client.webhookList),
    webhookGet: timed('webhook.get', client.webhookGet),
    webhookDelete: timed('webhook.delete', client.webhookDelete),
    webhookFailedList: timed('webhook.failed.list', client.webhookFailedList),
    webhookFailedRemove: timed('webhook.failed.remove', client.webhookFailedRemove),
  };
}
