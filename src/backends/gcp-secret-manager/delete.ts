/**
 * Deletes. A soft delete disables the latest version and restore enables it, each guarded by
 * the version's etag; a purge destroys every version and deletes the secret.
 */
import { missingRecord } from "../../core/backend-support.js";
import { ConflictError, DeletedError } from "../../core/errors.js";
import type { BackendKey } from "../../core/key-encoding.js";
import { mapLimit } from "../../kit/map-limit.js";
import { versionState } from "./client.js";
import { statusOf } from "./connection.js";
import { type GcpContext, unlessMissing } from "./context.js";
import { NAME } from "./errors.js";
import { getVersion } from "./read.js";

/** Versions destroyed at once by a purge. */
const PURGE_CONCURRENCY = 16;
/** Rounds of a soft delete or restore whose version keeps changing under it. */
const SWITCH_ATTEMPTS = 5;

/** `Backend.delete` with `purge`: destroys every version, then deletes the secret. */
export async function purge(context: GcpContext, key: BackendKey): Promise<void> {
  const names = await context.names();
  const listed = await unlessMissing(
    context.rpc(`list the versions of credential "${key.connectionId}"`, (client, o) =>
      client.listSecretVersions({ parent: names.secret(key) }, { ...o, autoPaginate: true }),
    ),
  );
  if (!listed) throw missingRecord(NAME, key);
  const live = listed[0].filter((version) => versionState(version) !== "destroyed" && version.name);
  await mapLimit(live, PURGE_CONCURRENCY, async (version) => {
    try {
      await context.rpc(`destroy a version of credential "${key.connectionId}"`, (client, o) =>
        client.destroySecretVersion({ name: version.name as string }, o),
      );
    } catch (error) {
      // why: destroyed concurrently (FAILED_PRECONDITION) or gone with the secret (NOT_FOUND).
      const status = statusOf(error);
      if (status !== "FAILED_PRECONDITION" && status !== "NOT_FOUND") throw error;
    }
  });
  await unlessMissing(
    context.rpc(`delete credential "${key.connectionId}"`, (client, o) =>
      client.deleteSecret({ name: names.secret(key) }, o),
    ),
  );
}

/** Soft delete (disable the latest version) or restore (enable it), guarded by the version's etag. */
export async function switchLatest(
  context: GcpContext,
  key: BackendKey,
  to: "disabled" | "enabled",
): Promise<void> {
  const action = to === "disabled" ? "delete" : "restore";
  for (let attempt = 0; attempt < SWITCH_ATTEMPTS; attempt++) {
    const latest = await getVersion(context, key, "latest");
    if (!latest?.name) throw missingRecord(NAME, key);
    const state = versionState(latest);
    if (to === "disabled" && state !== "enabled") throw missingRecord(NAME, key);
    if (to === "enabled" && state === "enabled") return;
    if (state === "destroyed") {
      throw new DeletedError(
        `Credential "${key.connectionId}" is destroyed and cannot be restored.`,
        "destroyed",
        {
          source: NAME,
        },
      );
    }
    const request = { name: latest.name, ...(latest.etag ? { etag: latest.etag } : {}) };
    try {
      await context.rpc(`${action} credential "${key.connectionId}"`, (client, o) =>
        to === "disabled" ? client.disableSecretVersion(request, o) : client.enableSecretVersion(request, o),
      );
      return;
    } catch (error) {
      // why: the version changed between read and write (its etag moved); look again.
      if (statusOf(error) !== "FAILED_PRECONDITION" && statusOf(error) !== "ABORTED") throw error;
    }
  }
  throw new ConflictError(`Credential "${key.connectionId}" kept changing during ${action}.`, undefined, {
    source: NAME,
  });
}
