/**
 * The options of the GCP backend, checked once at creation, and the same options read from
 * environment variables.
 */
import { ConfigurationError } from "../../core/errors.js";
import type { LibOption } from "../../core/import-optional.js";
import { type RetryOptions, resolveRetryOptions } from "../../core/retry.js";
import { checkClientExclusive } from "../../kit/client-options.js";
import type { Environment } from "../../kit/definition.js";
import type { GoogleCredentialsJson } from "./auth.js";
import type { CallOptionsLike, SecretManagerClient, SecretManagerModule } from "./client.js";
import { NAME } from "./errors.js";
import { checkPrefix } from "./names.js";

/** How new secrets are replicated. */
export type GcpReplication =
  /** Google chooses the locations. */
  | "automatic"
  /** User-managed replication to these locations, e.g. `["europe-west1", "europe-west4"]`. */
  | { readonly locations: readonly string[] };

/** Options of `gcpSecretManagerBackend`: an existing client or settings for one, and how credkit stores. */
export type GcpSecretManagerBackendOptions = GcpStorageOptions & {
  /** The `@google-cloud/secret-manager` module, or a loader for it, instead of importing it. */
  lib?: LibOption<SecretManagerModule> | undefined;
} & (GcpExistingClient | GcpClientSettings);

/** An existing `SecretManagerServiceClient`, used as is; credkit does not close a client it was given. */
export interface GcpExistingClient {
  client: SecretManagerClient;
  credentials?: never | undefined;
  keyFilename?: never | undefined;
  endpoint?: never | undefined;
  universeDomain?: never | undefined;
  fallback?: never | undefined;
  clientOptions?: never | undefined;
}

/** Settings for the client credkit builds on first use. */
export interface GcpClientSettings {
  client?: never | undefined;
  /**
   * Credentials JSON (a service account key, or another Google credential JSON), as text or
   * parsed. It is checked before use and never logged. Omitted with `keyFilename`: Application
   * Default Credentials (`GOOGLE_APPLICATION_CREDENTIALS`, gcloud, the metadata server).
   */
  credentials?: string | GoogleCredentialsJson | undefined;
  /** Path of a JSON key file, checked before use. */
  keyFilename?: string | undefined;
  /**
   * The API's `host` or `host:port`, e.g. a regional endpoint `secretmanager.europe-west1.rep.googleapis.com`.
   * @default "secretmanager.googleapis.com" (port 443)
   */
  endpoint?: string | undefined;
  /**
   * Universe domain. Setting it also stops the SDK from discovering credentials just to learn it.
   * @default "googleapis.com"
   */
  universeDomain?: string | undefined;
  /**
   * Use HTTP/1.1 REST instead of gRPC (for environments without HTTP/2).
   * @default false
   */
  fallback?: boolean | undefined;
  /** Further options for the `SecretManagerServiceClient` constructor (e.g. `sslCreds`). */
  clientOptions?: Record<string, unknown> | undefined;
}

/** Where credkit keeps its secrets and how it calls the service. */
export interface GcpStorageOptions {
  /**
   * The project holding the secrets.
   * @default env.GOOGLE_CLOUD_PROJECT ?? env.GCLOUD_PROJECT ?? the credentials' project_id ?? the client's detected project
   */
  projectId?: string | undefined;
  /**
   * Prefix of every secret id (`[A-Za-z0-9_-]`), so credkit's secrets sit apart from others.
   * @default "credkit-"
   */
  prefix?: string | undefined;
  /**
   * Replication of secrets credkit creates.
   * @default "automatic"
   */
  replication?: GcpReplication | undefined;
  /**
   * Retries and per-call time limit. The SDK's own retry policy (up to 600 s for reads) is
   * switched off for every call; these bounds apply instead.
   * @default { attempts: 3, baseDelayMs: 100, maxDelayMs: 2000, timeoutMs: 10000 }
   */
  retry?: RetryOptions | undefined;
  /**
   * How long a write claim holds before other writers may take over (a writer killed between
   * claim and add, or whose add timed out, blocks the credential this long).
   * @default 3 × retry.timeoutMs
   */
  claimTtlMs?: number | undefined;
  /**
   * Environment consulted for the project.
   * @default process.env
   */
  env?: Environment | undefined;
}

/** The options with their defaults applied, checked. */
export interface GcpConfig {
  readonly prefix: string;
  /** The longest `BackendKey.id` the prefix leaves room for. */
  readonly maxKeyLength: number;
  /** The `replication` field of a new secret. */
  readonly replication: Record<string, unknown>;
  readonly retry: Required<RetryOptions>;
  readonly claimTtlMs: number;
  /** gax call options of every call: the time limit, and the SDK's own retries off. */
  readonly callOptions: CallOptionsLike;
  /** The project named by the options or, at first use, the environment. */
  projectFromOptions(): string | undefined;
}

const DEFAULT_PREFIX = "credkit-";

function replicationOf(replication: GcpReplication): Record<string, unknown> {
  if (replication === "automatic") return { automatic: {} };
  if (replication.locations.length === 0) {
    throw new ConfigurationError(
      '"replication.locations" must name at least one location.',
      { missing: ["replication"] },
      { source: NAME },
    );
  }
  return { userManaged: { replicas: replication.locations.map((location) => ({ location })) } };
}

/** Checks the options; throws `ConfigurationError` for a client with client settings, a bad prefix or empty replication locations. */
export function resolveConfig(options: GcpSecretManagerBackendOptions): GcpConfig {
  const settings = [
    "credentials",
    "keyFilename",
    "endpoint",
    "universeDomain",
    "fallback",
    "clientOptions",
  ] as const;
  checkClientExclusive(options as GcpClientSettings, settings, NAME);
  const env = options.env ?? process.env;
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const retry = resolveRetryOptions(options.retry);
  return {
    prefix,
    maxKeyLength: checkPrefix(prefix, NAME),
    replication: replicationOf(options.replication ?? "automatic"),
    retry,
    claimTtlMs: options.claimTtlMs ?? 3 * retry.timeoutMs,
    callOptions: { timeout: retry.timeoutMs, retry: { retryCodes: [] } },
    projectFromOptions: () => options.projectId ?? env.GOOGLE_CLOUD_PROJECT ?? env.GCLOUD_PROJECT,
  };
}

/** `host` or `host:port` as the client's `apiEndpoint` and `port`. */
export function endpointParts(endpoint: string): { apiEndpoint: string; port?: number } {
  const match = /^(.*):(\d+)$/.exec(endpoint.trim());
  return match
    ? { apiEndpoint: match[1] as string, port: Number(match[2]) }
    : { apiEndpoint: endpoint.trim() };
}

/** The environment variables the backend reads, for `definition.variables` and the docs. */
export const VARIABLES = [
  {
    name: "GOOGLE_CLOUD_PROJECT",
    description: "Project holding the secrets (GCLOUD_PROJECT is accepted too).",
  },
  {
    name: "GOOGLE_APPLICATION_CREDENTIALS",
    description:
      "Path of a credentials JSON file for Application Default Credentials (read by the Google auth library).",
  },
  {
    name: "CREDKIT_GCP_CREDENTIALS_JSON",
    description: "Service account key JSON given inline instead of a file (checked, never logged).",
  },
  { name: "CREDKIT_GCP_SECRET_PREFIX", description: 'Prefix of every secret id; default "credkit-".' },
  {
    name: "CREDKIT_GCP_REPLICATION_LOCATIONS",
    description: "Comma-separated locations for user-managed replication; unset: automatic replication.",
  },
  {
    name: "CREDKIT_GCP_API_ENDPOINT",
    description: "API host[:port], e.g. a regional endpoint; default the global one.",
  },
] as const;

/** The project variable, unless one of its names is set. */
export function missingVariables(env: Environment): string[] {
  return env.GOOGLE_CLOUD_PROJECT || env.GCLOUD_PROJECT ? [] : ["GOOGLE_CLOUD_PROJECT"];
}

/** Comma-separated locations → user-managed replication; empty → automatic. */
function replicationFromEnv(value: string | undefined): GcpReplication {
  const locations = (value ?? "")
    .split(",")
    .map((location) => location.trim())
    .filter(Boolean);
  return locations.length > 0 ? { locations } : "automatic";
}

/** The backend's options from environment variables. */
export function optionsFromEnv(env: Environment): GcpSecretManagerBackendOptions {
  return {
    env,
    ...(env.CREDKIT_GCP_CREDENTIALS_JSON ? { credentials: env.CREDKIT_GCP_CREDENTIALS_JSON } : {}),
    ...(env.CREDKIT_GCP_SECRET_PREFIX !== undefined ? { prefix: env.CREDKIT_GCP_SECRET_PREFIX } : {}),
    replication: replicationFromEnv(env.CREDKIT_GCP_REPLICATION_LOCATIONS),
    ...(env.CREDKIT_GCP_API_ENDPOINT ? { endpoint: env.CREDKIT_GCP_API_ENDPOINT } : {}),
  };
}
