import type { Msg, Subscription } from '@nats-io/nats-core';
import { respondWithError } from '@switchboard/bus';
import {
  WORKER_SUBJECTS,
  type WorkerAnnouncement,
  WorkerFullError,
  type WorkerReserveReply,
  WorkerReserveRequest,
  workerReserveSubject,
} from '@switchboard/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type GatewayStack,
  MEDIA_STREAM_URL,
  newCallSid,
  postTwilio,
  startStack,
  voiceParams,
} from './support.js';

// The gateway's side of placement against workers played by the test on a real nats-server (the real
// registry behind): whom it asks, in what order, how long, and what the TwiML says each time.

const PLACEMENT_TIMEOUT_MS = 300;

type Behaviour = 'reserve' | 'full' | 'silent';

describe('placing calls on workers', () => {
  let stack: GatewayStack;
  const workers = new Map<
    string,
    {
      subscription: Subscription;
      asked: string[];
      announce: (leaseMs?: number) => void;
      timer: NodeJS.Timeout;
    }
  >();

  beforeAll(async () => {
    stack = await startStack({ PLACEMENT_TIMEOUT_MS: String(PLACEMENT_TIMEOUT_MS) });
  });
  afterAll(async () => {
    for (const worker of workers.values()) clearInterval(worker.timer);
    await stack?.close();
  });

  const mediaUrlOf = (workerId: string) => `wss://${workerId}.media.example.com/media-stream`;

  /** A worker as the gateway sees one: it announces itself, and answers reservations as `behaviour` says. */
  function worker(workerId: string, behaviour: Behaviour, load: Partial<WorkerAnnouncement> = {}): string[] {
    const asked: string[] = [];
    const announce = (leaseMs = 4_000) => {
      const announcement: WorkerAnnouncement = {
        workerId,
        mediaUrl: mediaUrlOf(workerId),
        live: 0,
        reserved: 0,
        capacity: 4,
        draining: false,
        at: new Date().toISOString(),
        ...load,
        leaseMs,
      };
      stack.nc.publish(WORKER_SUBJECTS.announce, JSON.stringify(announcement));
    };
    const subscription = stack.nc.subscribe(workerReserveSubject(workerId), {
      callback: (_err: Error | null, msg: Msg) => {
        const { call } = WorkerReserveRequest.parse(msg.json());
        asked.push(call.callSid);
        if (behaviour === 'silent') return;
        if (behaviour === 'full') {
          respondWithError(msg, new WorkerFullError(`${workerId} is full`));
          return;
        }
        const reply: WorkerReserveReply = {
          workerId,
          callSid: call.callSid,
          mediaUrl: mediaUrlOf(workerId),
          expiresAt: new Date(Date.now() + 10_000).toISOString(),
        };
        msg.respond(JSON.stringify(reply));
      },
    });
    announce();
    workers.set(workerId, { subscription, asked, announce, timer: setInterval(announce, 1_000) });
    return asked;
  }

  function retire(workerId: string): void {
    const known = workers.get(workerId);
    if (!known) return;
    clearInterval(known.timer);
    // A last word with a lease of 1 ms: the gateway forgets it at once, the next test need not wait 4 s.
    known.announce(1);
    known.subscription.unsubscribe();
    workers.delete(workerId);
  }

  async function voice(callSid = newCallSid()): Promise<{ callSid: string; url: string | undefined }> {
    const res = await postTwilio(stack.gateway, '/twilio/voice', voiceParams(callSid));
    expect(res.status).toBe(200);
    return { callSid, url: /<Stream url="([^"]+)"/.exec(await res.text())?.[1] };
  }

  /** Until the gateway has heard `count` workers (its /metrics says so). */
  async function heard(count: number): Promise<void> {
    await expect
      .poll(
        async () => {
          const text = await (await fetch(`${stack.gateway.url}/metrics`)).text();
          return /^gateway_placement_workers (\d+)$/m.exec(text)?.[1];
        },
        { timeout: 5_000 },
      )
      .toBe(String(count));
  }

  it('with no worker announced, the TwiML keeps MEDIA_STREAM_URL', async () => {
    expect((await voice()).url).toBe(MEDIA_STREAM_URL);
  });

  it('asks the least loaded worker first and moves past a refusal to the next', async () => {
    const busyAsked = worker('busy', 'full', { live: 1 });
    const idleAsked = worker('idle', 'full');
    const spareAsked = worker('spare', 'reserve', { live: 2 });
    worker('draining', 'reserve', { draining: true });
    worker('no-url', 'reserve', { mediaUrl: null });
    await heard(5);
    const { callSid, url } = await voice();
    expect(url).toBe(mediaUrlOf('spare'));
    expect(idleAsked).toEqual([callSid]);
    expect(busyAsked).toEqual([callSid]);
    expect(spareAsked).toEqual([callSid]);
    // The two that refused are not asked again before they announce themselves again.
    const next = await voice();
    expect(next.url).toBe(mediaUrlOf('spare'));
    expect(idleAsked).toEqual([callSid]);
    for (const id of ['busy', 'idle', 'spare', 'draining', 'no-url']) retire(id);
  });

  it('a worker that does not answer in PLACEMENT_TIMEOUT_MS: MEDIA_STREAM_URL, in bounded time', async () => {
    const asked = worker('mute', 'silent');
    await heard(1);
    const { callSid, url } = await voice();
    expect(url).toBe(MEDIA_STREAM_URL);
    expect(asked).toEqual([callSid]);
    retire('mute');
  });

  it('places the caller’s return after a failed transfer too', async () => {
    worker('back', 'reserve');
    await heard(1);
    const { callSid } = await voice();
    const res = await postTwilio(stack.gateway, '/twilio/dial-result?target=front_desk', {
      CallSid: callSid,
      DialCallStatus: 'busy',
      CallStatus: 'in-progress',
    });
    const twiml = await res.text();
    expect(twiml).toContain(`<Stream url="${mediaUrlOf('back')}">`);
    expect(twiml).toContain('<Parameter name="transferFailed" value="busy"/>');
    retire('back');
  });
});

describe('placing calls with neither a worker nor MEDIA_STREAM_URL', () => {
  let stack: GatewayStack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.close());

  it('apologises (200 TwiML, never a 5xx)', async () => {
    const gateway = await stack.startGateway({ MEDIA_STREAM_URL: '' });
    const res = await postTwilio(gateway, '/twilio/voice', voiceParams(newCallSid()));
    expect(res.status).toBe(200);
    const twiml = await res.text();
    expect(twiml).toContain('<Say>Sorry, we cannot take your call right now');
    expect(twiml).not.toContain('<Stream');
  });
});
