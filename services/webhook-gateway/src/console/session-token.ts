import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The console's session: a token the gateway signs with a key derived from the API key that signed in, kept
 * in an HttpOnly cookie. Nothing is stored server-side, so any gateway replica checks it and no new secret
 * needs configuring; removing a key from API_KEYS ends its sessions everywhere at once. The raw API key is
 * never in the token: the token is `v1.<expires, s>.<nonce>.<HMAC-SHA256(k, "v1.<expires>.<nonce>")>` with
 * `k = HMAC-SHA256(apiKey, SESSION_KEY_LABEL)`.
 */
const VERSION = 'v1';
const SESSION_KEY_LABEL = 'switchboard console session v1';
const TOKEN = /^v1\.(\d{1,12})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

export class SessionTokens {
  private readonly signingKeys: Buffer[];

  constructor(
    apiKeys: readonly string[],
    private readonly ttlMs: number,
  ) {
    this.signingKeys = apiKeys.map((key) => createHmac('sha256', key).update(SESSION_KEY_LABEL).digest());
  }

  /** A token for a session signed in with `apiKey` (already checked to be one of the keys), from `nowMs`. */
  issue(apiKey: string, nowMs: number): { token: string; expiresAtMs: number } {
    const key = createHmac('sha256', apiKey).update(SESSION_KEY_LABEL).digest();
    const expiresAtSeconds = Math.floor((nowMs + this.ttlMs) / 1000);
    const payload = `${VERSION}.${expiresAtSeconds}.${randomBytes(16).toString('base64url')}`;
    return { token: `${payload}.${mac(key, payload)}`, expiresAtMs: expiresAtSeconds * 1000 };
  }

  /**
   * Whether `token` was issued for one of the configured keys and has not expired. Every key is tried with
   * a constant-time comparison, so the time taken says nothing about which key, if any, matched.
   */
  verify(token: string, nowMs: number): boolean {
    const parts = TOKEN.exec(token);
    if (!parts) return false;
    const [, expires, nonce, presented] = parts as unknown as [string, string, string, string];
    if (Number(expires) * 1000 <= nowMs) return false;
    const payload = `${VERSION}.${expires}.${nonce}`;
    const presentedMac = Buffer.from(presented, 'base64url');
    let matched = false;
    for (const key of this.signingKeys) {
      matched = timingSafeEqual(Buffer.from(mac(key, payload), 'base64url'), presentedMac) || matched;
    }
    return matched;
  }
}

function mac(key: Buffer, payload: string): string {
  return createHmac('sha256', key).update(payload).digest('base64url');
}
