/**
 * `createCredentialManager()`: explicit options win; otherwise `VAULT_TYPE` (default `file`, the
 * embedded store in `./.credkit`) and each backend's documented variables. Every check runs at
 * creation — the backend type, its variables, its SDK, its local files, the key — and every
 * problem is reported at once, in one `ConfigurationError`, each with its fix.
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
import { ConfigurationProblems } from "./configuration-problems.js";
import { type AuditOptions, CredentialManager } from "./credential-manager.js";
import { isProduction, setting } from "./environment.js";
import { importOptional } from "./import-optional.js";
import {
  KEY_GENERATION_HINT,
  type KeyProvider,
  LocalKeyring,
  parseKey,
  requireEncryption,
} from "./keyring.js";

/** The backend used when neither options nor `VAULT_TYPE` name one. */
export const DEFAULT_BACKEND: BackendType = "file";

/** Options of `createCredentialManager`. */
export interface CreateCredentialManagerOptions {
  /**
   * The backend: a ready `Backend` (e.g. `fileBackend({ directory })`), or a `VAULT_TYPE` name
   * configured from the environment.
   * @default process.env.VAULT_TYPE ?? "file"
   */
  backend?: Backend | string | undefined;
  /**
   * The key-encryption key: a 32-byte key (hex or base64 string, or bytes), a `KeyProvider`
   * (KMS), or `false` to turn application encryption off.
   * @default the KMS named by CREDKIT_KMS (proven at start-up), else process.env.CREDENTIAL_ENCRYPTION_KEY (older keys in CREDENTIAL_ENCRYPTION_KEY_PREVIOUS)
   */
  encryptionKey?: string | Uint8Array | KeyProvider | false | undefined;
  /** Read cache settings, or `false` for none. */
  cache?: CacheOptions | false | undefined;
  /** Audit sinks and ring size. */
  audit?: AuditOptions | undefined;
  /**
   * Where configuration is read from.
   * @default process.env
   */
  env?: Environment | undefined;
}

/** The `encryptionKey` option: a key, a provider or `false`; anything else is refused. */
function explicitKey(key: unknown): KeyProvider | false {
  if (typeof key === "string") return new LocalKeyring(parseKey(key, "encryptionKey"));
  if (key instanceof Uint8Array) return new LocalKeyring(key);
  return requireEncryption(key, "encryptionKey");
}

/** The backend definition `VAULT_TYPE` (or the `backend` name) selects; an empty value is unset. */
async function definitionOf(
  env: Environment,
  requested: string | undefined,
  problems: ConfigurationProblems,
): Promise<BackendDefinition | undefined> {
  const name = requested ?? setting(env, "VAULT_TYPE") ?? DEFAULT_BACKEND;
  const type = resolveBackendType(name);
  if (type) return loadBackendDefinition(type);
  problems.add(
    `Unknown backend type "${name.slice(0, 40)}" (VAULT_TYPE). Valid types: ${describeBackendTypes()}.`,
    ["VAULT_TYPE"],
    backendTypes(),
  );
  return undefined;
}

/** Every missing variable and SDK of a backend, then the backend itself, opened. */
async function backendFromEnv(
  env: Environment,
  requested: string | undefined,
  problems: ConfigurationProblems,
): Promise<Backend | undefined> {
  const definition = await definitionOf(env, requested, problems);
  if (!definition) return undefined;
  const missing = definition.missingVariables(env);
  for (const name of missing) {
    const variable = definition.variables.find((candidate) => candidate.name === name);
    problems.add(
      `${name} is not set (VAULT_TYPE=${definition.type}): ${variable?.description ?? "required"}`,
      [name],
    );
  }
  for (const packageName of definition.packages ?? []) {
    await problems.attempt(() =>
      importOptional(packageName, `VAULT_TYPE=${definition.type}`, () => import(packageName)),
    );
  }
  if (missing.length > 0) return undefined;
  const backend = await problems.attempt(() => definition.fromEnv(env));
  return backend && opened(backend, problems);
}

/** The backend, after its own start-up checks (`open`); a failure is recorded as a problem. */
async function opened(backend: Backend, problems: ConfigurationProblems): Promise<Backend> {
  await problems.attempt(() => backend.open?.());
  return backend;
}

/** The key: explicit, else a proven KMS, else CREDENTIAL_ENCRYPTION_KEY, else the backend's development key. */
async function encryptionFrom(
  options: CreateCredentialManagerOptions,
  env: Environment,
  backend: Backend | undefined,
  problems: ConfigurationProblems,
): Promise<KeyProvider | false | undefined> {
  if (options.encryptionKey !== undefined) return problems.attempt(() => explicitKey(options.encryptionKey));
  const kms = await problems.attempt(() => keyProviderDefinition(env));
  if (kms) {
    for (const name of kms.missingVariables(env)) problems.add(`${name} is not set (CREDKIT_KMS).`, [name]);
    return problems.empty ? problems.attempt(() => provenKeyProvider(kms, env)) : undefined;
  }
  if (setting(env, "CREDENTIAL_ENCRYPTION_KEY") !== undefined) {
    return problems.attempt(() => LocalKeyring.fromEnv(env));
  }
  const production = isProduction(env);
  if (backend?.developmentKey && !production) {
    // why: a backend that failed its own checks would only report the same problem again.
    return problems.empty ? problems.attempt(() => backend.developmentKey?.()) : undefined;
  }
  problems.add(
    `CREDENTIAL_ENCRYPTION_KEY is not set${production ? " (required when NODE_ENV=production)" : ""}. ${KEY_GENERATION_HINT}`,
    ["CREDENTIAL_ENCRYPTION_KEY"],
  );
  return undefined;
}

/** Creates a `CredentialManager` from options and the environment. */
export async function createCredentialManager(
  options: CreateCredentialManagerOptions = {},
): Promise<CredentialManager> {
  const env = options.env ?? process.env;
  const problems = new ConfigurationProblems();
  const given = typeof options.backend === "object" ? options.backend : undefined;
  const backend = given
    ? await opened(given, problems)
    : await backendFromEnv(env, options.backend as string | undefined, problems);
  const encryption = await encryptionFrom(options, env, backend, problems);
  problems.throwIfAny();
  return new CredentialManager({
    backend: backend as Backend,
    encryption: encryption as KeyProvider | false,
    ...(options.cache !== undefined ? { cache: options.cache } : {}),
    ...(options.audit !== undefined ? { audit: options.audit } : {}),
  });
}
