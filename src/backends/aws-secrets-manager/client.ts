/**
 * The SecretsManagerClient: built lazily from options (or the standard AWS chain), or handed in.
 * Every call runs under one per-call timeout that bounds the SDK's own retries and backoff.
 */
import type { SecretsManagerClient, SecretsManagerClientConfig } from "@aws-sdk/client-secrets-manager";
import { UnavailableError } from "../../core/errors.js";
import { importOptional, type LibOption } from "../../core/import-optional.js";
import { checkClientExclusive } from "../../kit/client-options.js";
import { undiciRequestHandler } from "./transport.js";

/** The `@aws-sdk/client-secrets-manager` module. */
export type SecretsManagerModule = typeof import("@aws-sdk/client-secrets-manager");

/** How to reach Secrets Manager: an existing client, or settings for the client credkit builds. */
export type AwsConnectionOptions = {
  /** The SDK module itself, or a loader, instead of `import("@aws-sdk/client-secrets-manager")`. */
  lib?: LibOption<SecretsManagerModule> | undefined;
} & (AwsExistingClient | AwsClientSettings);

/** An existing client, used as is (its region, endpoint, credentials and retry settings). */
export interface AwsExistingClient {
  /** An existing client, used as is. credkit never destroys a client it did not create. */
  client: SecretsManagerClient;
  region?: never | undefined;
  endpoint?: never | undefined;
  credentials?: never | undefined;
  maxAttempts?: never | undefined;
  clientOptions?: never | undefined;
}

/** Settings for the client credkit builds; each defaults to the standard AWS chain. */
export interface AwsClientSettings {
  client?: never | undefined;
  /**
   * AWS region.
   * @default the standard chain: AWS_REGION, then the profile's region
   */
  region?: string | undefined;
  /**
   * Endpoint URL, e.g. a VPC endpoint or a local emulator.
   * @default the standard chain: AWS_ENDPOINT_URL_SECRETS_MANAGER, AWS_ENDPOINT_URL, then the regional endpoint
   */
  endpoint?: string | undefined;
  /**
   * Static credentials or a provider.
   * @default the standard chain: environment, SSO/profiles, web identity (IRSA), ECS, EC2 instance metadata
   */
  credentials?: SecretsManagerClientConfig["credentials"] | undefined;
  /**
   * Attempts per call, the first included, with the SDK's standard backoff (throttling,
   * 5xx and connection errors are retried).
   * @default 3 (the SDK default, or AWS_MAX_ATTEMPTS)
   */
  maxAttempts?: number | undefined;
  /** Any other `SecretsManagerClientConfig` settings for the client credkit builds. */
  clientOptions?: SecretsManagerClientConfig | undefined;
}

export interface AwsConnection {
  readonly sdk: SecretsManagerModule;
  readonly client: SecretsManagerClient;
}

/** The credentials' own secrets, for scrubbing from error causes. */
export function ownSecrets(options: AwsConnectionOptions): string[] {
  const credentials = options.credentials ?? options.clientOptions?.credentials;
  if (!credentials || typeof credentials === "function") return [];
  return [credentials.accessKeyId, credentials.secretAccessKey, credentials.sessionToken].filter(
    (value): value is string => typeof value === "string",
  );
}

/** Throws when a client and client settings are both given (the types forbid it; JavaScript callers may not). */
export function checkConnectionOptions(options: AwsConnectionOptions, source: string): void {
  const settings = ["region", "endpoint", "credentials", "maxAttempts", "clientOptions"] as const;
  checkClientExclusive(options as AwsClientSettings, settings, source);
}

/** Lazily imports the SDK and builds (or adopts) the client, once. */
export function lazyConnection(
  options: AwsConnectionOptions,
  usedBy: string,
  timeoutMs: number,
): { get(): Promise<AwsConnection>; close(): Promise<void> } {
  let pending: Promise<AwsConnection> | undefined;
  let built: SecretsManagerClient | undefined;
  return {
    get() {
      pending ??= (async () => {
        const sdk = await importOptional(
          "@aws-sdk/client-secrets-manager",
          usedBy,
          () => import("@aws-sdk/client-secrets-manager"),
          options.lib,
        );
        if (options.client) return { sdk, client: options.client };
        const config: SecretsManagerClientConfig = { ...options.clientOptions };
        if (options.region !== undefined) config.region = options.region;
        if (options.endpoint !== undefined) config.endpoint = options.endpoint;
        if (options.credentials !== undefined) config.credentials = options.credentials;
        if (options.maxAttempts !== undefined) config.maxAttempts = options.maxAttempts;
        // why: undici is cheaper per request than the SDK's node:http handler (see transport.ts).
        config.requestHandler ??= undiciRequestHandler(timeoutMs);
        built = new sdk.SecretsManagerClient(config);
        return { sdk, client: built };
      })().catch((error: unknown) => {
        pending = undefined;
        throw error;
      });
      return pending;
    },
    async close() {
      built?.destroy();
      built = undefined;
      pending = undefined;
    },
  };
}

/**
 * Runs one SDK call under `timeoutMs`, SDK retries included: the request is aborted and an
 * `UnavailableError` thrown when time runs out. Other failures are thrown as the SDK raised them.
 */
export async function withTimeout<T>(
  timeoutMs: number,
  source: string,
  call: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(
        new UnavailableError(
          `AWS Secrets Manager did not answer within ${timeoutMs} ms (option timeoutMs).`,
          { source },
        ),
      );
    }, timeoutMs);
  });
  try {
    return await Promise.race([call(controller.signal), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
