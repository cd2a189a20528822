/**
 * What every operation of one AWS backend shares: its checked configuration, the lazily built
 * client, the per-call time limit and the mapping of SDK errors to credkit errors.
 */
import type { CredkitError } from "../../core/errors.js";
import type { BackendKey } from "../../core/key-encoding.js";
import { type AwsConnection, lazyConnection, ownSecrets, withTimeout } from "./client.js";
import { type AwsConfig, type AwsSecretsManagerBackendOptions, resolveConfig } from "./config.js";
import { awsError, errorCode, NAME, saysMarkedForDeletion } from "./errors.js";
import { secretName } from "./names.js";

/** One backend's shared state, handed to each operation. */
export interface AwsContext {
  readonly config: AwsConfig;
  /** Runs one SDK call under the per-call timeout; SDK errors are thrown untouched. */
  call<T>(run: (aws: AwsConnection, signal: AbortSignal) => Promise<T>): Promise<T>;
  /** The credkit error for an SDK failure while doing `what`, scrubbed of the client's own keys. */
  fail(error: unknown, what: string): CredkitError;
  /** The secret name of a key. */
  nameOf(key: BackendKey): string;
  /** Builds the client on first use (once); `close` destroys a client credkit built. */
  readonly connection: ReturnType<typeof lazyConnection>;
}

/** Checks the options and prepares the context; nothing is imported or sent yet. */
export function createContext(options: AwsSecretsManagerBackendOptions): AwsContext {
  const config = resolveConfig(options);
  const scrub = ownSecrets(options);
  const connection = lazyConnection(options, "the aws-secrets-manager backend", config.timeoutMs);
  return {
    config,
    connection,
    async call(run) {
      const aws = await connection.get();
      return withTimeout(config.timeoutMs, NAME, (signal) => run(aws, signal));
    },
    fail: (error, what) => awsError(error, what, scrub),
    nameOf: (key) => secretName(config.prefix, key),
  };
}

/** True for the service's answer about a secret whose deletion is scheduled. */
export function isMarkedForDeletion(error: unknown): boolean {
  return (
    errorCode(error) === "InvalidRequestException" &&
    saysMarkedForDeletion((error as { message?: string }).message)
  );
}

/** True when the secret does not exist (never created, or purged). */
export function isMissing(error: unknown): boolean {
  return errorCode(error) === "ResourceNotFoundException";
}

/** Runs one SDK call: undefined when the secret does not exist, any other failure typed for `what`. */
export async function unlessMissing<T>(
  context: AwsContext,
  what: string,
  run: (aws: AwsConnection, signal: AbortSignal) => Promise<T>,
): Promise<T | undefined> {
  try {
    return await context.call(run);
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw context.fail(error, what);
  }
}
