/**
 * Pending authorizations: what `start` must remember for `complete` (tenant, PKCE verifier,
 * nonce, redirect URI, scopes, the connection to create or reconnect), kept server-side through
 * the credential manager, so it is encrypted like any credential and survives a restart or a
 * callback served by another replica. The record is named after a hash of the `state`, expires
 * after a short time and is single use: taking it is a compare-and-set that replaces it by a
 * tombstone, so a second callback with the same state fails as reused. Expired records (pending
 * or completed) are purged by `sweep`, which `OAuthConnections` runs in the background.
 */
import { createHash } from "node:crypto";
import type { CredentialManager } from "../core/credential-manager.js";
import { ConflictError, CredkitError, NotFoundError } from "../core/errors.js";
import type { SecretFields } from "../core/secret.js";
import { OAuthError } from "./errors.js";

/** The tenant under which pending authorizations are kept (the callback knows no tenant yet). */
const PENDING_TENANT = "credkit.oauth";
const ACCESSOR = "oauth";

/** What `start` remembers. */
export interface PendingAuthorization {
  readonly tenantId: string;
  /** The provider's name in the OAuth options. */
  readonly provider: string;
  readonly redirectUri: string;
  readonly scopes: readonly string[];
  readonly codeVerifier: string;
  readonly nonce: string;
  /** The connection to create, or to reconnect when `reconnect`. */
  readonly connectionId: string;
  readonly reconnect: boolean;
  readonly connector: string;
  readonly instanceName: string;
  /** JSON of the connection's configuration. */
  readonly configuration: string;
}

function recordName(state: string): string {
  return `pending-${createHash("sha256").update(state, "utf8").digest("base64url")}`;
}

function text(fields: SecretFields, name: string): string {
  return fields[name]?.reveal() ?? "";
}

export class PendingAuthorizations {
  readonly #manager: CredentialManager;
  readonly #ttlMs: number;

  constructor(manager: CredentialManager, ttlMs: number) {
    this.#manager = manager;
    this.#ttlMs = ttlMs;
  }

  /** Stores a new pending authorization under its state; the state must be fresh. */
  async save(state: string, pending: PendingAuthorization): Promise<Date> {
    const expiresAt = new Date(Date.now() + this.#ttlMs);
    await this.#manager.storeCredentials(
      recordName(state),
      PENDING_TENANT,
      {
        tenantId: pending.tenantId,
        provider: pending.provider,
        redirectUri: pending.redirectUri,
        scopes: JSON.stringify(pending.scopes),
        codeVerifier: pending.codeVerifier,
        nonce: pending.nonce,
        connectionId: pending.connectionId,
        reconnect: pending.reconnect ? "1" : "0",
        connector: pending.connector,
        instanceName: pending.instanceName,
        configuration: pending.configuration,
        until: expiresAt.toISOString(),
      },
      { type: "custom", ifVersion: 0, expiresAt, actor: ACCESSOR },
    );
    return expiresAt;
  }

  /**
   * Purges every pending authorization past its expiry (completed ones included: their tombstone
   * is kept until then so a replayed callback is refused as reused). Reads metadata only; returns
   * how many were purged. A record another replica purges first is skipped.
   */
  async sweep(): Promise<number> {
    let purged = 0;
    let cursor: string | undefined;
    do {
      const page = await this.#manager.listCredentials(PENDING_TENANT, {
        accessor: ACCESSOR,
        ...(cursor !== undefined ? { cursor } : {}),
      });
      for (const item of page.items) {
        if (item.status !== "expired") continue;
        try {
          await this.#manager.purgeCredentials(item.connectionId, PENDING_TENANT, { actor: ACCESSOR });
          purged += 1;
        } catch (error) {
          if (!NotFoundError.isInstance(error)) throw error;
        }
      }
      cursor = page.cursor;
    } while (cursor !== undefined);
    return purged;
  }

  /**
   * Takes the pending authorization of `state` exactly once. Unknown → `unknown_state`; past its
   * expiry → `expired_state` (and removed); taken before, or by a concurrent callback →
   * `reused_state`.
   */
  async take(state: string): Promise<PendingAuthorization> {
    const name = recordName(state);
    const [result] = await this.#manager.getManyCredentials(
      [{ connectionId: name, userId: PENDING_TENANT }],
      {
        accessor: ACCESSOR,
        forceRefresh: true,
        allowExpired: true,
      },
    );
    if (!result?.ok) {
      if (result && NotFoundError.isInstance(result.error)) {
        throw new OAuthError("unknown_state", "The callback's state matches no pending authorization.");
      }
      throw result?.error ?? new OAuthError("unknown_state", "The pending authorization could not be read.");
    }
    const fields = result.credentials;
    if (text(fields, "consumed") === "1") {
      throw new OAuthError("reused_state", "This authorization was already completed; start a new one.");
    }
    if (Date.parse(text(fields, "until")) <= Date.now()) {
      await this.#manager.purgeCredentials(name, PENDING_TENANT, { actor: ACCESSOR }).catch(() => undefined);
      throw new OAuthError("expired_state", "The pending authorization expired; start a new one.");
    }
    try {
      await this.#manager.rotateCredentials(
        name,
        PENDING_TENANT,
        { consumed: "1", until: text(fields, "until") },
        { type: "custom", ifVersion: result.version, expiresAt: text(fields, "until"), actor: ACCESSOR },
      );
    } catch (error) {
      if (ConflictError.isInstance(error)) {
        throw new OAuthError("reused_state", "This authorization is being completed by another request.");
      }
      throw CredkitError.isInstance(error) ? error : new OAuthError("unknown_state", "State check failed.");
    }
    return {
      tenantId: text(fields, "tenantId"),
      provider: text(fields, "provider"),
      redirectUri: text(fields, "redirectUri"),
      scopes: JSON.parse(text(fields, "scopes") || "[]") as string[],
      codeVerifier: text(fields, "codeVerifier"),
      nonce: text(fields, "nonce"),
      connectionId: text(fields, "connectionId"),
      reconnect: text(fields, "reconnect") === "1",
      connector: text(fields, "connector"),
      instanceName: text(fields, "instanceName"),
      configuration: text(fields, "configuration"),
    };
  }
}
