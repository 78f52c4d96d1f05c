import type { Msg } from '@nats-io/nats-core';
import { request } from '@switchboard/bus';
import {
  type Call,
  InvalidRequestError,
  WORKER_SUBJECTS,
  WorkerAnnouncement,
  WorkerFullError,
  WorkerReserveReply,
  WorkerReserveRequest,
  workerReserveSubject,
} from '@switchboard/contracts';
import { TwilioMediaClient, UpgradeRefusedError } from '@switchboard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTH_TOKEN, lastEvent, PUBLIC_MEDIA_URL, type Stack, startStack, until } from './support.js';

// The worker's side of placement (SPEC: Scale-out), on a real nats-server: its announcements, its
// `worker.reserve.<id>` answers, upgrades signed for its own WORKER_MEDIA_URL, streams that carry its id.

const WORKER_ID = 'worker-under-test';
const WORKER_MEDIA_URL = 'wss://worker-1.media.example.com/media-stream';

describe('a worker taking part in placement', () => {
  let stack: Stack;
  const announcements: WorkerAnnouncement[] = [];
  const reserve = (call: Call) =>
    request(
      stack.nc,
      { subject: workerReserveSubject(WORKER_ID), request: WorkerReserveRequest, reply: WorkerReserveReply },
      { call },
      { timeoutMs: 2_000 },
    );

  beforeAll(async () => {
    stack = await startStack({
      WORKER_ID,
      WORKER_MEDIA_URL,
      MAX_CONCURRENT_CALLS: '2',
      RESERVATION_TTL_MS: '60000',
    });
    stack.nc.subscribe(WORKER_SUBJECTS.announce, {
      callback: (_err: Error | null, msg: Msg) => {
        announcements.push(WorkerAnnouncement.parse(msg.json()));
      },
    });
  });
  afterAll(() => stack?.close());

  const latest = () => announcements.at(-1);

  it('announces itself every second with its id, own URL, load, capacity and lease', async () => {
    await until(() => announcements.length >= 2, 'two announcements', 5_000);
    const [first, second] = announcements;
    expect(first).toMatchObject({
      workerId: WORKER_ID,
      mediaUrl: WORKER_MEDIA_URL,
      live: 0,
      reserved: 0,
      capacity: 2,
      draining: false,
      leaseMs: 4_000,
    });
    const gap = Date.parse(second?.at ?? '') - Date.parse(first?.at ?? '');
    expect(gap).toBeGreaterThan(500);
    expect(gap).toBeLessThan(4_000);
  });

  it('reserves a slot for a registered call, and refuses as WORKER_FULL once slots are promised', async () => {
    const callSids = [await stack.newCall(), await stack.newCall(), await stack.newCall()];
    const calls = await Promise.all(callSids.map((callSid) => stack.client.callBySid({ callSid })));
    const [first, second, third] = calls as [Call, Call, Call];
    const reply = await reserve(first);
    expect(reply).toMatchObject({ workerId: WORKER_ID, callSid: first.callSid, mediaUrl: WORKER_MEDIA_URL });
    expect(Date.parse(reply.expiresAt)).toBeGreaterThan(Date.now() + 50_000);
    // The same call asking again keeps its one slot.
    await reserve(first);
    await reserve(second);
    await expect(reserve(third)).rejects.toBeInstanceOf(WorkerFullError);
    await until(() => latest()?.reserved === 2, 'an announcement with both reservations', 3_000);

    // A stream with a reservation takes it, signed for WORKER_MEDIA_URL; its events name this worker.
    const twilio = await stack.stream(first.callSid, { signedUrl: WORKER_MEDIA_URL });
    expect(await lastEvent(stack.nc, first.callSid, 'stream')).toMatchObject({
      action: 'started',
      workerId: WORKER_ID,
    });
    await until(() => latest()?.live === 1 && latest()?.reserved === 1, 'one live, one reserved', 3_000);

    // A stream for a call without a reservation (signed for PUBLIC_MEDIA_URL, as behind a load balancer)
    // finds the last slot promised to `second`: it is closed at its start.
    const stray = await stack.stream(third.callSid, { signedUrl: PUBLIC_MEDIA_URL });
    expect((await stray.closed).code).toBe(1013);

    twilio.sendStop(first.callSid);
    expect(await lastEvent(stack.nc, first.callSid, 'stream')).toMatchObject({
      action: 'stopped',
      workerId: WORKER_ID,
      reason: 'twilio-stopped',
    });
  });

  it('answers a malformed reservation request 400, and refuses upgrades signed for another URL', async () => {
    await expect(reserve({ callSid: 'nope' } as Call)).rejects.toBeInstanceOf(InvalidRequestError);
    await expect(
      TwilioMediaClient.connect({
        url: stack.mediaUrl,
        authToken: AUTH_TOKEN,
        signedUrl: 'wss://elsewhere.example.com/media-stream',
      }),
    ).rejects.toEqual(new UpgradeRefusedError(403));
  });

  it('says at once when it drains and when it stops, then falls silent', async () => {
    const before = announcements.length;
    const drained = stack.worker.drain();
    await until(() => announcements.length > before, 'an announcement', 500);
    expect(latest()).toMatchObject({ draining: true, reserved: 0 });
    await drained;
    // And once more as it stops, with nothing live: then no more.
    const beforeClose = announcements.length;
    await stack.worker.close();
    await until(() => announcements.length > beforeClose, 'the last announcement', 1_000);
    // The close may announce more than once (its start says draining, periodic ones may follow while streams
    // close, the stop says the last word): let those in flight arrive before judging the last one.
    let seen = -1;
    while (seen !== announcements.length) {
      seen = announcements.length;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    expect(latest()).toMatchObject({ draining: true, live: 0, reserved: 0 });
    const last = announcements.length;
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(announcements.length).toBe(last);
  });
});
