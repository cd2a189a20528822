/**
 * Reads of a credential: the latest or a pinned version, decoded from the secret body and its
 * `custom_metadata` entry. A soft-deleted or destroyed latest version is a `DeletedError`.
 */
import type { BackendRecord } from "../../core/backend.js";
import { deletedRecord } from "../../core/backend-support.js";
import { DeletedError, IntegrityError } from "../../core/errors.js";
import type { BackendKey } from "../../core/key-encoding.js";
import { NAME } from "./errors.js";
import { type Kv, readMetadata, readVersion, type VersionData, type VersionState } from "./kv.js";
import { parseBody, readEntry, recordPaths } from "./records.js";

/** Destroyed, or deleted with a deletion time that has passed (a future one is only scheduled). */
export function goneState(version: VersionState | undefined): "deleted" | "destroyed" | undefined {
  if (!version) return undefined;
  if (version.destroyed) return "destroyed";
  if (version.deletion_time && Date.parse(version.deletion_time) <= Date.now()) return "deleted";
  return undefined;
}

/** The error of a read or restore of a deleted or destroyed credential. */
export function deletedError(key: BackendKey, state: "deleted" | "destroyed"): DeletedError {
  return state === "deleted"
    ? deletedRecord(NAME, key)
    : new DeletedError(
        `Credential "${key.connectionId}": its latest version is destroyed; store it again.`,
        "destroyed",
        {
          source: NAME,
        },
      );
}

/** The record of a version read; an `IntegrityError` when credkit did not write it. */
function decode(key: BackendKey, data: VersionData): BackendRecord {
  const body = parseBody(data.data);
  if (!body) {
    throw new IntegrityError(
      `The Vault secret of credential "${key.connectionId}" was not written by credkit.`,
      {
        source: NAME,
      },
    );
  }
  const metadata = readEntry(data.metadata.custom_metadata, body.ref);
  if (!metadata) {
    throw new IntegrityError(
      `The custom_metadata entry of credential "${key.connectionId}" version ${data.metadata.version} is missing.`,
      { source: NAME },
    );
  }
  return { value: body.payload, metadata, version: data.metadata.version };
}

/** The latest version of `key`, or `version`; undefined when it never existed. */
export async function getRecord(
  kv: Kv,
  key: BackendKey,
  version?: number,
): Promise<BackendRecord | undefined> {
  const paths = recordPaths(kv.settings.mount, kv.settings.prefix, key.tenantSegment, key.connectionSegment);
  if (version !== undefined) {
    // why: a pinned read of a soft-deleted credential is a read of a deleted credential.
    const metadata = await readMetadata(kv, paths, key.connectionId);
    if (!metadata || metadata.current_version === 0) return undefined;
    const state = goneState(metadata.versions[String(metadata.current_version)]);
    if (state) throw deletedError(key, state);
    if (!metadata.versions[String(version)]) return undefined;
  }
  const result = await readVersion(kv, paths, key.connectionId, version);
  if ("missing" in result) {
    const versionMetadata = result.missing?.data?.metadata;
    // why: Vault answers 404 with the version's metadata for a deleted or destroyed version,
    // and 404 with {"errors":[]} for one that never existed.
    if (versionMetadata?.destroyed) throw deletedError(key, "destroyed");
    if (versionMetadata?.deletion_time) throw deletedError(key, "deleted");
    return undefined;
  }
  return decode(key, result.found);
}
