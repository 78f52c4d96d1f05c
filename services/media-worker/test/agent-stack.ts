import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { connectBus, ensureCallEventsStream, ServiceHost } from '@switchboard/bus';
import {
  type Agent,
  type Call,
  CallEvent,
  type CallEventKind,
  CallNotFoundError,
  ENDPOINTS,
  REGISTRY_SERVICE_NAME,
  type TranscriptSegment,
  TWILIO_ENDPOINTS,
  TWILIO_REST_SERVICE_NAME,
  type TwilioCallReply,
  type TwilioCallTransferRequest,
} from '@switchboard/contracts';
import {
  type FakeRealtimeOptions,
  FakeRealtimeServer,
  type FakeRealtimeSession,
  type FakeResponseScript,
  newCallSid,
  TestNatsServer,
  ToolServer,
  TwilioMediaClient,
  type TwilioMediaClientOptions,
} from '@switchboard/testkit';
import { loadConfig, startWorker, type Worker } from '../src/index.js';
import { AUTH_TOKEN, frames, log, PUBLIC_MEDIA_URL, until, workerEnv } from './support.js';

// The stack for calls whose agent has tools, transfer targets, keypad and limits. The registry stores those
// fields once the agent API lands (issue 10's other half); until then `call.bySid` and `call.transcript` are
// answered by a test responder of the call-registry service, over real NATS, with the agent each test
// gives. `twilio.call.transfer` (the gateway's in production) is a test responder too. Events are read as
// they are published to JetStream.

/** What each session's model says first (five 20 ms frames, a quarter of a second): the greeting. */
export const GREETING = frames(5, 100);

/** The stack's model: each session's first response is the greeting; later ones a short answer. */
export function greetingThenAnswer(session: FakeRealtimeSession): FakeResponseScript {
  return session.eventsOf('response.create').length <= 1
    ? { audio: GREETING, transcript: 'Hello!' }
    : { audio: frames(3, 200), transcript: 'Okay.' };
}

export const SIGNING_SECRET = `whsec_${Buffer.from('switchboard test tool signing key!').toString('base64')}`;

const EMPTY_CALL = {
  direction: 'inbound',
  from: '+15551230000',
  to: '+15559870000',
  status: 'in-progress',
  answeredAt: null,
  endedAt: null,
  durationSeconds: null,
  endedReason: null,
  recording: null,
  answeredBy: null,
} as const;

/** Every call event published, as JetStream takes it (a retry with the same `Nats-Msg-Id` counted once). */
export class EventLog {
  readonly events: Array<{ event: CallEvent; msgId: string }> = [];
  private readonly ids = new Set<string>();

  constructor(private readonly subscription: Subscription) {
    void (async () => {
      for await (const msg of subscription) {
        const msgId = msg.headers?.get('Nats-Msg-Id') ?? '';
        if (this.ids.has(msgId)) continue;
        this.ids.add(msgId);
        this.events.push({ event: CallEvent.parse(msg.json()), msgId });
      }
    })();
  }

  of<K extends CallEventKind>(callSid: string, kind: K): Array<Extract<CallEvent, { kind: K }>> {
    return this.events
      .map((e) => e.event)
      .filter((e): e is Extract<CallEvent, { kind: K }> => e.callSid === callSid && e.kind === kind);
  }

  close(): void {
    this.subscription.unsubscribe();
  }
}

export interface AgentStack {
  nats: TestNatsServer;
  nc: NatsConnection;
  fake: FakeRealtimeServer;
  tools: ToolServer;
  workers: Worker[];
  events: EventLog;
  /** Transfers asked for, in order. */
  transfers: TwilioCallTransferRequest[];
  /** How the next transfers are answered (default: Twilio took it). */
  answerTransfers(answer: (request: TwilioCallTransferRequest) => Promise<TwilioCallReply>): void;
  /** A call of `agent`, known to the test registry (with `transcript` for `call.transcript`). */
  newCall(agent: Agent, transcript?: TranscriptSegment[]): string;
  /** A Twilio media client for the call on worker `worker` (0 by default), connected and started. */
  stream(
    callSid: string,
    options?: Partial<TwilioMediaClientOptions> & { worker?: number; parameters?: Record<string, string> },
  ): Promise<TwilioMediaClient>;
  /** A call of `agent` streamed, its session configured, its greeting (the stack's) played. */
  answered(
    agent: Agent,
    transcript?: TranscriptSegment[],
  ): Promise<{ callSid: string; twilio: TwilioMediaClient; session: FakeRealtimeSession }>;
  /** `stream()`, and the Realtime session the worker dials for it, configured. */
  call(
    callSid: string,
    options?: Partial<TwilioMediaClientOptions> & { worker?: number; parameters?: Record<string, string> },
  ): Promise<{ twilio: TwilioMediaClient; session: FakeRealtimeSession }>;
  close(): Promise<void>;
}

/** nats-server with JetStream, the test responders, the fake Realtime API, a tool server and `workers` workers. */
export async function startAgentStack(
  options: { env?: Record<string, string>; fake?: FakeRealtimeOptions; workers?: number } = {},
): Promise<AgentStack> {
  const fakeOptions = options.fake ?? { response: greetingThenAnswer };
  const nats = await TestNatsServer.start();
  const nc = await connectBus({ url: nats.url, name: 'agent-stack-test' });
  await ensureCallEventsStream(nc);
  const events = new EventLog(nc.subscribe('events.call.>'));
  const calls = new Map<string, { call: Call; transcript: TranscriptSegment[] }>();

  const registry = await ServiceHost.start(
    nc,
    { name: REGISTRY_SERVICE_NAME, version: '0.0.0', description: 'test registry: agents given by tests' },
    { log },
  );
  const known = (callSid: string) => {
    const entry = calls.get(callSid);
    if (entry === undefined) throw CallNotFoundError.forSid(callSid);
    return entry;
  };
  registry.addEndpoint('bySid', ENDPOINTS.callBySid, async ({ callSid }) => known(callSid).call);
  registry.addEndpoint('transcript', ENDPOINTS.callTranscript, async ({ callSid }) => ({
    callSid,
    segments: known(callSid).transcript,
  }));

  const transfers: TwilioCallTransferRequest[] = [];
  let answer = async (request: TwilioCallTransferRequest): Promise<TwilioCallReply> => ({
    callSid: request.callSid,
    status: 'in-progress',
  });
  const twilioRest = await ServiceHost.start(
    nc,
    { name: TWILIO_REST_SERVICE_NAME, version: '0.0.0', description: 'test twilio-rest' },
    { log },
  );
  twilioRest.addEndpoint('callTransfer', TWILIO_ENDPOINTS.callTransfer, async (request) => {
    transfers.push(request);
    return answer(request);
  });

  const fake = await FakeRealtimeServer.start(fakeOptions);
  const tools = await ToolServer.start();
  const workers: Worker[] = [];
  for (let i = 0; i < (options.workers ?? 1); i++) {
    workers.push(
      await startWorker({
        config: loadConfig({
          ...workerEnv(nats.url, fake.url),
          TOOL_SIGNING_SECRET: SIGNING_SECRET,
          TOOL_ALLOW_PRIVATE_URLS: 'true',
          ...options.env,
        }),
        log,
      }),
    );
  }
  const clients: TwilioMediaClient[] = [];
  const stream: AgentStack['stream'] = async (callSid, { worker = 0, parameters, ...rest } = {}) => {
    const twilio = await TwilioMediaClient.connect({
      url: `ws://127.0.0.1:${workers[worker]?.port}/media-stream`,
      authToken: AUTH_TOKEN,
      signedUrl: PUBLIC_MEDIA_URL,
      ...rest,
    });
    clients.push(twilio);
    twilio.sendConnected();
    twilio.sendStart(callSid, { callSid, ...parameters });
    return twilio;
  };

  const newCall: AgentStack['newCall'] = (agent, transcript = []) => {
    const callSid = newCallSid();
    const at = new Date().toISOString();
    calls.set(callSid, { call: { ...EMPTY_CALL, callSid, agent, createdAt: at, updatedAt: at }, transcript });
    return callSid;
  };
  const call: AgentStack['call'] = async (callSid, callOptions) => {
    const before = fake.sessions.length;
    const twilio = await stream(callSid, callOptions);
    const session = await fake.waitForSession(before + 1);
    await until(() => session.config !== undefined, 'the session to be configured');
    return { twilio, session };
  };

  return {
    nats,
    nc,
    fake,
    tools,
    workers,
    events,
    transfers,
    answerTransfers(next) {
      answer = next;
    },
    newCall,
    stream,
    call,
    async answered(agent, transcript) {
      const callSid = newCall(agent, transcript);
      const { twilio, session } = await call(callSid);
      await twilio.waitFor(() => twilio.echoed.length === GREETING.length, 5_000, 'the greeting to play');
      return { callSid, twilio, session };
    },
    async close() {
      for (const twilio of clients) if (twilio.isOpen) twilio.terminate();
      for (const worker of workers) await worker.close();
      events.close();
      await registry.drain();
      await twilioRest.drain();
      await tools.close();
      await fake.close();
      await nc.close();
      await nats.close();
    },
  };
}
