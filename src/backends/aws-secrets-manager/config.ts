/**
 * The options of the AWS backend, checked once at creation, and the same options read from
 * environment variables.
 */
import { integerVariable } from "../../core/backend-support.js";
import { ConfigurationError } from "../../core/errors.js";
import type { Environment } from "../../kit/definition.js";
import { type AwsConnectionOptions, checkConnectionOptions } from "./client.js";
import { NAME } from "./errors.js";
import { checkPrefix } from "./names.js";

/** Options of `awsSecretsManagerBackend`: how to reach the service, and how credkit stores in it. */
export type AwsSecretsManagerBackendOptions = AwsConnectionOptions & AwsStorageOptions;

/** How credkit names, encrypts, tags and deletes the secrets it writes. */
export interface AwsStorageOptions {
  /**
   * Prepended to every secret name (`A-Za-z0-9/_+=.@-`). Scope IAM policies to it.
   * @default "credkit/"
   */
  prefix?: string | undefined;
  /**
   * Customer managed KMS key (id, ARN or alias) for new secrets.
   * @default the account's `aws/secretsmanager` key
   */
  kmsKeyId?: string | undefined;
  /**
   * Days a deleted credential stays restorable (7 to 30).
   * @default 30
   */
  recoveryWindowInDays?: number | undefined;
  /** Extra tags put on every secret credkit creates (beside `credkit:tenant` and `credkit:type`). */
  tags?: Readonly<Record<string, string>> | undefined;
  /**
   * Time limit of one backend call in milliseconds, SDK retries and backoff included. A call
   * that runs out of time fails with `UnavailableError`.
   * @default 10000
   */
  timeoutMs?: number | undefined;
  /**
   * Rounds an unconditional write retries when other writers keep taking the next version.
   * @default 100
   */
  maxWriteAttempts?: number | undefined;
}

/** The storage options with their defaults applied, checked. */
export interface AwsConfig {
  readonly prefix: string;
  readonly kmsKeyId: string | undefined;
  readonly recoveryWindowInDays: number;
  readonly tags: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly maxWriteAttempts: number;
}

const DEFAULT_PREFIX = "credkit/";
const DEFAULT_RECOVERY_DAYS = 30;
const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_WRITE_ATTEMPTS = 100;

/** Checks the options; throws `ConfigurationError` for a bad prefix, recovery window or client mix. */
export function resolveConfig(options: AwsSecretsManagerBackendOptions): AwsConfig {
  checkConnectionOptions(options, NAME);
  const recoveryWindowInDays = options.recoveryWindowInDays ?? DEFAULT_RECOVERY_DAYS;
  if (!Number.isInteger(recoveryWindowInDays) || recoveryWindowInDays < 7 || recoveryWindowInDays > 30) {
    throw new ConfigurationError(
      "recoveryWindowInDays must be a whole number of days from 7 to 30 (CREDKIT_AWS_RECOVERY_WINDOW_DAYS).",
      {},
      { source: NAME },
    );
  }
  return {
    prefix: checkPrefix(options.prefix ?? DEFAULT_PREFIX, NAME),
    kmsKeyId: options.kmsKeyId,
    recoveryWindowInDays,
    tags: options.tags ?? {},
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxWriteAttempts: options.maxWriteAttempts ?? DEFAULT_WRITE_ATTEMPTS,
  };
}

/** The environment variables the backend reads, for `definition.variables` and the docs. */
export const VARIABLES = [
  {
    name: "AWS_REGION",
    description: "AWS region of the secrets (or AWS_DEFAULT_REGION, or a profile's region via AWS_PROFILE).",
  },
  { name: "AWS_DEFAULT_REGION", description: "Region used when AWS_REGION is not set." },
  {
    name: "AWS_PROFILE",
    description: "Named profile from ~/.aws/config and ~/.aws/credentials (region, credentials, SSO).",
  },
  {
    name: "AWS_ACCESS_KEY_ID",
    description:
      "Static credentials (with AWS_SECRET_ACCESS_KEY and optionally AWS_SESSION_TOKEN); otherwise the standard chain.",
  },
  { name: "AWS_SECRET_ACCESS_KEY", description: "Secret of AWS_ACCESS_KEY_ID." },
  { name: "AWS_SESSION_TOKEN", description: "Session token of temporary credentials." },
  {
    name: "AWS_ROLE_ARN",
    description: "Role assumed with a web identity token (EKS IRSA), with AWS_WEB_IDENTITY_TOKEN_FILE.",
  },
  { name: "AWS_WEB_IDENTITY_TOKEN_FILE", description: "Web identity token file (EKS IRSA)." },
  {
    name: "AWS_ENDPOINT_URL_SECRETS_MANAGER",
    description: "Endpoint override for Secrets Manager (VPC endpoint, emulator).",
  },
  { name: "AWS_ENDPOINT_URL", description: "Endpoint override for every AWS service." },
  { name: "AWS_MAX_ATTEMPTS", description: "Attempts per call with the SDK's backoff (default 3)." },
  { name: "CREDKIT_AWS_PREFIX", description: "Secret name prefix (default credkit/)." },
  {
    name: "CREDKIT_AWS_KMS_KEY_ID",
    description: "Customer managed KMS key for new secrets (default aws/secretsmanager).",
  },
  {
    name: "CREDKIT_AWS_RECOVERY_WINDOW_DAYS",
    description: "Days a deleted credential stays restorable, 7 to 30 (default 30).",
  },
  {
    name: "CREDKIT_AWS_TIMEOUT_MS",
    description: "Time limit of one call, SDK retries included (default 10000).",
  },
] as const;

/** The variables without which no region can be found: AWS_REGION unless a fallback is set. */
export function missingVariables(env: Environment): string[] {
  const hasRegion = [env.AWS_REGION, env.AWS_DEFAULT_REGION, env.AWS_PROFILE].some(
    (value) => value !== undefined && value !== "",
  );
  return hasRegion ? [] : ["AWS_REGION"];
}

/**
 * Credentials named in `env` itself, so a custom `env` (not `process.env`) is honoured like the
 * SDK chain honours the process environment: a profile first when `AWS_PROFILE` is set, else
 * static keys. Passing the keys explicitly also lets errors be scrubbed of them.
 */
function credentialsFromEnv(env: Environment): Pick<AwsConnectionOptions, "credentials" | "clientOptions"> {
  if (env.AWS_PROFILE) return { clientOptions: { profile: env.AWS_PROFILE } };
  if (!env.AWS_ACCESS_KEY_ID || !env.AWS_SECRET_ACCESS_KEY) return {};
  return {
    credentials: {
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
    },
  };
}

/** The backend's options from environment variables; throws `ConfigurationError` for a malformed number. */
export function optionsFromEnv(env: Environment): AwsSecretsManagerBackendOptions {
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined;
  const endpoint = env.AWS_ENDPOINT_URL_SECRETS_MANAGER || env.AWS_ENDPOINT_URL || undefined;
  const recoveryWindowInDays = integerVariable(env, "CREDKIT_AWS_RECOVERY_WINDOW_DAYS", {
    min: 7,
    max: 30,
    source: NAME,
  });
  const timeoutMs = integerVariable(env, "CREDKIT_AWS_TIMEOUT_MS", { min: 1, source: NAME });
  const maxAttempts = integerVariable(env, "AWS_MAX_ATTEMPTS", { min: 1, source: NAME });
  return {
    ...(region !== undefined ? { region } : {}),
    ...(endpoint !== undefined ? { endpoint } : {}),
    ...(maxAttempts !== undefined ? { maxAttempts } : {}),
    ...credentialsFromEnv(env),
    ...(env.CREDKIT_AWS_PREFIX !== undefined ? { prefix: env.CREDKIT_AWS_PREFIX } : {}),
    ...(env.CREDKIT_AWS_KMS_KEY_ID ? { kmsKeyId: env.CREDKIT_AWS_KMS_KEY_ID } : {}),
    ...(recoveryWindowInDays !== undefined ? { recoveryWindowInDays } : {}),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
  } as AwsSecretsManagerBackendOptions;
}
