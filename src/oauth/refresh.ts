/**
 * Access tokens in use: a valid token is one read (through the manager's cache); an expiring one
 * is refreshed once, however many callers and replicas ask.
 *
 * - In a process, concurrent callers share one refresh (single-flight).
 * - Across processes, a replica first claims a refresh lease with the store's compare-and-set
 *   (`ifVersion`): the winner calls the token endpoint and writes the next version; the others
 *   re-read until the new tokens appear. A replica that dies holding the lease blocks the others
 *   only until the lease expires.
 * - After `invalid_grant`, the store is read again before the grant is declared dead: another
 *   replica may have rotated the refresh token. A transient failure (network, 5xx, 429) changes
 *   nothing stored.
 * - With a `lock`, the claim runs under it, for stores whose compare-and-set is best-effort.
 */
import { randomBytes } from "node:crypto";
import * as oauth from "oauth4webapi";
import { coarseNow } from "../core/clock.js";
import type { CredentialManager } from "../core/credential-manager.js";
import { ConflictError, UnavailableError } from "../core/errors.js";
import { Secret } from "../core/secret.js";
import { OAuthError } from "./errors.js";
import type { RefreshLock } from "./locks.js";
import type { ResolvedProvider } from "./provider.js";
import {
  expiryOf,
  isInvalidGrant,
  readTokens,
  type StoredTokens,
  tokenCall,
  tokenCredentialName,
  tokenFields,
  withoutLease,
} from "./tokens.js";

const ACCESSOR = "oauth";
const READ = { accessor: ACCESSOR } as const;

/** What the refresher needs from its owner. */
export interface RefresherOptions {
  readonly manager: CredentialManager;
  readonly provider: (name: string) => Promise<ResolvedProvider>;
  /** Refresh when the access token expires within this many ms. */
  readonly skewMs: number;
  /** How long a claimed refresh lease lasts, ms. */
  readonly leaseMs: number;
  readonly lock: RefreshLock | undefined;
  /** The grant is dead: move the connection to `error`. */
  readonly onDead: (tenantId: string, connectionId: string) => Promise<void>;
  /** New tokens were written: a connection in `error` recovers. */
  readonly onRefreshed: (tenantId: string, connectionId: string) => Promise<void>;
}

/** Options of `getAccessToken`. */
export interface AccessTokenOptions {
  /**
   * A token the API refused (HTTP 401): refresh unless the stored token is already another one.
   */
  rejected?: Secret | string | undefined;
}

interface Current {
  readonly tokens: StoredTokens;
  readonly version: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class TokenRefresher {
  readonly #options: RefresherOptions;
  /** This replica's lease owner id. */
  readonly #id = randomBytes(9).toString("base64url");
  readonly #flights = new Map<string, Promise<Secret>>();

  constructor(options: RefresherOptions) {
    this.#options = options;
  }

  /**
   * A valid access token of the connection, refreshed first when it expires within the skew.
   * A valid token costs the one cache read and the (memoised) expiry: no allocation of its own
   * and no promise step beyond the read's.
   */
  getAccessToken(tenantId: string, connectionId: string, options?: AccessTokenOptions): Promise<Secret> {
    const rejected = options?.rejected;
    return this.#options.manager
      .getCredentials(tokenCredentialName(connectionId), tenantId, READ)
      .then((fields) => {
        const accessToken = fields.accessToken;
        if (accessToken && this.#valid(accessToken, expiryOf(fields), rejected)) return accessToken;
        return this.#shared(tenantId, connectionId, rejected);
      });
  }

  /** The refresh in flight for the connection in this process, or a new one. */
  #shared(tenantId: string, connectionId: string, rejected: Secret | string | undefined): Promise<Secret> {
    const key = `${tenantId}\u0000${connectionId}`;
    let flight = this.#flights.get(key);
    if (!flight) {
      flight = this.#refresh(tenantId, connectionId, rejected).finally(() => this.#flights.delete(key));
      this.#flights.set(key, flight);
    }
    return flight;
  }

  #usable(tokens: StoredTokens, rejected: Secret | string | undefined): boolean {
    return this.#valid(tokens.accessToken, tokens.expiresAt, rejected);
  }

  /** Not the refused token, and not expiring within the skew. */
  #valid(accessToken: Secret, expiresAt: number | undefined, rejected: Secret | string | undefined): boolean {
    if (rejected !== undefined && accessToken.equals(rejected)) return false;
    return expiresAt === undefined || expiresAt - this.#options.skewMs > coarseNow();
  }

  async #read(tenantId: string, connectionId: string, force: boolean): Promise<Current> {
    const [result] = await this.#options.manager.getManyCredentials(
      [{ connectionId: tokenCredentialName(connectionId), userId: tenantId }],
      { accessor: ACCESSOR, forceRefresh: force },
    );
    if (!result?.ok) throw result?.error;
    return { tokens: readTokens(result.credentials), version: result.version };
  }

  async #refresh(
    tenantId: string,
    connectionId: string,
    rejected: Secret | string | undefined,
  ): Promise<Secret> {
    // why: waiting ends when a dead holder's lease has surely lapsed (or after 10 s at least).
    const giveUpAt = Date.now() + Math.max(this.#options.leaseMs * 3, 10_000);
    for (let attempt = 0; ; attempt++) {
      const current = await this.#read(tenantId, connectionId, true);
      if (this.#usable(current.tokens, rejected)) return current.tokens.accessToken;
      if (Date.now() > giveUpAt) {
        throw new UnavailableError(
          `Timed out waiting for another replica to refresh connection "${connectionId}".`,
          {
            source: "oauth",
          },
        );
      }
      const { lock } = this.#options;
      const run = () => this.#claimAndRefresh(tenantId, connectionId, lock ? undefined : current, rejected);
      const token = lock ? await lock.withLock(`${tenantId}\u0000${connectionId}`, run) : await run();
      if (token) return token;
      await sleep(Math.min(250, 10 * 2 ** Math.min(attempt, 5)) * (0.5 + Math.random()));
    }
  }

  /**
   * Claims the lease and refreshes. Undefined when another replica holds the lease or won the
   * claim (the caller re-reads and waits).
   */
  async #claimAndRefresh(
    tenantId: string,
    connectionId: string,
    read: Current | undefined,
    rejected: Secret | string | undefined,
  ): Promise<Secret | undefined> {
    const current = read ?? (await this.#read(tenantId, connectionId, true));
    if (this.#usable(current.tokens, rejected)) return current.tokens.accessToken;
    const { lease, refreshToken } = current.tokens;
    if (lease && lease.owner !== this.#id && lease.until > Date.now()) return undefined;
    if (!refreshToken) {
      throw new OAuthError(
        "no_refresh_token",
        `The access token of connection "${connectionId}" expired and there is no refresh token; reconnect.`,
      );
    }
    const name = tokenCredentialName(connectionId);
    const manager = this.#options.manager;
    let claimed: number;
    try {
      const leased = {
        ...withoutLease(current.tokens),
        leaseOwner: this.#id,
        leaseUntil: String(Date.now() + this.#options.leaseMs),
      };
      claimed = (
        await manager.rotateCredentials(name, tenantId, leased, {
          type: "oauth",
          ifVersion: current.version,
          actor: ACCESSOR,
        })
      ).version;
    } catch (error) {
      if (ConflictError.isInstance(error)) return undefined;
      throw error;
    }
    let response: oauth.TokenEndpointResponse;
    try {
      response = await this.#tokenRequest(current.tokens, refreshToken);
    } catch (error) {
      await manager
        .rotateCredentials(name, tenantId, withoutLease(current.tokens), {
          type: "oauth",
          ifVersion: claimed,
          actor: ACCESSOR,
        })
        .catch(() => undefined);
      if (isInvalidGrant(error)) return this.#afterInvalidGrant(tenantId, connectionId, refreshToken, error);
      throw error;
    }
    const provider = await this.#options.provider(current.tokens.provider);
    const fields = tokenFields(response, {
      issuer: provider.server.issuer,
      provider: current.tokens.provider,
      scopes: [],
      previous: current.tokens,
    });
    try {
      await manager.rotateCredentials(name, tenantId, fields, {
        type: "oauth",
        ifVersion: claimed,
        actor: ACCESSOR,
      });
    } catch (error) {
      // why: the lease outlived its time and another replica took over; these tokens still work.
      if (!ConflictError.isInstance(error)) throw error;
    }
    await this.#options.onRefreshed(tenantId, connectionId).catch(() => undefined);
    return new Secret(response.access_token);
  }

  async #tokenRequest(tokens: StoredTokens, refreshToken: Secret): Promise<oauth.TokenEndpointResponse> {
    const provider = await this.#options.provider(tokens.provider);
    return tokenCall(
      "refresh",
      () =>
        oauth.refreshTokenGrantRequest(
          provider.server,
          provider.client,
          provider.clientAuth,
          refreshToken.reveal(),
          provider.requestOptions() as oauth.TokenEndpointRequestOptions,
        ),
      (response) => oauth.processRefreshTokenResponse(provider.server, provider.client, response),
    );
  }

  /** `invalid_grant`: dead only if the store still holds the refresh token that was refused. */
  async #afterInvalidGrant(
    tenantId: string,
    connectionId: string,
    used: Secret,
    error: unknown,
  ): Promise<Secret | undefined> {
    const again = await this.#read(tenantId, connectionId, true);
    if (again.tokens.refreshToken && !again.tokens.refreshToken.equals(used)) return undefined;
    await this.#options.onDead(tenantId, connectionId).catch(() => undefined);
    throw new OAuthError(
      "refresh_failed",
      `The provider refused the refresh token of connection "${connectionId}" (invalid_grant); the user must reconnect.`,
      { source: "oauth", oauthError: "invalid_grant", cause: error },
    );
  }
}
