import {
  type ConsumerConfig,
  type ConsumerMessages,
  type JetStreamManager,
  type JsMsg,
  jetstream,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';

export interface KeyedPullOptions {
  nc: NatsConnection;
  jsm: JetStreamManager;
  stream: string;
  /** The durable consumer, created (or brought up to date) at start; explicit acks. */
  consumer: Partial<ConsumerConfig> & { durable_name: string };
  /** Messages pulled ahead. */
  maxMessages: number;
  /** Messages worked on at once. */
  concurrency: number;
  /** Messages with the same key are handled one after the other, in the order they came. */
  keyOf: (msg: JsMsg) => string;
  /** Acks, naks or terms the message itself; a rejection is `onError`'s to settle. */
  handle: (msg: JsMsg) => Promise<void>;
  onError: (msg: JsMsg, err: unknown) => void;
}

/**
 * A durable pull consumer whose messages are worked on concurrently, those of one key (a call, a call and a
 * receiver) in order on this replica: the fan-out's and the deliverer's shared loop.
 */
export class KeyedPull {
  private messages: ConsumerMessages | undefined;
  private loop: Promise<void> | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  /** The last task per key. */
  private readonly chains = new Map<string, Promise<void>>();

  constructor(private readonly options: KeyedPullOptions) {}

  async start(): Promise<void> {
    const { jsm, nc, stream, consumer } = this.options;
    await jsm.consumers.add(stream, consumer);
    const pull = await jetstream(nc).consumers.get(stream, consumer.durable_name);
    this.messages = await pull.consume({ max_messages: this.options.maxMessages });
    this.loop = this.run(this.messages);
  }

  /** Stops pulling and lets the messages in hand finish. */
  async stop(): Promise<void> {
    await this.messages?.close();
    await this.loop;
    await Promise.allSettled(this.inFlight);
  }

  private async run(messages: ConsumerMessages): Promise<void> {
    const { keyOf, handle, onError, concurrency } = this.options;
    for await (const msg of messages) {
      const key = keyOf(msg);
      const previous = this.chains.get(key) ?? Promise.resolve();
      const task: Promise<void> = previous
        .then(() => handle(msg))
        .catch((err: unknown) => onError(msg, err))
        .finally(() => {
          this.inFlight.delete(task);
          if (this.chains.get(key) === task) this.chains.delete(key);
        });
      this.chains.set(key, task);
      this.inFlight.add(task);
      if (this.inFlight.size >= concurrency) await Promise.race(this.inFlight);
    }
  }
}
