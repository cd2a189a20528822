/**
 * Vault token lifecycle: static token, AppRole or Kubernetes login; the token's TTL looked up,
 * renewed at a fraction of it, and on expiry or a 403 a fresh login (once) before the call is
 * retried. A static token that cannot be renewed is reported before it expires. Every timer is
 * `unref`'d, so the lifecycle never keeps a process alive.
 */
import {
  login,
  mountOf,
  type TokenLifecycle,
  type TokenLifecycleOptions,
  type VaultAuth,
  type VaultClient,
  type VaultTokenEvent,
} from "./auth.js";
import { isPermissionDenied, statusOf } from "./errors.js";

/** Logins and renewals closer than this to expiry are done before the call rather than after a 403. */
const EXPIRY_SKEW_MS = 1000;
/** A failed background renewal or lookup is tried again after at most this long. */
const RETRY_LATER_MS = 30_000;

function defaultHandler(event: VaultTokenEvent): void {
  if (event.type === "expiring" || event.type === "renew-failed") {
    process.emitWarning(event.message, { code: "CREDKIT_VAULT_TOKEN" });
  }
}

/** Starts managing the client's token. Nothing happens until the first call. */
export function tokenLifecycle(
  client: VaultClient,
  auth: VaultAuth,
  options: TokenLifecycleOptions = {},
): TokenLifecycle {
  return new Lifecycle(client, auth, options);
}

/** The token's state and its timers; private fields keep tokens out of `util.inspect`. */
class Lifecycle implements TokenLifecycle {
  readonly #client: VaultClient;
  readonly #auth: VaultAuth;
  readonly #fraction: number;
  readonly #emit: (event: VaultTokenEvent) => void;
  readonly #canLogin: boolean;
  readonly #known: Set<string | undefined>;
  #expiresAt: number | undefined;
  #renewable = false;
  /** The TTL last granted by a login or lookup: a renewal that grants much less hit the max TTL. */
  #grantedMs = 0;
  #capped = false;
  #warned = false;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #ready: Promise<void> | undefined;
  #loggingIn: Promise<void> | undefined;

  constructor(client: VaultClient, auth: VaultAuth, options: TokenLifecycleOptions) {
    this.#client = client;
    this.#auth = auth;
    this.#fraction = Math.min(0.95, Math.max(0.1, options.renewFraction ?? 0.75));
    this.#emit = options.onTokenEvent ?? defaultHandler;
    this.#canLogin = auth.method !== "token";
    this.#known = new Set<string | undefined>([
      auth.method === "token" ? auth.token : undefined,
      auth.method === "approle" ? auth.roleId : undefined,
      auth.method === "approle" ? auth.secretId : undefined,
      auth.method === "kubernetes" ? auth.jwt : undefined,
    ]);
  }

  async authorized<T>(call: () => Promise<T>): Promise<T> {
    await this.#start();
    if (this.#canLogin && this.#expiresAt !== undefined && Date.now() >= this.#expiresAt - EXPIRY_SKEW_MS) {
      await this.#relogin();
    }
    const used = this.#client.token;
    try {
      return await call();
    } catch (error) {
      if (!this.#canLogin || !isPermissionDenied(error)) throw error;
      // why: another call may have logged in already; then just retry with its token.
      if (this.#client.token === used) await this.#relogin();
      return await call();
    }
  }

  secrets(): readonly (string | undefined)[] {
    return [...this.#known, this.#client.token];
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #report(type: VaultTokenEvent["type"], message: string): void {
    try {
      this.#emit({
        type,
        method: this.#auth.method,
        ...(this.#expiresAt !== undefined ? { expiresAt: new Date(this.#expiresAt) } : {}),
        message: `credkit vault: ${message}`,
      });
    } catch {
      // a throwing handler must not break the lifecycle
    }
  }

  #schedule(delayMs: number): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#closed || !Number.isFinite(delayMs) || delayMs <= 0) return;
    this.#timer = setTimeout(() => void this.#refresh(), Math.max(50, delayMs));
    this.#timer.unref();
  }

  #granted(ttlSeconds: number, isRenewable: boolean): void {
    this.#renewable = isRenewable;
    this.#grantedMs = ttlSeconds * 1000;
    this.#capped = false;
    this.#expiresAt = ttlSeconds > 0 ? Date.now() + this.#grantedMs : undefined;
    if (this.#expiresAt !== undefined) this.#schedule(this.#grantedMs * this.#fraction);
  }

  #warnExpiring(why: string): void {
    if (this.#warned || this.#expiresAt === undefined) return;
    this.#warned = true;
    this.#report(
      "expiring",
      `the Vault token (VAULT_TOKEN) ${why} and expires at ${new Date(this.#expiresAt).toISOString()}. Replace it with a renewable token or use AppRole or Kubernetes auth (VAULT_ROLE_ID, VAULT_K8S_ROLE) before then.`,
    );
  }

  async #login(): Promise<void> {
    const grant = await login(this.#client, this.#auth, this.#known);
    this.#client.token = grant.token;
    this.#warned = false;
    this.#granted(grant.ttlSeconds, grant.renewable);
    this.#report("login", `logged in with ${this.#auth.method} at auth/${mountOf(this.#auth)}/login.`);
  }

  #relogin(): Promise<void> {
    this.#loggingIn ??= this.#login().finally(() => {
      this.#loggingIn = undefined;
    });
    return this.#loggingIn;
  }

  /** Static token: learn its TTL. Failures are reported, never fatal: calls then show the truth. */
  async #lookup(): Promise<void> {
    this.#client.token = (this.#auth as { token: string }).token;
    try {
      const result = (await this.#client.tokenLookupSelf()) as {
        data?: { ttl?: number; renewable?: boolean };
      };
      this.#granted(result.data?.ttl ?? 0, result.data?.renewable === true);
      if (!this.#renewable) this.#warnExpiring("cannot be renewed");
    } catch (error) {
      this.#report(
        "renew-failed",
        `could not look up the Vault token's TTL (${statusOf(error) ?? "no answer"}).`,
      );
      if (!isPermissionDenied(error)) this.#schedule(RETRY_LATER_MS);
    }
  }

  async #refresh(): Promise<void> {
    if (this.#closed) return;
    if (this.#canLogin && (!this.#renewable || this.#capped)) {
      await this.#relogin().catch((error: unknown) => {
        this.#report(
          "renew-failed",
          `background ${this.#auth.method} login failed (${statusOf(error) ?? "no answer"}).`,
        );
        this.#schedule(Math.min(RETRY_LATER_MS, this.#remaining() / 2));
      });
      return;
    }
    if (!this.#renewable) {
      if (this.#expiresAt === undefined) await this.#lookup();
      return;
    }
    await this.#renew();
  }

  async #renew(): Promise<void> {
    try {
      const result = (await this.#client.tokenRenewSelf({})) as {
        auth?: { lease_duration?: number; renewable?: boolean } | undefined;
      };
      const ttlMs = (result.auth?.lease_duration ?? 0) * 1000;
      this.#renewable = result.auth?.renewable !== false && ttlMs > 0;
      this.#expiresAt = ttlMs > 0 ? Date.now() + ttlMs : this.#expiresAt;
      this.#report("renewed", "renewed the Vault token.");
      // why: a renewal granting well under the usual TTL has reached the token's max TTL.
      if (!this.#renewable || ttlMs < this.#grantedMs / 2) {
        this.#capped = true;
        if (!this.#canLogin) this.#warnExpiring("has reached its maximum TTL");
      }
      this.#schedule(ttlMs * this.#fraction);
    } catch (error) {
      if (this.#canLogin) {
        this.#capped = true;
        await this.#refresh();
        return;
      }
      this.#report("renew-failed", `could not renew the Vault token (${statusOf(error) ?? "no answer"}).`);
      if (!isPermissionDenied(error)) this.#schedule(Math.min(RETRY_LATER_MS, this.#remaining() / 2));
    }
  }

  #remaining(): number {
    return this.#expiresAt === undefined ? RETRY_LATER_MS : Math.max(0, this.#expiresAt - Date.now());
  }

  #start(): Promise<void> {
    this.#ready ??= (this.#canLogin ? this.#relogin() : this.#lookup()).catch((error: unknown) => {
      this.#ready = undefined;
      throw error;
    });
    return this.#ready;
  }
}
