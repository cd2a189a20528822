/**
 * `createOAuth(...)`: OAuth 2 connections for tenants.
 *
 * - `start` returns the provider's authorization URL; the state, PKCE verifier, nonce and tenant
 *   stay server-side (encrypted, single use, short expiry).
 * - `complete` takes the callback, checks state and `iss` (RFC 9207), exchanges the code, stores
 *   the tokens as an `oauth` credential and creates the connection as `active` (or reconnects an
 *   existing one: same id, new tokens, history kept). A bad callback is a typed error and stores
 *   nothing.
 * - `getAccessToken` returns a valid token, refreshing once across callers and replicas.
 * - `disconnect` revokes the tokens where the provider can (RFC 7009), then deletes.
 */
import { randomBytes } from "node:crypto";
import * as oauth from "oauth4webapi";
import type { JsonValue } from "../connectors/connection-store.js";
import {
  type ConnectionRecord,
  type ConnectionStore,
  memoryConnectionStore,
} from "../connectors/connection-store.js";
import type { StatusEvent } from "../connectors/lifecycle.js";
import type { ConnectorRegistry } from "../connectors/registry.js";
import { ConnectorService } from "../connectors/service.js";
import type { CredentialManager } from "../core/credential-manager.js";
import { NotFoundError, ValidationError } from "../core/errors.js";
import type { Secret } from "../core/secret.js";
import { OAuthError, oauthErrorCode } from "./errors.js";
import type { RefreshLock } from "./locks.js";
import { PendingAuthorizations } from "./pending.js";
import {
  type OAuthProviderConfig,
  type ProviderHttpOptions,
  providerResolver,
  type ResolvedProvider,
} from "./provider.js";
import { type AccessTokenOptions, TokenRefresher } from "./refresh.js";
import { readTokens, tokenCall, tokenCredentialName, tokenFields } from "./tokens.js";

/** Options of `createOAuth`. */
export interface OAuthOptions extends ProviderHttpOptions {
  /** Where tokens and pending authorizations are stored (encrypted). */
  credentials: CredentialManager;
  /** The providers, by the name `start` uses: a catalog entry (`oauthProviders.github(...)`) or a config. */
  providers: Readonly<Record<string, OAuthProviderConfig>>;
  /**
   * Where connection records live; share it with your `ConnectorService`s.
   * @default memoryConnectionStore()
   */
  connections?: ConnectionStore | undefined;
  /** Registry of the connectors connections are created for. @default the default registry */
  registry?: ConnectorRegistry<object> | undefined;
  /**
   * Refresh an access token when it expires within this many ms.
   * @default 60000
   */
  refreshSkewMs?: number | undefined;
  /**
   * How long a replica may hold the refresh lease before others take over (a replica that dies
   * mid-refresh blocks the others this long at most), ms. Longer than a token request takes.
   * @default 30000
   */
  refreshLeaseMs?: number | undefined;
  /**
   * How long a started authorization may be completed, ms.
   * @default 600000 (10 minutes)
   */
  stateTtlMs?: number | undefined;
  /**
   * A cross-process lock around refreshes, for stores whose compare-and-set is best-effort
   * (Azure Key Vault, Cloudflare KV): `postgresAdvisoryLock(pool)` or `redisLock(...)`.
   */
  lock?: RefreshLock | undefined;
  /** Called on every connection status transition (e.g. `refresh_failed`, `recovered`). */
  onStatusChange?: ((event: StatusEvent) => void) | undefined;
}

/** Input of `start`. */
export interface StartAuthorizationInput {
  tenantId: string;
  /** A provider name from `providers`. */
  provider: string;
  /** Where the provider sends the user back; must be registered at the provider. */
  redirectUri: string;
  /** @default the provider's `scopes` */
  scopes?: readonly string[] | undefined;
  /**
   * An existing connection to reconnect (same id, new tokens, history kept), or the id of the
   * connection to create. @default a random id
   */
  connectionId?: string | undefined;
  /** Connector of a new connection. @default "http" */
  connector?: string | undefined;
  /** Name of a new connection. @default the provider name */
  instanceName?: string | undefined;
  /** Configuration of a new connection (e.g. `{ baseURL }`); never secrets. */
  configuration?: Readonly<Record<string, JsonValue>> | undefined;
}

/** What `start` returns. */
export interface StartAuthorizationResult {
  /** Send the user here. */
  readonly url: URL;
  readonly connectionId: string;
  /** After this, `complete` fails with `expired_state`. */
  readonly expiresAt: Date;
}

/** What `complete` returns. */
export interface CompleteAuthorizationResult {
  readonly tenantId: string;
  readonly connection: ConnectionRecord;
  /** True when an existing connection got new tokens. */
  readonly reconnected: boolean;
}

const ACCESSOR = "oauth";
const ID_PATTERN = /^[A-Za-z0-9_.:-]{1,100}$/;

/** OAuth connections over a credential manager. */
export class OAuthConnections {
  readonly #options: OAuthOptions;
  readonly #store: ConnectionStore;
  readonly #providers = new Map<string, () => Promise<ResolvedProvider>>();
  readonly #pending: PendingAuthorizations;
  readonly #refresher: TokenRefresher;
  readonly #stateTtlMs: number;
  #lastSweep = Number.NEGATIVE_INFINITY;

  constructor(options: OAuthOptions) {
    this.#options = options;
    this.#store = options.connections ?? memoryConnectionStore();
    for (const [name, config] of Object.entries(options.providers)) {
      this.#providers.set(name, providerResolver(name, config, options));
    }
    this.#stateTtlMs = options.stateTtlMs ?? 600_000;
    this.#pending = new PendingAuthorizations(options.credentials, this.#stateTtlMs);
    this.#refresher = new TokenRefresher({
      manager: options.credentials,
      provider: (name) => this.#provider(name),
      skewMs: options.refreshSkewMs ?? 60_000,
      leaseMs: options.refreshLeaseMs ?? 30_000,
      lock: options.lock,
      onDead: async (tenantId, id) => {
        const service = this.service(tenantId);
        const record = await service.get(id);
        if (record.status === "active" || record.status === "pending" || record.status === "validating") {
          await service.reportStatus(
            id,
            "error",
            "refresh_failed",
            "The provider refused the refresh token; reconnect.",
          );
        }
      },
      onRefreshed: (tenantId, id) => this.#recover(tenantId, id),
    });
  }

  /** The connector service of a tenant, over the same connection store. */
  service(tenantId: string): ConnectorService {
    return new ConnectorService({
      credentials: this.#options.credentials,
      tenantId,
      store: this.#store,
      ...(this.#options.registry ? { registry: this.#options.registry } : {}),
      ...(this.#options.onStatusChange ? { onStatusChange: this.#options.onStatusChange } : {}),
      actor: ACCESSOR,
    });
  }

  #provider(name: string): Promise<ResolvedProvider> {
    const resolve = this.#providers.get(name);
    if (!resolve) {
      return Promise.reject(
        new ValidationError(
          `Unknown OAuth provider "${String(name).slice(0, 60)}". Configured: ${[...this.#providers.keys()].join(", ")}.`,
          "provider",
        ),
      );
    }
    return resolve();
  }

  /** Starts an authorization: returns the URL to send the user to. */
  async start(input: StartAuthorizationInput): Promise<StartAuthorizationResult> {
    if (typeof input.tenantId !== "string" || !input.tenantId) {
      throw new ValidationError("start needs a tenantId.", "tenantId");
    }
    const provider = await this.#provider(input.provider);
    let redirect: URL;
    try {
      redirect = new URL(input.redirectUri);
    } catch {
      throw new ValidationError("redirectUri must be an absolute URL.", "redirectUri");
    }
    const connectionId = input.connectionId ?? `conn_${randomBytes(8).toString("hex")}`;
    if (!ID_PATTERN.test(connectionId)) {
      throw new ValidationError(
        "A connection id must be 1-100 letters, digits, '_', '.', ':' or '-'.",
        "connectionId",
      );
    }
    const existing = await this.#store.get(input.tenantId, connectionId);
    const scopes = input.scopes ?? provider.config.scopes ?? [];
    const state = oauth.generateRandomState();
    const codeVerifier = oauth.generateRandomCodeVerifier();
    const nonce = oauth.generateRandomNonce();
    const url = new URL(provider.server.authorization_endpoint as string);
    for (const [name, value] of Object.entries(provider.config.authorizationParameters ?? {})) {
      url.searchParams.set(name, value);
    }
    url.searchParams.set("client_id", provider.client.client_id);
    url.searchParams.set("response_type", "code");
    url.searchParams.set("redirect_uri", redirect.href);
    if (scopes.length > 0) url.searchParams.set("scope", scopes.join(" "));
    url.searchParams.set("state", state);
    if (scopes.includes("openid")) url.searchParams.set("nonce", nonce);
    if (provider.config.pkce !== false) {
      url.searchParams.set("code_challenge", await oauth.calculatePKCECodeChallenge(codeVerifier));
      url.searchParams.set("code_challenge_method", "S256");
    }
    if (Date.now() - this.#lastSweep >= this.#stateTtlMs) {
      // why: a failed sweep must not stop a user from connecting; the next start tries again.
      await this.sweepPendingAuthorizations().catch(() => undefined);
    }
    const expiresAt = await this.#pending.save(state, {
      tenantId: input.tenantId,
      provider: input.provider,
      redirectUri: redirect.href,
      scopes,
      codeVerifier,
      nonce: scopes.includes("openid") ? nonce : "",
      connectionId,
      reconnect: existing !== undefined,
      connector: input.connector ?? existing?.connector ?? "http",
      instanceName: input.instanceName ?? existing?.instanceName ?? input.provider,
      configuration: JSON.stringify(input.configuration ?? {}),
    });
    return { url, connectionId, expiresAt };
  }

  /**
   * Purges pending authorizations past their expiry (abandoned or completed); returns how many.
   * `start` also runs this first, at most once per `stateTtlMs`.
   */
  sweepPendingAuthorizations(): Promise<number> {
    this.#lastSweep = Date.now();
    return this.#pending.sweep();
  }

  /**
   * Completes an authorization from the callback URL (or its query parameters). Every failure is
   * an `OAuthError` (or a typed store error) and stores nothing.
   */
  async complete(callback: URL | string | URLSearchParams): Promise<CompleteAuthorizationResult> {
    const params =
      callback instanceof URLSearchParams
        ? callback
        : new URL(typeof callback === "string" ? callback : callback.href, "http://callback.invalid")
            .searchParams;
    const state = params.get("state");
    if (!state) throw new OAuthError("unknown_state", "The callback has no state parameter.");
    const pending = await this.#pending.take(state);
    const provider = await this.#provider(pending.provider);
    const validated = checkCallback(provider, params, state);
    const response = await tokenCall(
      "code exchange",
      () =>
        oauth.authorizationCodeGrantRequest(
          provider.server,
          provider.client,
          provider.clientAuth,
          validated,
          pending.redirectUri,
          provider.config.pkce === false ? oauth.nopkce : pending.codeVerifier,
          provider.requestOptions() as oauth.TokenEndpointRequestOptions,
        ),
      (answer) =>
        oauth.processAuthorizationCodeResponse(provider.server, provider.client, answer, {
          expectedNonce: pending.nonce ? pending.nonce : oauth.expectNoNonce,
        }),
    );
    const fields = tokenFields(response, {
      issuer: provider.server.issuer,
      provider: pending.provider,
      scopes: pending.scopes,
    });
    const service = this.service(pending.tenantId);
    const name = tokenCredentialName(pending.connectionId);
    const existing = pending.reconnect ? await service.get(pending.connectionId) : undefined;
    await this.#options.credentials.storeCredentials(name, pending.tenantId, fields, {
      type: "oauth",
      actor: ACCESSOR,
    });
    if (!existing) {
      const configuration = JSON.parse(pending.configuration) as Record<string, JsonValue>;
      await service.create({
        id: pending.connectionId,
        connector: pending.connector,
        instanceName: pending.instanceName,
        configuration: {
          ...configuration,
          oauth: { provider: pending.provider, issuer: provider.server.issuer, scopes: [...pending.scopes] },
        },
        secretsReferences: { token: { secret_name: name, field: "accessToken" } },
      });
    }
    const wasDead = existing?.status === "error" && existing.statusReason === "refresh_failed";
    const connection = await service.reportStatus(
      pending.connectionId,
      "active",
      wasDead ? "recovered" : "authorized",
    );
    return { tenantId: pending.tenantId, connection, reconnected: existing !== undefined };
  }

  /**
   * A valid access token of the connection, refreshed first when it expires within
   * `refreshSkewMs`. Pass `rejected` (the token an API answered 401 to) to force one refresh.
   */
  getAccessToken(tenantId: string, connectionId: string, options?: AccessTokenOptions): Promise<Secret> {
    return this.#refresher.getAccessToken(tenantId, connectionId, options);
  }

  /**
   * Deletes a connection and its tokens, revoking them first where the provider has a
   * revocation endpoint (RFC 7009). `revoked` says whether the provider confirmed.
   */
  async disconnect(tenantId: string, connectionId: string): Promise<{ revoked: boolean }> {
    const service = this.service(tenantId);
    await service.get(connectionId);
    const name = tokenCredentialName(connectionId);
    let revoked = false;
    try {
      const fields = await this.#options.credentials.getCredentials(name, tenantId, {
        accessor: ACCESSOR,
        forceRefresh: true,
        allowExpired: true,
      });
      revoked = await this.#revoke(readTokens(fields).provider, [fields.refreshToken, fields.accessToken]);
    } catch (error) {
      if (!NotFoundError.isInstance(error)) throw error;
    }
    await this.#options.credentials.purgeCredentials(name, tenantId, { actor: ACCESSOR }).catch((error) => {
      if (!NotFoundError.isInstance(error)) throw error;
    });
    await service.delete(connectionId);
    return { revoked };
  }

  async #revoke(providerName: string, tokens: Array<Secret | undefined>): Promise<boolean> {
    const provider = await this.#provider(providerName);
    if (!provider.server.revocation_endpoint) return false;
    let revoked = true;
    for (const token of tokens) {
      if (!token) continue;
      try {
        const response = await oauth.revocationRequest(
          provider.server,
          provider.client,
          provider.clientAuth,
          token.reveal(),
          provider.requestOptions() as oauth.RevocationRequestOptions,
        );
        await oauth.processRevocationResponse(response);
      } catch {
        // why: a provider that cannot revoke must not keep the connection alive; report it instead.
        revoked = false;
      }
    }
    return revoked;
  }

  async #recover(tenantId: string, connectionId: string): Promise<void> {
    const service = this.service(tenantId);
    const record = await service.get(connectionId);
    if (record.status === "error" && record.statusReason === "refresh_failed") {
      await service.reportStatus(connectionId, "active", "recovered");
    }
  }
}

/** Checks the callback against the pending authorization: provider error, `iss`, state, code. */
function checkCallback(provider: ResolvedProvider, params: URLSearchParams, state: string): URLSearchParams {
  let validated: URLSearchParams;
  try {
    validated = oauth.validateAuthResponse(provider.server, provider.client, params, state);
  } catch (error) {
    if (error instanceof oauth.AuthorizationResponseError) {
      const code = oauthErrorCode(error.error);
      throw new OAuthError(
        "authorization_denied",
        `The provider answered the authorization with ${code ?? "an error"}.`,
        {
          ...(code ? { oauthError: code } : {}),
        },
      );
    }
    const message = error instanceof Error ? error.message : "";
    // why: the error's cause holds the callback parameters (the code); only its message is kept.
    if (message.includes('"iss"')) {
      throw new OAuthError(
        "issuer_mismatch",
        `The callback's iss does not match the issuer "${provider.server.issuer}" (RFC 9207).`,
      );
    }
    throw new OAuthError("token_error", "The callback does not verify.", { cause: new Error(message) });
  }
  if (!params.get("code")) throw new OAuthError("missing_code", "The callback has no code parameter.");
  return validated;
}

/** OAuth 2 connections over a credential manager (see `OAuthConnections`). */
export function createOAuth(options: OAuthOptions): OAuthConnections {
  return new OAuthConnections(options);
}
