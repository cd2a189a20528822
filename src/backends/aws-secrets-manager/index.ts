/**
 * `aws`: AWS Secrets Manager through `@aws-sdk/client-secrets-manager` (an optional peer,
 * imported on first use).
 *
 * One credential is one secret named `<prefix><tenant segment>/<name segment>`; one credkit
 * version is one secret version whose id is derived from the integer (see `names.ts`). A new
 * credential is `CreateSecret`, a new value `PutSecretValue` with that derived
 * `ClientRequestToken`, so retried writes are idempotent and the service itself decides which of
 * two writers of version `n` wins. Reads use `AWSCURRENT`, a pinned `VersionId` or `AWSPREVIOUS`;
 * several latest reads go through `BatchGetSecretValue` (20 a call). Deletes schedule deletion
 * with a recovery window (`RestoreSecret` undoes them); purges use `ForceDeleteWithoutRecovery`.
 */
import type {
  BatchGetSecretValueCommandOutput,
  DescribeSecretCommandOutput,
  GetSecretValueCommandOutput,
  ListSecretsCommandOutput,
  SecretListEntry,
  Tag,
} from "@aws-sdk/client-secrets-manager";
import type {
  Backend,
  BackendListEntry,
  BackendListOptions,
  BackendRecord,
  RecordMetadata,
} from "../../core/backend.js";
import { integerVariable, missingRecord, versionConflict } from "../../core/backend-support.js";
import type { CredentialType } from "../../core/credential-types.js";
import {
  ConfigurationError,
  type CredkitError,
  DeletedError,
  IntegrityError,
  UnavailableError,
} from "../../core/errors.js";
import { type BackendKey, unescapeComponent } from "../../core/key-encoding.js";
import type { BackendDefinition, Environment } from "../../kit/definition.js";
import {
  type AwsConnection,
  type AwsConnectionOptions,
  checkConnectionOptions,
  lazyConnection,
  ownSecrets,
  withTimeout,
} from "./client.js";
import { awsError, errorCode, NAME, saysMarkedForDeletion } from "./errors.js";
import {
  checkPrefix,
  MAX_SECRET_NAME,
  parseSecretName,
  secretName,
  tenantPrefix,
  versionToken,
  versionWithStage,
} from "./names.js";
import { decodeDeletedDescription, decodeRecord, encodeDeletedDescription, encodeRecord } from "./record.js";

export type { AwsConnectionOptions, SecretsManagerModule } from "./client.js";
export { secretName, versionToken } from "./names.js";

/** Options of `awsSecretsManagerBackend`. */
export interface AwsSecretsManagerBackendOptions extends AwsConnectionOptions {
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
   * Rounds an unconditional write retries when other writers keep taking the next version.
   * @default 100
   */
  maxWriteAttempts?: number | undefined;
}

/** The AWS backend: the `Backend` contract plus reads by the `AWSPREVIOUS` stage. */
export interface AwsSecretsManagerBackend extends Backend {
  /** The version before the current one (stage `AWSPREVIOUS`), or undefined when there is none. */
  getPrevious(key: BackendKey): Promise<BackendRecord | undefined>;
  /** The secret name a key maps to. */
  secretNameOf(key: BackendKey): string;
}

const DEFAULT_PREFIX = "credkit/";
const DEFAULT_RECOVERY_DAYS = 30;
const DEFAULT_TIMEOUT_MS = 10_000;
const BATCH_SIZE = 20;
const LIST_PAGE_MAX = 100;
const CURRENT = "AWSCURRENT";
const PREVIOUS = "AWSPREVIOUS";
export const TENANT_TAG = "credkit:tenant";
export const TYPE_TAG = "credkit:type";
const DESCRIPTION = "credkit credential";

/** What DescribeSecret says about a secret, reduced to what writes need. */
interface SecretState {
  readonly deleted: boolean;
  /** The integer version carrying AWSCURRENT; 0 when no version does. */
  readonly latest: number;
  readonly type: string | undefined;
}

function tagValue(tags: readonly Tag[] | undefined, key: string): string | undefined {
  return tags?.find((tag) => tag.Key === key)?.Value;
}

function isoOf(date: Date | undefined): string {
  return (date ?? new Date(0)).toISOString();
}

/** Creates an AWS Secrets Manager backend. */
export function awsSecretsManagerBackend(
  options: AwsSecretsManagerBackendOptions = {},
): AwsSecretsManagerBackend {
  checkConnectionOptions(options, NAME);
  const prefix = checkPrefix(options.prefix ?? DEFAULT_PREFIX, NAME);
  const recoveryDays = options.recoveryWindowInDays ?? DEFAULT_RECOVERY_DAYS;
  if (!Number.isInteger(recoveryDays) || recoveryDays < 7 || recoveryDays > 30) {
    throw new ConfigurationError(
      "recoveryWindowInDays must be a whole number of days from 7 to 30 (CREDKIT_AWS_RECOVERY_WINDOW_DAYS).",
      {},
      { source: NAME },
    );
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxWriteAttempts = options.maxWriteAttempts ?? 100;
  const scrub = ownSecrets(options);
  const connection = lazyConnection(options, "the aws-secrets-manager backend");

  /** Runs one SDK call under the per-call timeout; SDK errors are thrown untouched. */
  const raw = async <T>(call: (aws: AwsConnection, signal: AbortSignal) => Promise<T>): Promise<T> => {
    const aws = await connection.get();
    return withTimeout(timeoutMs, NAME, (signal) => call(aws, signal));
  };
  const fail = (error: unknown, what: string): CredkitError => awsError(error, what, scrub);
  const isMarkedForDeletion = (error: unknown): boolean =>
    errorCode(error) === "InvalidRequestException" &&
    saysMarkedForDeletion((error as { message?: string }).message);

  const nameOf = (key: BackendKey) => secretName(prefix, key);

  /** GetSecretValue: the record, undefined on confirmed absence, DeletedError when scheduled. */
  const read = async (
    key: BackendKey,
    selector: { VersionId?: string; VersionStage?: string },
  ): Promise<BackendRecord | undefined> => {
    let output: GetSecretValueCommandOutput;
    try {
      output = await raw(({ sdk, client }, abortSignal) =>
        client.send(new sdk.GetSecretValueCommand({ SecretId: nameOf(key), ...selector }), { abortSignal }),
      );
    } catch (error) {
      if (errorCode(error) === "ResourceNotFoundException") return undefined;
      // why: "marked for deletion" becomes DeletedError("scheduled_for_deletion") in awsError.
      throw fail(error, `read credential "${key.name}"`);
    }
    return decodeRecord(output.SecretString, output.VersionId, NAME);
  };

  /** DescribeSecret reduced to what writes need; undefined when the secret does not exist. */
  const describe = async (name: string, what: string): Promise<SecretState | undefined> => {
    let output: DescribeSecretCommandOutput;
    try {
      output = await raw(({ sdk, client }, abortSignal) =>
        client.send(new sdk.DescribeSecretCommand({ SecretId: name }), { abortSignal }),
      );
    } catch (error) {
      if (errorCode(error) === "ResourceNotFoundException") return undefined;
      throw fail(error, what);
    }
    const current = versionWithStage(output.VersionIdsToStages, CURRENT);
    if (current && current.version === undefined) {
      throw new IntegrityError(
        `Secret "${name}" has a current version credkit did not write; credkit will not write over it.`,
        { source: NAME },
      );
    }
    return {
      deleted: output.DeletedDate !== undefined,
      latest: current?.version ?? 0,
      type: tagValue(output.Tags, TYPE_TAG),
    };
  };

  const scheduleDeletion = (name: string) =>
    raw(({ sdk, client }, abortSignal) =>
      client.send(new sdk.DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: recoveryDays }), {
        abortSignal,
      }),
    );

  /**
   * After a failed write over a deleted secret that we restored, schedules its deletion again
   * unless someone else has written since, so a failure never resurrects a deleted credential.
   */
  const redelete = async (name: string, latest: number): Promise<void> => {
    try {
      const now = await describe(name, "re-delete");
      if (now && !now.deleted && now.latest === latest) await scheduleDeletion(name);
    } catch {
      // why: best effort; the write's own failure is what the caller must see.
    }
  };

  const createTags = (key: BackendKey, type: CredentialType): Tag[] => [
    ...Object.entries(options.tags ?? {}).map(([Key, Value]) => ({ Key, Value })),
    { Key: TENANT_TAG, Value: key.tenantSegment },
    { Key: TYPE_TAG, Value: type },
  ];

  /** One round of BatchGetSecretValue for at most 20 names, following NextToken. */
  const batchRead = async (
    names: readonly string[],
  ): Promise<Map<string, BackendRecord | undefined | Error>> => {
    const results = new Map<string, BackendRecord | undefined | Error>();
    let nextToken: string | undefined;
    do {
      const token = nextToken;
      const output: BatchGetSecretValueCommandOutput = await raw(({ sdk, client }, abortSignal) =>
        client.send(
          new sdk.BatchGetSecretValueCommand({
            SecretIdList: [...names],
            ...(token !== undefined ? { NextToken: token } : {}),
          }),
          { abortSignal },
        ),
      );
      for (const value of output.SecretValues ?? []) {
        if (value.Name === undefined) continue;
        try {
          results.set(value.Name, decodeRecord(value.SecretString, value.VersionId, NAME));
        } catch (error) {
          results.set(value.Name, error as Error);
        }
      }
      for (const item of output.Errors ?? []) {
        if (item.SecretId === undefined) continue;
        results.set(item.SecretId, itemError(item.ErrorCode, item.Message));
      }
      nextToken = output.NextToken;
    } while (nextToken !== undefined);
    return results;
  };

  /** One BatchGetSecretValue item error, typed: not found is absence, the rest are errors. */
  const itemError = (code: string | undefined, message: string | undefined): Error | undefined => {
    if (code === "ResourceNotFoundException") return undefined;
    const item = Object.assign(new Error(message ?? code ?? "BatchGetSecretValue item failed"), {
      name: code ?? "Error",
    });
    return fail(item, "read credential (batch)");
  };

  /** Metadata of a secret scheduled for deletion: from the description written at delete time. */
  const deletedEntry = (entry: SecretListEntry): BackendListEntry | undefined => {
    const stored = decodeDeletedDescription(entry.Description);
    if (stored) return { metadata: stored.metadata, version: stored.version, deleted: true };
    const parsed = entry.Name ? parseSecretName(prefix, entry.Name) : undefined;
    const tenant = parsed && unescapeComponent(parsed.tenantSegment);
    const name = parsed && unescapeComponent(parsed.nameSegment);
    if (tenant === undefined || name === undefined) return undefined;
    const metadata: RecordMetadata = {
      tenant,
      name,
      type: (tagValue(entry.Tags, TYPE_TAG) ?? "custom") as CredentialType,
      fingerprints: {},
      keyId: null,
      createdAt: isoOf(entry.CreatedDate),
      updatedAt: isoOf(entry.LastChangedDate),
    };
    const version = versionWithStage(entry.SecretVersionsToStages, CURRENT)?.version ?? 0;
    return { metadata, version, deleted: true };
  };

  return {
    name: NAME,
    capabilities: {
      versions: true,
      // why: version n has a fixed ClientRequestToken, and the service accepts one value per token.
      compareAndSet: "atomic",
      softDelete: true,
      batchGet: true,
      consistency: "strong",
      // why: the name is prefix + tenant + "/" + name, one character shorter than prefix + key.id.
      maxKeyLength: MAX_SECRET_NAME - prefix.length,
    },

    secretNameOf: nameOf,

    async get(key, options = {}) {
      if (options.version === undefined) return read(key, {});
      if (!Number.isInteger(options.version) || options.version < 1) return undefined;
      return read(key, { VersionId: versionToken(options.version) });
    },

    async getPrevious(key) {
      return read(key, { VersionStage: PREVIOUS });
    },

    async getMany(keys) {
      const names = keys.map(nameOf);
      const unique = [...new Set(names)];
      const chunks: string[][] = [];
      for (let start = 0; start < unique.length; start += BATCH_SIZE) {
        chunks.push(unique.slice(start, start + BATCH_SIZE));
      }
      const found = new Map<string, BackendRecord | undefined | Error>();
      await Promise.all(
        chunks.map(async (chunk) => {
          try {
            for (const [name, result] of await batchRead(chunk)) found.set(name, result);
          } catch (error) {
            const failure = fail(error, "batch read");
            for (const name of chunk) found.set(name, failure);
          }
        }),
      );
      return names.map((name, index) => {
        if (!found.has(name)) {
          return new UnavailableError(
            `BatchGetSecretValue gave no answer for credential "${(keys[index] as BackendKey).name}".`,
            { source: NAME },
          );
        }
        return found.get(name);
      });
    },

    async put(key, write, putOptions = {}) {
      const name = nameOf(key);
      const expected = putOptions.ifVersion;
      const what = `write credential "${key.name}"`;
      for (let attempt = 0; attempt < maxWriteAttempts; attempt++) {
        const state = await describe(name, what);
        if (!state) {
          if (expected !== undefined && expected !== 0) throw versionConflict(NAME, key, expected, 0);
          try {
            await raw(({ sdk, client }, abortSignal) =>
              client.send(
                new sdk.CreateSecretCommand({
                  Name: name,
                  ClientRequestToken: versionToken(1),
                  SecretString: encodeRecord(write, 1, NAME),
                  Description: DESCRIPTION,
                  Tags: createTags(key, write.metadata.type),
                  ...(options.kmsKeyId !== undefined ? { KmsKeyId: options.kmsKeyId } : {}),
                }),
                { abortSignal },
              ),
            );
            return { version: 1 };
          } catch (error) {
            const code = errorCode(error);
            // why: another writer created it, or a delete is still running; look again.
            if (code === "ResourceExistsException" || isMarkedForDeletion(error)) {
              if (expected === 0 && code === "ResourceExistsException") throw versionConflict(NAME, key, 0);
              continue;
            }
            throw fail(error, what);
          }
        }
        const current = state.deleted ? 0 : state.latest;
        if (expected !== undefined && expected !== current)
          throw versionConflict(NAME, key, expected, current);
        const next = state.latest + 1;
        if (state.deleted) {
          try {
            await raw(({ sdk, client }, abortSignal) =>
              client.send(new sdk.RestoreSecretCommand({ SecretId: name }), { abortSignal }),
            );
          } catch (error) {
            if (errorCode(error) === "ResourceNotFoundException") continue;
            throw fail(error, what);
          }
        }
        try {
          await raw(({ sdk, client }, abortSignal) =>
            client.send(
              new sdk.PutSecretValueCommand({
                SecretId: name,
                ClientRequestToken: versionToken(next),
                SecretString: encodeRecord(write, next, NAME),
              }),
              { abortSignal },
            ),
          );
        } catch (error) {
          const code = errorCode(error);
          // why: version `next` exists with another value: a concurrent writer won it.
          const lostRace =
            code === "ResourceExistsException" ||
            code === "ResourceNotFoundException" ||
            isMarkedForDeletion(error);
          if (lostRace) {
            if (expected !== undefined) throw versionConflict(NAME, key, expected);
            continue;
          }
          if (state.deleted) await redelete(name, state.latest);
          throw fail(error, what);
        }
        if (state.type !== write.metadata.type) {
          // why: the type tag only helps listing and IAM conditions; the write already succeeded.
          await raw(({ sdk, client }, abortSignal) =>
            client.send(
              new sdk.TagResourceCommand({
                SecretId: name,
                Tags: [{ Key: TYPE_TAG, Value: write.metadata.type }],
              }),
              { abortSignal },
            ),
          ).catch(() => undefined);
        }
        return { version: next };
      }
      throw new UnavailableError(
        `Too many concurrent writers to credential "${key.name}" (option maxWriteAttempts).`,
        { source: NAME },
      );
    },

    async delete(key, deleteOptions = {}) {
      const name = nameOf(key);
      const what = `${deleteOptions.purge ? "purge" : "delete"} credential "${key.name}"`;
      if (deleteOptions.purge) {
        // why: a forced delete of a missing secret succeeds silently; absence must be NotFound.
        if (!(await describe(name, what))) throw missingRecord(NAME, key);
        try {
          await raw(({ sdk, client }, abortSignal) =>
            client.send(new sdk.DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true }), {
              abortSignal,
            }),
          );
        } catch (error) {
          if (errorCode(error) === "ResourceNotFoundException") throw missingRecord(NAME, key);
          throw fail(error, what);
        }
        return;
      }
      let current: BackendRecord | undefined;
      try {
        current = await read(key, {});
      } catch (error) {
        if (DeletedError.isInstance(error)) throw missingRecord(NAME, key);
        if (!IntegrityError.isInstance(error)) throw error;
      }
      // why: values cannot be read while deletion is scheduled; keep the metadata for listing.
      const description = current && encodeDeletedDescription(current.metadata, current.version);
      if (description !== undefined) {
        try {
          await raw(({ sdk, client }, abortSignal) =>
            client.send(new sdk.UpdateSecretCommand({ SecretId: name, Description: description }), {
              abortSignal,
            }),
          );
        } catch (error) {
          if (errorCode(error) === "ResourceNotFoundException" || isMarkedForDeletion(error)) {
            throw missingRecord(NAME, key);
          }
          throw fail(error, what);
        }
      }
      try {
        await scheduleDeletion(name);
      } catch (error) {
        if (errorCode(error) === "ResourceNotFoundException" || isMarkedForDeletion(error)) {
          throw missingRecord(NAME, key);
        }
        throw fail(error, what);
      }
    },

    async restore(key) {
      try {
        await raw(({ sdk, client }, abortSignal) =>
          client.send(new sdk.RestoreSecretCommand({ SecretId: nameOf(key) }), { abortSignal }),
        );
      } catch (error) {
        if (errorCode(error) === "ResourceNotFoundException") throw missingRecord(NAME, key);
        throw fail(error, `restore credential "${key.name}"`);
      }
    },

    async list(listOptions: BackendListOptions = {}) {
      const namePrefix =
        listOptions.tenantSegment !== undefined ? tenantPrefix(prefix, listOptions.tenantSegment) : prefix;
      const filters = [
        ...(namePrefix !== "" ? [{ Key: "name" as const, Values: [namePrefix] }] : []),
        { Key: "tag-key" as const, Values: [TENANT_TAG] },
      ];
      const limit = Math.min(LIST_PAGE_MAX, Math.max(1, listOptions.limit ?? LIST_PAGE_MAX));
      let output: ListSecretsCommandOutput;
      try {
        output = await raw(({ sdk, client }, abortSignal) =>
          client.send(
            new sdk.ListSecretsCommand({
              Filters: filters,
              MaxResults: limit,
              IncludePlannedDeletion: listOptions.includeDeleted === true,
              ...(listOptions.cursor !== undefined ? { NextToken: listOptions.cursor } : {}),
            }),
            { abortSignal },
          ),
        );
      } catch (error) {
        throw fail(error, "list credentials");
      }
      const ours = (output.SecretList ?? []).filter((entry) => {
        const parsed = entry.Name ? parseSecretName(prefix, entry.Name) : undefined;
        if (!parsed) return false;
        if (listOptions.tenantSegment !== undefined && parsed.tenantSegment !== listOptions.tenantSegment)
          return false;
        return listOptions.includeDeleted === true || entry.DeletedDate === undefined;
      });
      const liveNames = ours
        .filter((entry) => entry.DeletedDate === undefined)
        .map((entry) => entry.Name as string);
      const records = new Map<string, BackendRecord | undefined | Error>();
      for (let start = 0; start < liveNames.length; start += BATCH_SIZE) {
        try {
          for (const [name, result] of await batchRead(liveNames.slice(start, start + BATCH_SIZE))) {
            records.set(name, result);
          }
        } catch (error) {
          throw fail(error, "list credentials");
        }
      }
      const entries: BackendListEntry[] = [];
      for (const entry of ours) {
        if (entry.DeletedDate !== undefined) {
          const deleted = deletedEntry(entry);
          if (deleted) entries.push(deleted);
          continue;
        }
        const record = records.get(entry.Name as string);
        // why: deleted or purged between the listing and the read.
        if (record === undefined || DeletedError.isInstance(record)) continue;
        if (record instanceof Error) throw record;
        entries.push({ metadata: record.metadata, version: record.version, deleted: false });
      }
      return output.NextToken ? { entries, cursor: output.NextToken } : { entries };
    },

    async close() {
      await connection.close();
    },
  };
}

/**
 * Credentials named in `env` itself, so a custom `env` (not `process.env`) is honoured like the
 * SDK chain honours the process environment: a profile first when `AWS_PROFILE` is set, else
 * static keys. Passing the keys explicitly also lets errors be scrubbed of them.
 */
function credentialsFromEnv(env: Environment): Pick<AwsConnectionOptions, "credentials" | "clientConfig"> {
  if (env.AWS_PROFILE) return { clientConfig: { profile: env.AWS_PROFILE } };
  if (!env.AWS_ACCESS_KEY_ID || !env.AWS_SECRET_ACCESS_KEY) return {};
  return {
    credentials: {
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
    },
  };
}

export const definition: BackendDefinition = {
  type: "aws-secrets-manager",
  summary: "AWS Secrets Manager",
  aliases: ["aws"],
  packages: ["@aws-sdk/client-secrets-manager"],
  variables: [
    {
      name: "AWS_REGION",
      description:
        "AWS region of the secrets (or AWS_DEFAULT_REGION, or a profile's region via AWS_PROFILE).",
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
  ],
  missingVariables(env: Environment) {
    const hasRegion = [env.AWS_REGION, env.AWS_DEFAULT_REGION, env.AWS_PROFILE].some(
      (value) => value !== undefined && value !== "",
    );
    return hasRegion ? [] : ["AWS_REGION"];
  },
  async fromEnv(env: Environment) {
    const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined;
    const endpoint = env.AWS_ENDPOINT_URL_SECRETS_MANAGER || env.AWS_ENDPOINT_URL || undefined;
    const recoveryWindowInDays = integerVariable(env, "CREDKIT_AWS_RECOVERY_WINDOW_DAYS", {
      min: 7,
      max: 30,
      source: NAME,
    });
    const timeout = integerVariable(env, "CREDKIT_AWS_TIMEOUT_MS", { min: 1, source: NAME });
    const maxAttempts = integerVariable(env, "AWS_MAX_ATTEMPTS", { min: 1, source: NAME });
    return awsSecretsManagerBackend({
      ...(region !== undefined ? { region } : {}),
      ...(endpoint !== undefined ? { endpoint } : {}),
      ...(maxAttempts !== undefined ? { maxAttempts } : {}),
      ...credentialsFromEnv(env),
      ...(env.CREDKIT_AWS_PREFIX !== undefined ? { prefix: env.CREDKIT_AWS_PREFIX } : {}),
      ...(env.CREDKIT_AWS_KMS_KEY_ID ? { kmsKeyId: env.CREDKIT_AWS_KMS_KEY_ID } : {}),
      ...(recoveryWindowInDays !== undefined ? { recoveryWindowInDays } : {}),
      ...(timeout !== undefined ? { timeoutMs: timeout } : {}),
    });
  },
};
