/**
 * How credkit authenticates to Vault: the auth settings, the token events, and one login
 * (AppRole or Kubernetes) that returns the granted token. `token-lifecycle.ts` decides when to
 * log in, look up and renew.
 */
import { readFile } from "node:fs/promises";
import type NodeVault from "node-vault";
import { AuthError, ConfigurationError } from "../../core/errors.js";
import { scrubError } from "../../core/redact.js";
import { NAME, statusOf } from "./errors.js";

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

/** What a login granted. */
export interface Grant {
  readonly token: string;
  readonly ttlSeconds: number;
  readonly renewable: boolean;
}

/** Mount path of the auth method `auth` logs in with. */
export function mountOf(auth: VaultAuth): string {
  if (auth.method === "approle") return auth.mount ?? "approle";
  if (auth.method === "kubernetes") return auth.mount ?? "kubernetes";
  return "token";
}

type LoginResponse = { auth?: { client_token?: string; lease_duration?: number; renewable?: boolean } };

/**
 * Logs in with AppRole or Kubernetes auth. Every credential it reads or receives (the JWT, the
 * new token) is added to `known`, the set scrubbed from errors. A static token cannot log in.
 */
export async function login(
  client: VaultClient,
  auth: VaultAuth,
  known: Set<string | undefined>,
): Promise<Grant> {
  // why: node-vault sends X-Vault-Token on logins too; a stale token there must not be used.
  client.token = undefined as unknown as string;
  const mount = mountOf(auth);
  let response: LoginResponse;
  try {
    response = await loginRequest(client, auth, mount, known);
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
  return {
    token,
    ttlSeconds: response.auth?.lease_duration ?? 0,
    renewable: response.auth?.renewable === true,
  };
}

async function loginRequest(
  client: VaultClient,
  auth: VaultAuth,
  mount: string,
  known: Set<string | undefined>,
): Promise<LoginResponse> {
  if (auth.method === "approle") {
    return client.approleLogin({
      role_id: auth.roleId,
      ...(auth.secretId !== undefined ? { secret_id: auth.secretId } : {}),
      mount_point: mount,
    });
  }
  if (auth.method === "kubernetes") {
    return client.kubernetesLogin({
      role: auth.role,
      jwt: await serviceAccountJwt(auth, known),
      mount_point: mount,
    });
  }
  throw new ConfigurationError("A static Vault token cannot log in again.", { missing: ["VAULT_TOKEN"] });
}

/** The service-account JWT: given, or read again from its file at every login (kubelet rotates it). */
async function serviceAccountJwt(
  auth: Extract<VaultAuth, { method: "kubernetes" }>,
  known: Set<string | undefined>,
): Promise<string> {
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
}
