/**
 * Reads: the latest version is usually one request (a committed latest secret carries its
 * version in its tags); otherwise the claims of every version decide which one is committed.
 */
import type { BackendRecord } from "../../core/backend.js";
import { deletedRecord } from "../../core/backend-support.js";
import { IntegrityError } from "../../core/errors.js";
import type { BackendKey } from "../../core/key-encoding.js";
import { committedAt, latestCommitted } from "./claims.js";
import { SOURCE } from "./errors.js";
import { secretName } from "./names.js";
import { decodeValue } from "./record.js";
import { type AzureKv, claims, isSoftDeleted, latest, readVersion } from "./requests.js";

/** Backend name in errors. */
export const NAME = "azure";

/** The latest version of `key`, or `version`; undefined when it does not exist. */
export async function getRecord(
  kv: AzureKv,
  key: BackendKey,
  version?: number,
): Promise<BackendRecord | undefined> {
  const name = secretName(kv.settings.prefix, key);
  if (version === undefined) {
    const found = await latest(kv, name);
    if (found.kind === "absent") {
      if (await isSoftDeleted(kv, name)) throw deletedRecord(NAME, key);
      return undefined;
    }
    if (found.kind === "found" && found.tags?.state === "committed") {
      return decodeValue(found.secret.value, found.secret.properties.contentType, found.tags.version);
    }
    if (found.kind === "found" && !found.tags) {
      throw new IntegrityError("A Key Vault secret in credkit's namespace is not a credkit record.", {
        source: SOURCE,
      });
    }
  }
  const all = await claims(kv, name);
  if (!all) {
    if (await isSoftDeleted(kv, name)) throw deletedRecord(NAME, key);
    return undefined;
  }
  const claim = version === undefined ? latestCommitted(all) : committedAt(all, version);
  return claim ? readVersion(kv, name, claim) : undefined;
}
