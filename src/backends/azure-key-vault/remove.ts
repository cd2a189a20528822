/** Delete (Key Vault's soft delete), purge (delete, then purge the deleted secret) and restore (recover). */
import type { BackendDeleteOptions } from "../../core/backend.js";
import { missingRecord } from "../../core/backend-support.js";
import type { BackendKey } from "../../core/key-encoding.js";
import { secretName } from "./names.js";
import { NAME } from "./read.js";
import { type AzureKv, isSoftDeleted, oneRequest, recovery, unless404 } from "./requests.js";

/** Soft-deletes `key`'s secret; with `purge` also purges it (a soft-deleted one too). */
export async function deleteRecord(
  kv: AzureKv,
  key: BackendKey,
  options: BackendDeleteOptions,
): Promise<void> {
  const name = secretName(kv.settings.prefix, key);
  const deleted = await unless404(kv, "delete a secret", async (client, { signal: abortSignal }) => {
    const poller = await client.beginDeleteSecret(name, {
      intervalInMs: kv.settings.pollIntervalMs,
      abortSignal,
    });
    return poller.pollUntilDone({ abortSignal });
  });
  if (!deleted && !(options.purge && (await isSoftDeleted(kv, name)))) throw missingRecord(NAME, key);
  if (!options.purge) return;
  const purged = await unless404(kv, "purge a deleted secret", (client, attempt) =>
    client.purgeDeletedSecret(name, oneRequest(kv, attempt)).then(() => true),
  );
  if (!purged) throw missingRecord(NAME, key);
}

/** Recovers `key`'s soft-deleted secret; a `NotFoundError` when there is none. */
export async function restoreRecord(kv: AzureKv, key: BackendKey): Promise<void> {
  const name = secretName(kv.settings.prefix, key);
  const restored = await unless404(kv, "recover a deleted secret", recovery(kv, name));
  if (!restored) throw missingRecord(NAME, key);
}
