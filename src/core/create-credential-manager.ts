/**
 * `createCredentialManager()`: explicit options win; otherwise `VAULT_TYPE` (default `file`, the
 * embedded store in `./.credkit`) and each backend's documented variables. An unknown type lists
 * the valid ones; missing configuration is one error listing every missing variable.
 */

import { keyProviderDefinition, provenKeyProvider } from "../keys/registry.js";
import type { Backend } from "./backend.js";
import {
  type BackendDefinition,
  type BackendType,
  backendTypes,
  describeBackendTypes,
  type Environment,
  loadBackendDefinition,
  resolveBackendType,
} from "./backend-registry.js";
import type { CacheOptions } from "./cache.js";
import { type AuditOptions, CredentialManager } from "./credential-manager.js";
import { ConfigurationError } from "./errors.js";
import { type KeyProvider, LocalKeyring, parseKey, requireEncryption } from "./keyring.js";

/** The backend used when neither options nor `VAULT_TYPE` name one. */
export const DEFAULT_BACKEND: BackendType = "file";

/** Options of `createCredentialManager`. */
export interface CreateCredentialManagerOptions {
  /**
   * The backend: a ready `Backend` (e.g. `fileBackend({ directory })`), or a `VAULT_TYPE` name
   * configured from the environment.
   * @default process.env.VAULT_TYPE ?? "file"
   */
  backend?: Backend | string;
  /**
   * The key-encryption key: a 32-byte key (hex or base64 string, or bytes), a `KeyProvider`
   * (KMS), or `false` to turn application encryption off.
   * @default the KMS named by CREDKIT_KMS (proven at start-up), else process.env.CREDENTIAL_ENCRYPTION_KEY (older keys in CREDENTIAL_ENCRYPTION_KEY_PREVIOUS)
   */
  encryptionKey?: string | Uint8Array | KeyProvider | false;
  /** Read cache settings, or `false` for none. */
  cache?: CacheOptions | false;
  /** Audit sinks and ring size. */
  audit?: AuditOptions;
  /**
   * Where configuration is read from.
   * @default process.env
   */
  env?: Environment;
}

function isProduction(env: Environment): boolean {
  return env.NODE_ENV === "production";
}

/** The `encryptionKey` option: a key, a provider or `false`; anything else is refused. */
function explicitKey(key: unknown): KeyProvider | false {
  if (typeof key === "string") return new LocalKeyring(parseKey(key, "encryptionKey"));
  if (key instanceof Uint8Array) return new LocalKeyring(key);
  return requireEncryption(key, "encryptionKey");
}

async function resolveDefinition(env: Environment, requested: string | undefined) {
  const name = requested ?? env.VAULT_TYPE ?? DEFAULT_BACKEND;
  const type = resolveBackendType(name);
  if (!type) {
    throw new ConfigurationError(
      `Unknown backend type "${name.slice(0, 40)}" (VAULT_TYPE). Valid types: ${describeBackendTypes()}.`,
      { available: backendTypes() },
    );
  }
  return loadBackendDefinition(type);
}

/** Creates a `CredentialManager` from options and the environment. */
export async function createCredentialManager(
  options: CreateCredentialManagerOptions = {},
): Promise<CredentialManager> {
  const env = options.env ?? process.env;
  const given = typeof options.backend === "object" ? options.backend : undefined;
  const definition: BackendDefinition | undefined = given
    ? undefined
    : await resolveDefinition(env, options.backend as string | undefined);

  const missing = definition ? definition.missingVariables(env) : [];
  let encryption: KeyProvider | false | undefined;
  if (options.encryptionKey !== undefined) {
    encryption = explicitKey(options.encryptionKey);
  } else {
    const kms = await keyProviderDefinition(env);
    if (kms) {
      missing.push(...kms.missingVariables(env));
      if (missing.length === 0) encryption = await provenKeyProvider(kms, env);
    } else {
      encryption = LocalKeyring.fromEnv(env);
      if (!encryption && definition?.developmentKey && !isProduction(env) && missing.length === 0) {
        encryption = await definition.developmentKey(env);
      }
      if (!encryption) missing.push("CREDENTIAL_ENCRYPTION_KEY");
    }
  }
  if (missing.length > 0) {
    const type = definition ? ` for VAULT_TYPE=${definition.type}` : "";
    throw new ConfigurationError(
      `Missing configuration${type}: ${missing.join(", ")}. See docs/backends for what each one means.`,
      { missing },
    );
  }

  const backend = given ?? (await (definition as BackendDefinition).fromEnv(env));
  return new CredentialManager({
    backend,
    encryption: encryption as KeyProvider | false,
    ...(options.cache !== undefined ? { cache: options.cache } : {}),
    ...(options.audit !== undefined ? { audit: options.audit } : {}),
  });
}
