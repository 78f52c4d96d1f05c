import { parseStreamTwiml } from '@switchboard/scripts';
import {
  DEFAULT_FAKE_RESPONSE,
  newCallSid,
  SILENCE_20MS,
  signedTwilioRequest,
  TwilioMediaClient,
} from '@switchboard/testkit';
import type { GatewayBalancer } from './cluster-probes.js';
import { CLUSTER_AUTH_TOKEN, type ClusterStack, type Replica } from './cluster-stack.js';

// One call of a cluster drill, as Twilio and a caller make it: `/twilio/voice` through the gateways, the media
// stream to a worker, caller audio every 20 ms, and turns: the caller speaks (a frame the Realtime fake hears
// as speech), the agent answers with a second of audio. Each turn is a caller and an agent transcript segment.

/** A frame the fake hears as the caller speaking (`speechTrigger`): anything but silence. */
export const SPEECH_FRAME = Buffer.alloc(160, 0x10).toString('base64');
export const CALLER_LINE = 'I would like to know where my order is.';
/** Audio of one agent answer (the fake's default response), in ms. */
const ANSWER_MS = DEFAULT_FAKE_RESPONSE.audio.length * 20;
/** After an answer arrived, before the caller speaks again: the answer has played by then. */
const TURN_GAP_MS = 1_200;
/** A turn whose answer has not come back by then counts as failed (audio stopped). */
const TURN_TIMEOUT_MS = 15_000;

export interface Turn {
  spokeAt: number;
  /** When the whole answer had arrived; undefined for a failed turn. */
  answeredAt?: number;
}

export class DrillCall {
  readonly turns: Turn[] = [];
  private receivedMs = 0;
  private running = true;
  private ticker: NodeJS.Timeout | undefined;
  private loop: Promise<void> | undefined;

  private constructor(
    readonly callSid: string,
    readonly worker: Replica,
    readonly client: TwilioMediaClient,
  ) {}

  /** Rings the call in through the gateways, opens its stream on `worker`, waits for the greeting. */
  static async place(stack: ClusterStack, gateways: GatewayBalancer, worker: Replica): Promise<DrillCall> {
    const callSid = newCallSid();
    const params = {
      CallSid: callSid,
      AccountSid: `AC${'c'.repeat(32)}`,
      From: '+15551230001',
      To: '+15559870001',
      CallStatus: 'ringing',
      Direction: 'inbound',
      ApiVersion: '2010-04-01',
    };
    const url = `${stack.publicBaseUrl}/twilio/voice`;
    const { res } = await gateways.send('/twilio/voice', () =>
      signedTwilioRequest(CLUSTER_AUTH_TOKEN, url, params),
    );
    const twiml = await res.text();
    const stream = parseStreamTwiml(twiml);
    if (!res.ok || !stream) throw new Error(`/twilio/voice answered ${res.status}: ${twiml}`);
    let call: DrillCall | undefined;
    const client = await TwilioMediaClient.connect({
      url: `ws://127.0.0.1:${worker.port}${new URL(stack.mediaUrl).pathname}`,
      signedUrl: stream.url,
      authToken: CLUSTER_AUTH_TOKEN,
      onMedia: (payload) => call?.heard(payload),
    });
    call = new DrillCall(callSid, worker, client);
    client.sendConnected();
    client.sendStart(callSid, stream.parameters);
    call.ticker = setInterval(() => {
      if (client.isOpen) client.sendMedia(SILENCE_20MS);
    }, 20);
    await call.waitForAnswer(0, 'the greeting');
    return call;
  }

  /** Starts taking turns until `hangUp()`. */
  talk(): void {
    this.loop ??= this.takeTurns();
  }

  get open(): boolean {
    return this.client.isOpen;
  }

  /** Turns answered that the caller began between `from` and `to`. */
  answeredTurns(from = 0, to = Number.POSITIVE_INFINITY): number {
    return this.turns.filter((t) => t.answeredAt !== undefined && t.spokeAt >= from && t.spokeAt < to).length;
  }

  failedTurns(): number {
    return this.turns.filter((t) => t.answeredAt === undefined).length;
  }

  /** Finishes the turn under way, then ends the stream as Twilio does when the caller hangs up. */
  async hangUp(): Promise<void> {
    this.running = false;
    await this.loop;
    clearInterval(this.ticker);
    if (this.client.isOpen) {
      this.client.sendStop(this.callSid);
      this.client.close();
    }
  }

  /** Stops without a word (its worker is gone). */
  abandon(): void {
    this.running = false;
    clearInterval(this.ticker);
    this.client.terminate();
  }

  private heard(payload: string): void {
    this.receivedMs += (Buffer.byteLength(payload, 'base64') / 160) * 20;
  }

  private async takeTurns(): Promise<void> {
    while (this.running && this.client.isOpen) {
      await new Promise((r) => setTimeout(r, TURN_GAP_MS));
      if (!this.running || !this.client.isOpen) return;
      const before = this.receivedMs;
      const turn: Turn = { spokeAt: Date.now() };
      this.turns.push(turn);
      this.client.sendMedia(SPEECH_FRAME);
      try {
        await this.waitForAnswer(before, 'an answer');
        if (this.receivedMs >= before + ANSWER_MS) turn.answeredAt = Date.now();
      } catch {
        // Counted as failed; the next turn tries again if the stream is still open.
      }
    }
  }

  private waitForAnswer(before: number, what: string): Promise<void> {
    return this.client.waitFor(
      () => this.receivedMs >= before + ANSWER_MS || !this.client.isOpen,
      TURN_TIMEOUT_MS,
      `${what} on ${this.callSid}`,
    );
  }
}
