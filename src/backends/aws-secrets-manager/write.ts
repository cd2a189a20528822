/**
 * Writes. A new credential is `CreateSecret` with version 1; a new value of an existing one is
 * `PutSecretValue` with the `ClientRequestToken` derived from the next version number, so a
 * retried request is idempotent and the service itself lets exactly one writer of version `n`
 * win (the other gets `ResourceExistsException`). A compare-and-set writer that loses fails with
 * `ConflictError`; an unconditional one reads the state again and takes the next number, up to
 * `maxWriteAttempts` rounds. Writing over a deleted credential restores it first; a write that
 * then fails schedules its deletion again.
 */
import type { Tag } from "@aws-sdk/client-secrets-manager";
import type { BackendPutOptions, BackendWrite } from "../../core/backend.js";
import { versionConflict } from "../../core/backend-support.js";
import { UnavailableError } from "../../core/errors.js";
import type { BackendKey } from "../../core/key-encoding.js";
import { type AwsContext, isMarkedForDeletion, isMissing } from "./context.js";
import { scheduleDeletion } from "./delete.js";
import { errorCode, NAME } from "./errors.js";
import { TENANT_TAG, TYPE_TAG, versionToken } from "./names.js";
import { describeSecret, type SecretState } from "./read.js";
import { encodeRecord } from "./record.js";

const DESCRIPTION = "credkit credential";

/** One write in progress: what it writes, where, and the version it must find. */
interface WriteRequest {
  readonly key: BackendKey;
  readonly name: string;
  readonly write: BackendWrite;
  readonly expected: number | undefined;
  readonly what: string;
}

/** The version written, or "retry" when another writer got there first and the state must be read again. */
type Outcome = { version: number } | "retry";

/** `Backend.put`: creates the secret or adds the next version, per the module comment. */
export async function putRecord(
  context: AwsContext,
  key: BackendKey,
  write: BackendWrite,
  options: BackendPutOptions,
): Promise<{ version: number }> {
  const request: WriteRequest = {
    key,
    name: context.nameOf(key),
    write,
    expected: options.ifVersion,
    what: `write credential "${key.connectionId}"`,
  };
  for (let attempt = 0; attempt < context.config.maxWriteAttempts; attempt++) {
    const state = await describeSecret(context, request.name, request.what);
    const outcome = state ? await addVersion(context, request, state) : await createSecret(context, request);
    if (outcome !== "retry") return outcome;
  }
  throw new UnavailableError(
    `Too many concurrent writers to credential "${key.connectionId}" (option maxWriteAttempts).`,
    { source: NAME },
  );
}

/** The tags of a new secret: the configured ones, then the tenant and type. */
function createTags(context: AwsContext, request: WriteRequest): Tag[] {
  return [
    ...Object.entries(context.config.tags).map(([Key, Value]) => ({ Key, Value })),
    { Key: TENANT_TAG, Value: request.key.tenantSegment },
    { Key: TYPE_TAG, Value: request.write.metadata.type },
  ];
}

/** The create path: the secret does not exist, so version 1 is written with CreateSecret. */
async function createSecret(context: AwsContext, request: WriteRequest): Promise<Outcome> {
  const { key, expected } = request;
  if (expected !== undefined && expected !== 0) throw versionConflict(NAME, key, expected, 0);
  const { kmsKeyId } = context.config;
  try {
    await context.call(({ sdk, client }, abortSignal) =>
      client.send(
        new sdk.CreateSecretCommand({
          Name: request.name,
          ClientRequestToken: versionToken(1),
          SecretString: encodeRecord(request.write, 1, NAME),
          Description: DESCRIPTION,
          Tags: createTags(context, request),
          ...(kmsKeyId !== undefined ? { KmsKeyId: kmsKeyId } : {}),
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
      return "retry";
    }
    throw context.fail(error, request.what);
  }
}

/** The update path: the secret exists (perhaps deleted), so the next version is added to it. */
async function addVersion(context: AwsContext, request: WriteRequest, state: SecretState): Promise<Outcome> {
  const { key, expected } = request;
  const current = state.deleted ? 0 : state.latest;
  if (expected !== undefined && expected !== current) throw versionConflict(NAME, key, expected, current);
  if (state.deleted && !(await restoreForWrite(context, request))) return "retry";
  const next = state.latest + 1;
  try {
    await context.call(({ sdk, client }, abortSignal) =>
      client.send(
        new sdk.PutSecretValueCommand({
          SecretId: request.name,
          ClientRequestToken: versionToken(next),
          SecretString: encodeRecord(request.write, next, NAME),
        }),
        { abortSignal },
      ),
    );
  } catch (error) {
    // why: version `next` exists with another value: a concurrent writer won it.
    const lostRace =
      errorCode(error) === "ResourceExistsException" || isMissing(error) || isMarkedForDeletion(error);
    if (lostRace) {
      if (expected !== undefined) throw versionConflict(NAME, key, expected);
      return "retry";
    }
    if (state.deleted) await redelete(context, request.name, state.latest);
    throw context.fail(error, request.what);
  }
  if (state.type !== request.write.metadata.type) await retag(context, request);
  return { version: next };
}

/** Restores a deleted secret before writing over it; false when it was purged meanwhile. */
async function restoreForWrite(context: AwsContext, request: WriteRequest): Promise<boolean> {
  try {
    await context.call(({ sdk, client }, abortSignal) =>
      client.send(new sdk.RestoreSecretCommand({ SecretId: request.name }), { abortSignal }),
    );
    return true;
  } catch (error) {
    if (isMissing(error)) return false;
    throw context.fail(error, request.what);
  }
}

/**
 * After a failed write over a deleted secret that was restored, schedules its deletion again
 * unless someone else has written since, so a failure never resurrects a deleted credential.
 */
async function redelete(context: AwsContext, name: string, latest: number): Promise<void> {
  try {
    const now = await describeSecret(context, name, "re-delete");
    if (now && !now.deleted && now.latest === latest) await scheduleDeletion(context, name);
  } catch {
    // why: best effort; the write's own failure is what the caller must see.
  }
}

/** Moves the type tag to the type just written. Best effort: the tag only helps listing and IAM conditions. */
async function retag(context: AwsContext, request: WriteRequest): Promise<void> {
  await context
    .call(({ sdk, client }, abortSignal) =>
      client.send(
        new sdk.TagResourceCommand({
          SecretId: request.name,
          Tags: [{ Key: TYPE_TAG, Value: request.write.metadata.type }],
        }),
        { abortSignal },
      ),
    )
    .catch(() => undefined);
}
