import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

describe('the notifier settings', () => {
  it('defaults to SPEC: 10 s per attempt, retried for 24 hours, private addresses refused', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3003,
      attemptTimeoutMs: 10_000,
      retryBudgetMs: 24 * 60 * 60_000,
      allowPrivateUrls: false,
      ackWaitMs: 30_000,
      recordingWaitMs: 120_000,
    });
  });

  it('takes a short budget and attempt for tests, and refuses an ack wait an attempt could outlast', () => {
    expect(loadConfig({ WEBHOOK_RETRY_BUDGET_MS: '1500', WEBHOOK_ATTEMPT_TIMEOUT_MS: '300' })).toMatchObject({
      retryBudgetMs: 1_500,
      attemptTimeoutMs: 300,
    });
    expect(loadConfig({ WEBHOOK_RECORDING_WAIT_MS: '1500' }).recordingWaitMs).toBe(1_500);
    expect(() => loadConfig({ WEBHOOK_RECORDING_WAIT_MS: '0' })).toThrow(/WEBHOOK_RECORDING_WAIT_MS/);
    expect(() => loadConfig({ NOTIFIER_ACK_WAIT_MS: '15000' })).toThrow(ConfigError);
    expect(() => loadConfig({ NOTIFIER_ACK_WAIT_MS: '15000' })).toThrow(/NOTIFIER_ACK_WAIT_MS/);
    expect(() => loadConfig({ WEBHOOK_ALLOW_PRIVATE_URLS: 'maybe' })).toThrow(/WEBHOOK_ALLOW_PRIVATE_URLS/);
  });
});
