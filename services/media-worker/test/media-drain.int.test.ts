import { metricValue, TwilioMediaClient, UpgradeRefusedError } from '@switchboard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTH_TOKEN, frames, lastEvent, PUBLIC_MEDIA_URL, type Stack, startStack, until } from './support.js';

const DRAIN_TIMEOUT_MS = 3_000;

describe('capacity and draining', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ MAX_CONCURRENT_CALLS: '2', DRAIN_TIMEOUT_MS: String(DRAIN_TIMEOUT_MS) });
  });
  afterAll(() => stack?.close());

  const connect = () =>
    TwilioMediaClient.connect({ url: stack.mediaUrl, authToken: AUTH_TOKEN, signedUrl: PUBLIC_MEDIA_URL });
  const status = async (path: string) => (await fetch(`http://127.0.0.1:${stack.worker.port}${path}`)).status;
  const scrape = async () => (await fetch(`http://127.0.0.1:${stack.worker.port}/metrics`)).text();

  it('answers 503 to an upgrade beyond MAX_CONCURRENT_CALLS', async () => {
    const a = await connect();
    const b = await connect();
    await expect(connect()).rejects.toEqual(new UpgradeRefusedError(503));
    a.close();
    await a.closed;
    await until(() => stack.worker.liveStreams === 1, 'the first stream to be gone');
    const c = await connect();
    b.close();
    c.close();
    await Promise.all([b.closed, c.closed]);
  });

  it('counts live calls and barge-ins in /metrics', async () => {
    await until(() => stack.worker.liveStreams === 0, 'the earlier streams to be gone');
    const before = await scrape();
    expect(metricValue(before, 'media_worker_live_calls')).toBe(0);
    const callSid = await stack.newCall();
    // Manual playback echoes no marks, so all the greeting is still unplayed when the caller speaks.
    const { twilio, session } = await stack.call(callSid, { playback: 'manual' });
    await twilio.waitFor(() => twilio.media.length > 0, 5_000, 'the greeting');
    expect(metricValue(await scrape(), 'media_worker_live_calls')).toBe(1);
    session.speechStarted();
    await twilio.waitFor(() => twilio.clears === 1, 5_000, 'the clear');
    const bargeIns = (text: string) => metricValue(text, 'media_worker_barge_ins_total') ?? 0;
    expect(bargeIns(await scrape()) - bargeIns(before)).toBe(1);
    twilio.sendStop(callSid);
    await twilio.closed;
  });

  it('on drain: /readyz and upgrades 503, live calls go on until DRAIN_TIMEOUT_MS, then close', async () => {
    expect(await status('/readyz')).toBe(200);
    const quick = await stack.newCall();
    const long = await stack.newCall();
    const { twilio: quickTwilio } = await stack.call(quick);
    const { twilio: longTwilio, session: longSession } = await stack.call(long);
    await until(() => longSession.config !== undefined, 'the session to be ready');

    const drained = stack.worker.drain();
    expect(await status('/readyz')).toBe(503);
    expect(await status('/healthz')).toBe(200);
    await expect(connect()).rejects.toEqual(new UpgradeRefusedError(503));

    // Live calls carry on while draining.
    for (const frame of frames(5)) longTwilio.sendMedia(frame);
    await until(() => longSession.audio.length === 5, 'audio during the drain');
    quickTwilio.sendStop(quick);
    expect((await quickTwilio.closed).code).toBe(1000);
    expect(longTwilio.isOpen).toBe(true);

    await drained;
    expect(await longTwilio.closed).toEqual({ code: 1001, reason: 'the media worker is shutting down' });
    expect(await lastEvent(stack.nc, long, 'ended')).toMatchObject({
      reason: 'drained',
      detail: 'the media worker is shutting down',
    });
    await until(() => longSession.closed, 'the Realtime socket to close');
    expect(stack.worker.liveStreams).toBe(0);
  });

  it('serves Prometheus metrics', async () => {
    const text = await scrape();
    expect(text).toContain('media_worker_live_calls 0');
    expect(text).toMatch(/media_worker_frames_relayed_total\{direction="caller_to_agent"\} [1-9]/);
    expect(text).toMatch(/media_worker_frames_relayed_total\{direction="agent_to_caller"\} [1-9]/);
    expect(text).toMatch(/media_worker_first_agent_audio_seconds_count [1-9]/);
    expect(text).toMatch(/media_worker_upgrades_refused_total\{status="503"\} 2/);
  });
});
