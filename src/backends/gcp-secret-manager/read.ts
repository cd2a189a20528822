/**
 * Reads: a version's payload (checked against its CRC32C) and a version's state. A soft delete
 * disables only the latest version, so a pinned read of an older one also checks the latest.
 */
import type { BackendRecord } from "../../core/backend.js";
import { deletedRecord } from "../../core/backend-support.js";
import { DeletedError, IntegrityError } from "../../core/errors.js";
import type { BackendKey } from "../../core/key-encoding.js";
import { crc32c } from "../../kit/crc32c.js";
import { type AccessLike, type VersionLike, versionState } from "./client.js";
import { statusOf } from "./connection.js";
import { type GcpContext, unlessMissing } from "./context.js";
import { NAME } from "./errors.js";
import { versionNumberOf } from "./names.js";
import { decodePayload } from "./record.js";

/** The payload bytes of an access response, checked against its CRC32C. */
export function verifiedPayload(response: AccessLike, what: string): Uint8Array {
  const payload = response.payload;
  const raw = payload?.data;
  const data = typeof raw === "string" ? Buffer.from(raw, "base64") : raw;
  if (!data) throw new IntegrityError(`Secret Manager returned no payload for ${what}.`, { source: NAME });
  const expected = payload?.dataCrc32c;
  if (expected === undefined || expected === null || String(expected) === "") {
    throw new IntegrityError(`Secret Manager returned no CRC32C checksum for ${what}.`, { source: NAME });
  }
  if (String(expected) !== String(crc32c(data))) {
    throw new IntegrityError(
      `The payload of ${what} does not match its CRC32C checksum: it was corrupted in storage or transit.`,
      { source: NAME },
    );
  }
  return data;
}

/** A version's metadata (name, state, etag), or undefined when it or the secret does not exist. */
export async function getVersion(
  context: GcpContext,
  key: BackendKey,
  version: number | "latest",
): Promise<VersionLike | undefined> {
  const names = await context.names();
  const result = await unlessMissing(
    context.rpc(`read the state of credential "${key.connectionId}"`, (client, o) =>
      client.getSecretVersion({ name: names.version(key, version) }, o),
    ),
  );
  return result?.[0];
}

/** Throws the right `DeletedError` for a version access refused with FAILED_PRECONDITION. */
async function readDeleted(
  context: GcpContext,
  key: BackendKey,
  name: string,
  pinned: boolean,
): Promise<void> {
  const [version] =
    (await unlessMissing(
      context.rpc(`read the state of credential "${key.connectionId}"`, (client, o) =>
        client.getSecretVersion({ name }, o),
      ),
    )) ?? [];
  const state = version ? versionState(version) : undefined;
  const which = `Version ${versionNumberOf(version?.name) ?? "latest"} of credential "${key.connectionId}"`;
  if (state === "destroyed") throw new DeletedError(`${which} is destroyed.`, "destroyed", { source: NAME });
  if (state === "disabled") {
    if (!pinned) throw deletedRecord(NAME, key);
    throw new DeletedError(`${which} is disabled.`, "disabled", { source: NAME });
  }
}

/** AccessSecretVersion; undefined when absent. A refusal because the version is disabled or destroyed is a `DeletedError`. */
async function access(
  context: GcpContext,
  key: BackendKey,
  name: string,
  pinned: boolean,
): Promise<AccessLike | undefined> {
  const what = `read credential "${key.connectionId}"`;
  for (let attempt = 0; ; attempt++) {
    try {
      const [response] = await context.rpc(what, (client, o) => client.accessSecretVersion({ name }, o));
      return response ?? {};
    } catch (error) {
      const status = statusOf(error);
      if (status === "NOT_FOUND") return undefined;
      // why: FAILED_PRECONDITION on access means a disabled or destroyed version; ask which.
      if (status !== "FAILED_PRECONDITION" || attempt > 0) throw error;
      await readDeleted(context, key, name, pinned);
    }
  }
}

/** `Backend.get`: the latest record, or the pinned version while the latest is live. */
export async function getRecord(
  context: GcpContext,
  key: BackendKey,
  pinned: number | undefined,
): Promise<BackendRecord | undefined> {
  if (pinned !== undefined && (!Number.isInteger(pinned) || pinned < 1)) return undefined;
  const names = await context.names();
  const name = names.version(key, pinned ?? "latest");
  const what = `credential "${key.connectionId}"`;
  // why: a soft delete disables only the latest version; a pinned read of an older one must still see it.
  const latestCheck = pinned !== undefined ? getVersion(context, key, "latest") : undefined;
  latestCheck?.catch(() => undefined);
  const response = await access(context, key, name, pinned !== undefined);
  if (!response) return undefined;
  if (latestCheck) {
    const latest = await latestCheck;
    if (!latest) return undefined;
    if (versionState(latest) !== "enabled") throw deletedRecord(NAME, key);
  }
  const data = verifiedPayload(response, what);
  const version = versionNumberOf(response.name);
  if (version === undefined || (pinned !== undefined && version !== pinned)) {
    throw new IntegrityError(`Secret Manager returned another version than asked for ${what}.`, {
      source: NAME,
    });
  }
  return { ...decodePayload(data, NAME), version };
}
