/**
 * Deletes. A delete schedules the secret's deletion with the recovery window (`RestoreSecret`
 * undoes it), after writing the current metadata into the description: values cannot be read
 * while deletion is scheduled, and listing still shows the credential as deleted. A purge is
 * `ForceDeleteWithoutRecovery`. Absence is `NotFoundError` in each.
 */
import type { BackendRecord } from "../../core/backend.js";
import { missingRecord } from "../../core/backend-support.js";
import { DeletedError, IntegrityError } from "../../core/errors.js";
import type { BackendKey } from "../../core/key-encoding.js";
import { type AwsContext, isMarkedForDeletion, isMissing } from "./context.js";
import { NAME } from "./errors.js";
import { describeSecret, readRecord } from "./read.js";
import { encodeDeletedDescription } from "./record.js";

/** DeleteSecret with the configured recovery window. SDK errors are thrown untouched. */
export function scheduleDeletion(context: AwsContext, name: string) {
  const { recoveryWindowInDays } = context.config;
  return context.call(({ sdk, client }, abortSignal) =>
    client.send(new sdk.DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: recoveryWindowInDays }), {
      abortSignal,
    }),
  );
}

/** Runs a call that needs the secret live: its absence or scheduled deletion is `NotFoundError`. */
async function whileLive(context: AwsContext, key: BackendKey, what: string, run: () => Promise<unknown>) {
  try {
    await run();
  } catch (error) {
    if (isMissing(error) || isMarkedForDeletion(error)) throw missingRecord(NAME, key);
    throw context.fail(error, what);
  }
}

/** `Backend.delete` without `purge`: keeps the metadata in the description, then schedules deletion. */
export async function softDelete(context: AwsContext, key: BackendKey): Promise<void> {
  const name = context.nameOf(key);
  const what = `delete credential "${key.connectionId}"`;
  let current: BackendRecord | undefined;
  try {
    current = await readRecord(context, key, {});
  } catch (error) {
    if (DeletedError.isInstance(error)) throw missingRecord(NAME, key);
    if (!IntegrityError.isInstance(error)) throw error;
  }
  const description = current && encodeDeletedDescription(current.metadata, current.version);
  if (description !== undefined) {
    await whileLive(context, key, what, () =>
      context.call(({ sdk, client }, abortSignal) =>
        client.send(new sdk.UpdateSecretCommand({ SecretId: name, Description: description }), {
          abortSignal,
        }),
      ),
    );
  }
  await whileLive(context, key, what, () => scheduleDeletion(context, name));
}

/** `Backend.delete` with `purge`: deletes every version now, without recovery. */
export async function purge(context: AwsContext, key: BackendKey): Promise<void> {
  const name = context.nameOf(key);
  const what = `purge credential "${key.connectionId}"`;
  // why: a forced delete of a missing secret succeeds silently; absence must be NotFound.
  if (!(await describeSecret(context, name, what))) throw missingRecord(NAME, key);
  try {
    await context.call(({ sdk, client }, abortSignal) =>
      client.send(new sdk.DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true }), {
        abortSignal,
      }),
    );
  } catch (error) {
    if (isMissing(error)) throw missingRecord(NAME, key);
    throw context.fail(error, what);
  }
}

/** `Backend.restore`: cancels a scheduled deletion. */
export async function restore(context: AwsContext, key: BackendKey): Promise<void> {
  try {
    await context.call(({ sdk, client }, abortSignal) =>
      client.send(new sdk.RestoreSecretCommand({ SecretId: context.nameOf(key) }), { abortSignal }),
    );
  } catch (error) {
    if (isMissing(error)) throw missingRecord(NAME, key);
    throw context.fail(error, `restore credential "${key.connectionId}"`);
  }
}
