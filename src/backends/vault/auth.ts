/**
 * Vault token lifecycle: static token, AppRole or Kubernetes login; the token's TTL looked up,
 * renewed at a fraction of it, and on expiry or a 403 a fresh login (once) before the call is
 * retried. A static token that cannot be renewed is reported before it expires. Every timer is
 * `unref`'d, so the lifecycle never keeps a process alive.
 */
import { readFile } from "node:fs/promises";
import type NodeVault from "node-vault";
import { AuthError, ConfigurationError } from "../../core/errors.js";
import { scrubError } from "../../core/redact.js";
import { isPermissionDenied, NAME, statusOf } from "./errors.js";

/** The node-vault client credkit drives (`require("node-vault")(options)`). */
export type VaultClient = NodeVault.client & {
  noCustomHTTPVerbs?: boolean | undefined;
  namespace?: string | undefined;
  pathPrefix?: string | undefined;
};

/** The default path of a pod's service-account token. */
export const SERVICE_ACCOUNT_TOKEN_PATH = "/var/run/secrets/kubernetes.io/serviceaccount/token";

/** How credkit authenticates to Vault. */
export type VaultAuth =
  | {
      /** Static token auth. */
      method: "token";
      /** A Vault token. Renewed when renewable; reported before it expires when it is not. */
      token: string;
    }
  | {
      /** AppRole auth (`auth/<mount>/login` with `role_id` and `secret_id`). */
      method: "approle";
      /** The AppRole role id (`VAULT_ROLE_ID`). */
      roleId: string;
      /** The AppRole secret id (`VAULT_SECRET_ID`). Omit only for a role created with `bind_secret_id=false`. */
      secretId?: string | undefined;
      /**
       * Mount path of the AppRole auth method.
       * @default "approle"
       */
      mount?: string | undefined;
    }
  | {
      /** Kubernetes auth (`auth/<mount>/login` with the role and the service-account JWT). */
      method: "kubernetes";
      /** The Vault role bound to this pod's service account. */
      role: string;
      /**
       * File holding the service-account JWT, read again at every login (kubelet rotates it).
       * @default "/var/run/secrets/kubernetes.io/serviceaccount/token"
       */
      jwtPath?: string | undefined;
      /** The JWT itself, instead of `jwtPath`. */
      jwt?: string | undefined;
      /**
       * Mount path of the Kubernetes auth method.
       * @default "kubernetes"
       */
      mount?: string | undefined;
    };

/** Something that happened to the token. Messages never contain a token or secret. */
export interface VaultTokenEvent {
  /**
   * `login`: a (re-)login succeeded. `renewed`: the token was renewed. `expiring`: the token
   * cannot be renewed (any further) and will expire at `expiresAt`. `renew-failed`: a lookup,
   * renewal or background login failed; calls will still re-login on demand where they can.
   */
  readonly type: "login" | "renewed" | "expiring" | "renew-failed";
  readonly method: VaultAuth["method"];
  /** When the token expires, if it does. */
  readonly expiresAt?: Date | undefined;
  readonly message: string;
}

/** Token lifecycle settings. */
export interface TokenLifecycleOptions {
  /**
   * Renew (or log in again) when this fraction of the token's TTL has passed.
   * @default 0.75
   */
  renewFraction?: number | undefined;
  /**
   * Receives token events. The default turns `expiring` and `renew-failed` into
   * `process.emitWarning` (code `CREDKIT_VAULT_TOKEN`) and ignores the rest.
   */
  onTokenEvent?: ((event: VaultTokenEvent) => void) | undefined;
}

/** What the backend needs from the lifecycle. */
export interface TokenLifecycle {
  /** Runs `call` with a valid token; on a 403 logs in again (once, shared) and retries it once. */
  authorized<T>(call: () => Promise<T>): Promise<T>;
  /** The credentials to scrub from errors: tokens, secret id, role id, JWT. */
  secrets(): readonly (string | undefined)[];
  close(): void;
}

/** Logins and renewals closer than this to expiry are done before the call rather than after a 403. */
const EXPIRY_SKEW_MS = 1000;
/** A failed background renewal or lookup is tried again after at most this long. */
const RETRY_LATER_MS = 30_000;

function defaultHandler(event: VaultTokenEvent): void {
  if (event.type === "expiring" || event.type === "renew-failed") {
    process.emitWarning(event.message, { code: "CREDKIT_VAULT_TOKEN" });
  }
}

function mountOf(auth: VaultAuth): string {
  if (auth.method === "approle") return auth.mount ?? "approle";
  if (auth.method === "kubernetes") return auth.mount ?? "kubernetes";
  return "token";
}

/** Starts managing the client's token. Nothing happens until the first call. */
export function tokenLifecycle(
  client: VaultClient,
  auth: VaultAuth,
  options: TokenLifecycleOptions = {},
): TokenLifecycle {
  const fraction = Math.min(0.95, Math.max(0.1, options.renewFraction ?? 0.75));
  const emit = options.onTokenEvent ?? defaultHandler;
  const canLogin = auth.method !== "token";
  const known = new Set<string | undefined>([
    auth.method === "token" ? auth.token : undefined,
    auth.method === "approle" ? auth.roleId : undefined,
    auth.method === "approle" ? auth.secretId : undefined,
    auth.method === "kubernetes" ? auth.jwt : undefined,
  ]);
  let expiresAt: number | undefined;
  let renewable = false;
  /** The TTL last granted by a login or lookup: a renewal that grants much less hit the max TTL. */
  let grantedMs = 0;
  let capped = false;
  let warned = false;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let ready: Promise<void> | undefined;
  let loggingIn: Promise<void> | undefined;

  const report = (type: VaultTokenEvent["type"], message: string) => {
    try {
      emit({
        type,
        method: auth.method,
        ...(expiresAt !== undefined ? { expiresAt: new Date(expiresAt) } : {}),
        message: `credkit vault: ${message}`,
      });
    } catch {
      // a throwing handler must not break the lifecycle
    }
  };

  const schedule = (delayMs: number) => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (closed || !Number.isFinite(delayMs) || delayMs <= 0) return;
    timer = setTimeout(() => void refresh(), Math.max(50, delayMs));
    timer.unref();
  };

  const granted = (ttlSeconds: number, isRenewable: boolean) => {
    renewable = isRenewable;
    grantedMs = ttlSeconds * 1000;
    capped = false;
    expiresAt = ttlSeconds > 0 ? Date.now() + grantedMs : undefined;
    if (expiresAt !== undefined) schedule(grantedMs * fraction);
  };

  const warnExpiring = (why: string) => {
    if (warned || expiresAt === undefined) return;
    warned = true;
    report(
      "expiring",
      `the Vault token (VAULT_TOKEN) ${why} and expires at ${new Date(expiresAt).toISOString()}. Replace it with a renewable token or use AppRole or Kubernetes auth (VAULT_ROLE_ID, VAULT_K8S_ROLE) before then.`,
    );
  };

  const login = async (): Promise<void> => {
    // why: node-vault sends X-Vault-Token on logins too; a stale token there must not be used.
    client.token = undefined as unknown as string;
    const mount = mountOf(auth);
    let response: { auth?: { client_token?: string; lease_duration?: number; renewable?: boolean } };
    try {
      if (auth.method === "approle") {
        response = await client.approleLogin({
          role_id: auth.roleId,
          ...(auth.secretId !== undefined ? { secret_id: auth.secretId } : {}),
          mount_point: mount,
        });
      } else if (auth.method === "kubernetes") {
        response = await client.kubernetesLogin({
          role: auth.role,
          jwt: await serviceAccountJwt(),
          mount_point: mount,
        });
      } else {
        throw new ConfigurationError("A static Vault token cannot log in again.", {
          missing: ["VAULT_TOKEN"],
        });
      }
    } catch (error) {
      const status = statusOf(error);
      if (status === 400 || status === 401 || status === 403) {
        throw new AuthError(
          `Vault refused the ${auth.method} login at auth/${mount}/login (${status}); check the role and its credentials.`,
          { source: NAME, cause: scrubError(error, [...known]) },
        );
      }
      throw error;
    }
    const token = response.auth?.client_token;
    if (!token) {
      throw new AuthError(`Vault's ${auth.method} login at auth/${mount}/login returned no token.`, {
        source: NAME,
      });
    }
    known.add(token);
    client.token = token;
    warned = false;
    granted(response.auth?.lease_duration ?? 0, response.auth?.renewable === true);
    report("login", `logged in with ${auth.method} at auth/${mount}/login.`);
  };

  const serviceAccountJwt = async (): Promise<string> => {
    if (auth.method !== "kubernetes") return "";
    if (auth.jwt !== undefined) return auth.jwt;
    const path = auth.jwtPath ?? SERVICE_ACCOUNT_TOKEN_PATH;
    let jwt: string;
    try {
      jwt = (await readFile(path, "utf8")).trim();
    } catch (error) {
      throw new ConfigurationError(
        `Cannot read the Kubernetes service-account token file ${path} (VAULT_K8S_TOKEN_PATH).`,
        { missing: ["VAULT_K8S_TOKEN_PATH"] },
        { source: NAME, cause: scrubError(error) },
      );
    }
    known.add(jwt);
    return jwt;
  };

  const relogin = (): Promise<void> => {
    loggingIn ??= login().finally(() => {
      loggingIn = undefined;
    });
    return loggingIn;
  };

  /** Static token: learn its TTL. Failures are reported, never fatal: calls then show the truth. */
  const lookup = async (): Promise<void> => {
    client.token = (auth as { token: string }).token;
    try {
      const result = (await client.tokenLookupSelf()) as { data?: { ttl?: number; renewable?: boolean } };
      granted(result.data?.ttl ?? 0, result.data?.renewable === true);
      if (!renewable) warnExpiring("cannot be renewed");
    } catch (error) {
      report("renew-failed", `could not look up the Vault token's TTL (${statusOf(error) ?? "no answer"}).`);
      if (!isPermissionDenied(error)) schedule(RETRY_LATER_MS);
    }
  };

  const refresh = async (): Promise<void> => {
    if (closed) return;
    if (canLogin && (!renewable || capped)) {
      await relogin().catch((error: unknown) => {
        report("renew-failed", `background ${auth.method} login failed (${statusOf(error) ?? "no answer"}).`);
        schedule(Math.min(RETRY_LATER_MS, remaining() / 2));
      });
      return;
    }
    if (!renewable) {
      if (expiresAt === undefined) await lookup();
      return;
    }
    try {
      const result = (await client.tokenRenewSelf({})) as {
        auth?: { lease_duration?: number; renewable?: boolean } | undefined;
      };
      const ttlMs = (result.auth?.lease_duration ?? 0) * 1000;
      renewable = result.auth?.renewable !== false && ttlMs > 0;
      expiresAt = ttlMs > 0 ? Date.now() + ttlMs : expiresAt;
      report("renewed", "renewed the Vault token.");
      // why: a renewal granting well under the usual TTL has reached the token's max TTL.
      if (!renewable || ttlMs < grantedMs / 2) {
        capped = true;
        if (!canLogin) warnExpiring("has reached its maximum TTL");
      }
      schedule(ttlMs * fraction);
    } catch (error) {
      if (canLogin) {
        capped = true;
        await refresh();
        return;
      }
      report("renew-failed", `could not renew the Vault token (${statusOf(error) ?? "no answer"}).`);
      if (!isPermissionDenied(error)) schedule(Math.min(RETRY_LATER_MS, remaining() / 2));
    }
  };

  const remaining = () => (expiresAt === undefined ? RETRY_LATER_MS : Math.max(0, expiresAt - Date.now()));

  const start = (): Promise<void> => {
    ready ??= (canLogin ? relogin() : lookup()).catch((error: unknown) => {
      ready = undefined;
      throw error;
    });
    return ready;
  };

  return {
    async authorized(call) {
      await start();
      if (canLogin && expiresAt !== undefined && Date.now() >= expiresAt - EXPIRY_SKEW_MS) await relogin();
      const used = client.token;
      try {
        return await call();
      } catch (error) {
        if (!canLogin || !isPermissionDenied(error)) throw error;
        // why: another call may have logged in already; then just retry with its token.
        if (client.token === used) await relogin();
        return await call();
      }
    },
    secrets: () => [...known, client.token],
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}
