import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import type { RegistryClient } from '@switchboard/bus';
import { WEBHOOKS_CHANGED_SUBJECT, type WebhookWithSecret } from '@switchboard/contracts';
import type { Logger } from '@switchboard/logger';

/** Subscriptions are read again at least this often, in case a change notice was lost. */
export const SUBSCRIPTIONS_REFRESH_MS = 30_000;

/**
 * The notifier's copy of every webhook subscription (with secrets), read from the registry (`webhook.active`).
 * The registry announces each creation and deletion on `webhooks.changed` before it answers the write; a
 * notice marks the copy stale, and whoever reads it next waits for a fresh one. Core NATS may drop a notice
 * while disconnected, so the copy is also read again after a reconnect and every SUBSCRIPTIONS_REFRESH_MS.
 */
export class Subscriptions {
  private byId = new Map<string, WebhookWithSecret>();
  private loading: Promise<void> | undefined;
  private stale = true;
  private readonly subscription: Subscription;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly nc: NatsConnection,
    private readonly registry: Pick<RegistryClient, 'webhookActive'>,
    private readonly log: Logger,
    private readonly timeoutMs: number,
  ) {
    this.subscription = nc.subscribe(WEBHOOKS_CHANGED_SUBJECT, {
      callback: () => {
        this.stale = true;
      },
    });
    this.timer = setInterval(() => {
      this.stale = true;
    }, SUBSCRIPTIONS_REFRESH_MS).unref();
    void this.watch();
  }

  /** Every subscription, fresh as of the last notice. Throws when the registry cannot be asked. */
  async all(): Promise<ReadonlyMap<string, WebhookWithSecret>> {
    while (this.stale || this.loading) {
      if (!this.loading) {
        this.stale = false;
        this.loading = this.load().finally(() => {
          this.loading = undefined;
        });
      }
      try {
        await this.loading;
      } catch (err) {
        this.stale = true;
        throw err;
      }
    }
    return this.byId;
  }

  async get(id: string): Promise<WebhookWithSecret | undefined> {
    return (await this.all()).get(id);
  }

  stop(): void {
    clearInterval(this.timer);
    this.subscription.unsubscribe();
  }

  private async load(): Promise<void> {
    const { webhooks } = await this.registry.webhookActive({}, { timeoutMs: this.timeoutMs });
    this.byId = new Map(webhooks.map((w) => [w.id, w]));
    this.log.debug({ subscriptions: webhooks.length }, 'webhook subscriptions loaded');
  }

  private async watch(): Promise<void> {
    for await (const status of this.nc.status()) {
      if (status.type === 'reconnect') this.stale = true;
    }
  }
}
