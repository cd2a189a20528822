/**
 * The Secret Manager client: adopted when given, else built on first use from checked
 * credentials; and the project the secrets live in.
 */
import { ConfigurationError, CredkitError } from "../../core/errors.js";
import { importOptional } from "../../core/import-optional.js";
import { withRetry } from "../../core/retry.js";
import { resolveCredentials } from "./auth.js";
import type { LooseClient, SecretManagerModule } from "./client.js";
import type { GcpConfig, GcpSecretManagerBackendOptions } from "./config.js";
import { endpointParts } from "./config.js";
import { type GrpcStatusName, gcpError, grpcStatusOf, NAME } from "./errors.js";

const PACKAGE = "@google-cloud/secret-manager";

/** The gRPC status behind each error `classify` returns, for callers that branch on it. */
const statuses = new WeakMap<object, GrpcStatusName>();

/** The gRPC status of an error from `classify`, if it had one. */
export function statusOf(error: unknown): GrpcStatusName | undefined {
  return typeof error === "object" && error !== null ? statuses.get(error) : undefined;
}

/** Maps an SDK failure while doing `action` to a credkit error (scrubbed of `secrets`), remembering its status. */
export function classify(action: string, secrets: readonly string[]) {
  return (error: unknown): CredkitError => {
    if (CredkitError.isInstance(error)) return error;
    const typed = gcpError(error, action, [...secrets]);
    const status = grpcStatusOf(error);
    if (status) statuses.set(typed, status);
    return typed;
  };
}

/** A ready client, the project, and the strings to scrub from its errors. */
export interface Connection {
  readonly client: LooseClient;
  readonly project: string;
  readonly secrets: readonly string[];
  /** Whether credkit built the client (and so closes it). */
  readonly owned: boolean;
}

type ClientClass = new (options: Record<string, unknown>) => LooseClient;

/** The client class of the SDK module (a default export in some bundlings). */
async function clientClass(options: GcpSecretManagerBackendOptions): Promise<ClientClass> {
  const sdk = await importOptional(
    PACKAGE,
    "the gcp backend",
    () => import("@google-cloud/secret-manager"),
    options.lib,
  );
  return (sdk.SecretManagerServiceClient ??
    (sdk as unknown as { default?: SecretManagerModule }).default
      ?.SecretManagerServiceClient) as unknown as ClientClass;
}

/** Builds a client from the settings; a constructor failure is a `ConfigurationError`. */
async function buildClient(
  options: GcpSecretManagerBackendOptions,
  config: GcpConfig,
): Promise<{ client: LooseClient; secrets: string[]; fromCredentials: string | undefined }> {
  const resolved = await resolveCredentials(options, NAME);
  const fromCredentials = resolved.credentials?.project_id;
  const Client = await clientClass(options);
  const projectId = config.projectFromOptions() ?? fromCredentials;
  try {
    const client = new Client({
      universeDomain: options.universeDomain ?? "googleapis.com",
      ...(resolved.credentials ? { credentials: resolved.credentials } : {}),
      ...(projectId ? { projectId } : {}),
      ...(options.endpoint !== undefined ? endpointParts(options.endpoint) : {}),
      ...(options.fallback !== undefined ? { fallback: options.fallback } : {}),
      ...options.clientOptions,
    });
    return { client, secrets: resolved.secrets, fromCredentials };
  } catch (error) {
    throw new ConfigurationError(
      "The Secret Manager client could not be created from the options given.",
      {},
      { source: NAME, cause: classify("create the client", resolved.secrets)(error) },
    );
  }
}

/** The project the client detects (one attempt), or a `ConfigurationError` naming the variable. */
async function detectProject(client: LooseClient, config: GcpConfig, secrets: readonly string[]) {
  try {
    return await withRetry(() => client.getProjectId(), classify("detect the project", secrets), {
      ...config.retry,
      attempts: 1,
    });
  } catch (error) {
    throw new ConfigurationError(
      "No GCP project: set GOOGLE_CLOUD_PROJECT or the projectId option.",
      { missing: ["GOOGLE_CLOUD_PROJECT"] },
      { source: NAME, cause: error },
    );
  }
}

/** Adopts or builds the client and finds the project. */
export async function connect(
  options: GcpSecretManagerBackendOptions,
  config: GcpConfig,
): Promise<Connection> {
  if (options.client) {
    const client = options.client as unknown as LooseClient;
    const project = config.projectFromOptions() ?? (await detectProject(client, config, []));
    return { client, project, secrets: [], owned: false };
  }
  const { client, secrets, fromCredentials } = await buildClient(options, config);
  try {
    const project =
      config.projectFromOptions() ?? fromCredentials ?? (await detectProject(client, config, secrets));
    return { client, project, secrets, owned: true };
  } catch (error) {
    await client.close().catch(() => undefined);
    throw error;
  }
}
