/**
 * The Azure Key Vault backend's settings: its options, with defaults from the environment
 * (`AZURE_KEY_VAULT_URL`, `CREDKIT_AZURE_*`), checked once at creation; and the variables it reads.
 */
import { ConfigurationError } from "../../core/errors.js";
import { Redactor } from "../../core/redact.js";
import type { RetryOptions } from "../../core/retry.js";
import type { BackendVariable, Environment } from "../../kit/definition.js";
import { type AzureCredentialKind, isCredentialKind, requiredFor } from "./auth.js";
import type { AzureKeyVaultBackendOptions, DeletedNamePolicy } from "./index.js";
import { checkPrefix, DEFAULT_PREFIX } from "./names.js";

const DEFAULT_RETRY: RetryOptions = { attempts: 4, baseDelayMs: 200, maxDelayMs: 10_000, timeoutMs: 30_000 };

/** The options `azureKeyVaultBackend` resolves once, at creation. */
export interface AzureSettings {
  readonly env: Environment;
  /** Prefix of every secret name. */
  readonly prefix: string;
  readonly onDeletedName: DeletedNamePolicy;
  /** The vault URL; undefined only when a ready `client` is given. */
  readonly endpoint: string | undefined;
  readonly retry: RetryOptions;
  readonly pollIntervalMs: number;
  readonly maxWriteAttempts: number;
  readonly claimTtlMs: number;
  /** Scrubs the client secret and every token the credential hands out from errors. */
  readonly redactor: Redactor;
}

/** Checks and resolves the options; bad or missing values are `ConfigurationError`s. */
export function azureSettings(options: AzureKeyVaultBackendOptions): AzureSettings {
  const env = options.env ?? process.env;
  const onDeletedName = options.onDeletedName ?? env.CREDKIT_AZURE_ON_DELETED ?? "recover";
  if (onDeletedName !== "recover" && onDeletedName !== "conflict") {
    throw new ConfigurationError('CREDKIT_AZURE_ON_DELETED must be "recover" or "conflict".', {
      missing: ["CREDKIT_AZURE_ON_DELETED"],
      available: ["recover", "conflict"],
    });
  }
  const endpoint = options.endpoint ?? env.AZURE_KEY_VAULT_URL;
  if (!options.client && !endpoint) {
    throw new ConfigurationError("The Azure Key Vault backend needs a vault URL: set AZURE_KEY_VAULT_URL.", {
      missing: ["AZURE_KEY_VAULT_URL"],
    });
  }
  return {
    env,
    prefix: checkPrefix(options.prefix ?? env.CREDKIT_AZURE_PREFIX ?? DEFAULT_PREFIX),
    onDeletedName,
    endpoint,
    retry: { ...DEFAULT_RETRY, ...options.retry },
    pollIntervalMs: options.pollIntervalMs ?? 1000,
    maxWriteAttempts: Math.max(1, options.maxWriteAttempts ?? 20),
    claimTtlMs: options.claimTtlMs ?? 120_000,
    redactor: new Redactor([options.clientSecret ?? env.AZURE_CLIENT_SECRET]),
  };
}

export const VARIABLES: readonly BackendVariable[] = [
  {
    name: "AZURE_KEY_VAULT_URL",
    description: "Vault URL, e.g. https://my-vault.vault.azure.net (required).",
  },
  {
    name: "CREDKIT_AZURE_CREDENTIAL",
    description: "default (DefaultAzureCredential), client-secret or managed-identity (default: default).",
  },
  { name: "AZURE_TENANT_ID", description: "Entra tenant id, for client-secret." },
  {
    name: "AZURE_CLIENT_ID",
    description: "Client id: the service principal, or a user-assigned managed identity.",
  },
  { name: "AZURE_CLIENT_SECRET", description: "Service principal secret, for client-secret." },
  { name: "CREDKIT_AZURE_PREFIX", description: "Secret name prefix (default credkit-)." },
  {
    name: "CREDKIT_AZURE_ON_DELETED",
    description: "Writing a soft-deleted name: recover (default) or conflict.",
  },
];

function credentialKind(env: Environment): AzureCredentialKind | undefined {
  const kind = env.CREDKIT_AZURE_CREDENTIAL ?? "default";
  return isCredentialKind(kind) ? kind : undefined;
}

/** Every required variable missing from `env`, for the chosen credential kind. */
export function missingVariables(env: Environment): string[] {
  const missing = env.AZURE_KEY_VAULT_URL ? [] : ["AZURE_KEY_VAULT_URL"];
  const kind = credentialKind(env);
  if (kind === undefined) missing.push("CREDKIT_AZURE_CREDENTIAL");
  else missing.push(...requiredFor(kind).filter((name) => !env[name]));
  return missing;
}
