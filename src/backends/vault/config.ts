/**
 * The Vault backend's environment variables. The names follow Vault's own CLI where one exists
 * (`VAULT_ADDR`, `VAULT_TOKEN`, `VAULT_NAMESPACE`, `VAULT_CACERT`, `VAULT_CLIENT_CERT`,
 * `VAULT_CLIENT_KEY`, `VAULT_SKIP_VERIFY`).
 */
import { readFile } from "node:fs/promises";
import { integerVariable, maxVersionsOption } from "../../core/backend-support.js";
import { ConfigurationError } from "../../core/errors.js";
import { scrubError } from "../../core/redact.js";
import { type RetryOptions, resolveRetryOptions } from "../../core/retry.js";
import type { BackendVariable, Environment } from "../../kit/definition.js";
import type { VaultAuth } from "./auth.js";
import { NAME } from "./errors.js";
import type { VaultBackendOptions } from "./index.js";
import { checkPath } from "./records.js";

export const VARIABLES: readonly BackendVariable[] = [
  { name: "VAULT_ADDR", description: "Vault's address, e.g. https://vault.internal:8200 (required)." },
  { name: "VAULT_TOKEN", description: "A Vault token (static token auth)." },
  {
    name: "VAULT_ROLE_ID",
    description: "AppRole role id (AppRole auth; takes precedence over VAULT_TOKEN).",
  },
  { name: "VAULT_SECRET_ID", description: "AppRole secret id." },
  { name: "VAULT_APPROLE_MOUNT", description: "Mount path of the AppRole auth method (default approle)." },
  {
    name: "VAULT_K8S_ROLE",
    description: "Kubernetes auth role (Kubernetes auth; takes precedence over VAULT_TOKEN).",
  },
  { name: "VAULT_K8S_MOUNT", description: "Mount path of the Kubernetes auth method (default kubernetes)." },
  {
    name: "VAULT_K8S_TOKEN_PATH",
    description: "Service-account JWT file (default /var/run/secrets/kubernetes.io/serviceaccount/token).",
  },
  { name: "VAULT_NAMESPACE", description: "Vault Enterprise namespace (X-Vault-Namespace)." },
  { name: "VAULT_KV_MOUNT", description: "Mount path of the KV version 2 engine (default secret)." },
  { name: "VAULT_KV_PREFIX", description: "Folder under the mount for credkit's records (default credkit)." },
  {
    name: "VAULT_KV_MAX_VERSIONS",
    description: "max_versions of the keys credkit creates (default: the mount's).",
  },
  { name: "VAULT_CACERT", description: "PEM file of the CA that signed Vault's certificate." },
  { name: "VAULT_CLIENT_CERT", description: "PEM file of a client certificate for TLS." },
  { name: "VAULT_CLIENT_KEY", description: "PEM file of the client certificate's private key." },
  { name: "VAULT_SKIP_VERIFY", description: "true to skip TLS verification (development only)." },
];

/** Every required variable missing from `env`. */
export function missingVariables(env: Environment): string[] {
  const missing: string[] = [];
  if (!env.VAULT_ADDR) missing.push("VAULT_ADDR");
  if (!env.VAULT_TOKEN && !env.VAULT_ROLE_ID && !env.VAULT_K8S_ROLE) {
    missing.push("VAULT_TOKEN (or VAULT_ROLE_ID and VAULT_SECRET_ID, or VAULT_K8S_ROLE)");
  }
  return missing;
}

function authFrom(env: Environment): VaultAuth {
  if (env.VAULT_ROLE_ID) {
    return {
      method: "approle",
      roleId: env.VAULT_ROLE_ID,
      ...(env.VAULT_SECRET_ID ? { secretId: env.VAULT_SECRET_ID } : {}),
      ...(env.VAULT_APPROLE_MOUNT ? { mount: env.VAULT_APPROLE_MOUNT } : {}),
    };
  }
  if (env.VAULT_K8S_ROLE) {
    return {
      method: "kubernetes",
      role: env.VAULT_K8S_ROLE,
      ...(env.VAULT_K8S_MOUNT ? { mount: env.VAULT_K8S_MOUNT } : {}),
      ...(env.VAULT_K8S_TOKEN_PATH ? { jwtPath: env.VAULT_K8S_TOKEN_PATH } : {}),
    };
  }
  return { method: "token", token: env.VAULT_TOKEN ?? "" };
}

async function pemFile(path: string | undefined, variable: string): Promise<Buffer | undefined> {
  if (!path) return undefined;
  try {
    return await readFile(path);
  } catch (error) {
    throw new ConfigurationError(
      `Cannot read the file named by ${variable}.`,
      { missing: [variable] },
      {
        source: NAME,
        cause: scrubError(error),
      },
    );
  }
}

function isTrue(value: string | undefined): boolean {
  return value !== undefined && /^(1|true|yes|on)$/i.test(value.trim());
}

/** Builds `vaultBackend` options from environment variables (CA and client files are read here). */
export async function optionsFromEnv(env: Environment): Promise<VaultBackendOptions> {
  const [ca, cert, key] = await Promise.all([
    pemFile(env.VAULT_CACERT, "VAULT_CACERT"),
    pemFile(env.VAULT_CLIENT_CERT, "VAULT_CLIENT_CERT"),
    pemFile(env.VAULT_CLIENT_KEY, "VAULT_CLIENT_KEY"),
  ]);
  const maxVersions = integerVariable(env, "VAULT_KV_MAX_VERSIONS", { min: 1, source: NAME });
  return {
    ...(env.VAULT_ADDR ? { endpoint: env.VAULT_ADDR } : {}),
    auth: authFrom(env),
    ...(env.VAULT_NAMESPACE ? { namespace: env.VAULT_NAMESPACE } : {}),
    ...(env.VAULT_KV_MOUNT ? { mount: env.VAULT_KV_MOUNT } : {}),
    ...(env.VAULT_KV_PREFIX !== undefined ? { prefix: env.VAULT_KV_PREFIX } : {}),
    ...(maxVersions !== undefined ? { maxVersions } : {}),
    tls: {
      ...(ca ? { ca } : {}),
      ...(cert ? { cert } : {}),
      ...(key ? { key } : {}),
      insecureSkipVerify: isTrue(env.VAULT_SKIP_VERIFY),
    },
  };
}

/** The options `vaultBackend` resolves once, at creation. */
export interface VaultSettings {
  /** Mount path of the KV version 2 engine. */
  readonly mount: string;
  /** Folder under the mount that holds credkit's records (may be empty). */
  readonly prefix: string;
  readonly retry: Required<RetryOptions>;
  /** Per-call request options: axios's own timeout cleans up the socket of a hung request. */
  readonly request: { readonly timeout: number };
  /** `max_versions` of the keys credkit creates; 0 keeps the mount's setting. */
  readonly maxVersions: number;
}

/** Checks and resolves the options that need no request; bad values are `ConfigurationError`s. */
export function vaultSettings(options: VaultBackendOptions): VaultSettings {
  const retry = resolveRetryOptions(options.retry);
  return {
    mount: checkPath(options.mount ?? "secret", "mount (VAULT_KV_MOUNT)", false),
    prefix: checkPath(options.prefix ?? "credkit", "prefix (VAULT_KV_PREFIX)", true),
    retry,
    request: { timeout: retry.timeoutMs },
    maxVersions: maxVersionsOption(options.maxVersions, NAME) ?? 0,
  };
}
