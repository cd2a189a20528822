/**
 * `verifyKeys()`: how many stored versions the current keyring can open, and which it cannot (by
 * ids only), so a missing key is found at start-up rather than by the first customer.
 */
import type { BackendRecord } from "./backend.js";
import { CredkitError, UnavailableError } from "./errors.js";
import type { ManagerCore } from "./manager-core.js";
import { openRecord } from "./record-binding.js";
import {
  payloadKeyId,
  readWalkedVersion,
  type VersionFailure,
  versionFailure,
  versionsOf,
  type WalkedCredential,
  type WalkOptions,
  walkCredentials,
} from "./record-walk.js";

/** Options of `verifyKeys()`. */
export interface VerifyKeysOptions extends WalkOptions {
  /**
   * Check only the latest version of each credential instead of every version.
   * @default false
   */
  latestOnly?: boolean | undefined;
  /**
   * Only check that the keyring holds each version's key (`KeyProvider.hasKey`) instead of
   * opening it. Faster with a KMS (no unwrap per version), but blind to tampering.
   * @default false
   */
  keyIdsOnly?: boolean | undefined;
}

/** What `verifyKeys()` found. */
export interface KeyCheckResult {
  /** Credentials visited. */
  credentials: number;
  /** Versions checked. */
  checked: number;
  /** Versions the current keyring opens. */
  openable: number;
  /** Versions it cannot open (or could not read), by ids, with the key id each names. */
  unopenable: VersionFailure[];
  /** Key ids named by unopenable versions that the keyring does not hold. */
  missingKeyIds: string[];
  /**
   * The key provider's own check (`KeyProvider.check`: a KMS reachable and its key usable, past
   * every cache): `usable`, `unusable` (see `keyProviderError`), or `skipped` when the provider
   * has no check or encryption is off. Records served from a data-key cache may still open while
   * the key is unusable; this says whether new writes and uncached reads will work.
   */
  keyProvider: "usable" | "unusable" | "skipped";
  /** Why the key provider's check failed: a typed, scrubbed error (disabled key, access denied…). */
  keyProviderError?: CredkitError | undefined;
}

/** Runs the key provider's check, if it has one, into the result. */
async function checkProvider(core: ManagerCore, result: KeyCheckResult): Promise<void> {
  const provider = core.provider || undefined;
  if (!provider?.check) return;
  try {
    await provider.check();
    result.keyProvider = "usable";
  } catch (error) {
    result.keyProvider = "unusable";
    result.keyProviderError = CredkitError.isInstance(error)
      ? error
      : // why: a custom provider's own error may carry anything; only its class name is kept.
        new UnavailableError("The key provider's check failed.", {
          cause: new Error(error instanceof Error ? error.name : "error"),
        });
  }
}

/** Walks every version (or the latest) and tries to open it with the current keyring. */
export async function verifyRecordKeys(
  core: ManagerCore,
  options: VerifyKeysOptions,
): Promise<KeyCheckResult> {
  const result: KeyCheckResult = {
    credentials: 0,
    checked: 0,
    openable: 0,
    unopenable: [],
    missingKeyIds: [],
    keyProvider: "skipped",
  };
  await checkProvider(core, result);
  const missing = new Set<string>();
  for await (const walked of walkCredentials(core, options)) {
    result.credentials++;
    const versions = options.latestOnly ? [walked.entry.version] : versionsOf(core, walked.entry);
    for (const version of versions) {
      const failure = await checkVersion(core, walked, version, options.keyIdsOnly === true);
      if (failure === "gone") continue;
      result.checked++;
      if (failure === undefined) {
        result.openable++;
        continue;
      }
      result.unopenable.push(failure);
      if (failure.keyId !== null && core.provider && !core.provider.hasKey(failure.keyId)) {
        missing.add(failure.keyId);
      }
    }
  }
  result.missingKeyIds = [...missing].sort();
  return result;
}

/** Undefined when the version opens, "gone" when it no longer exists, else why not. */
async function checkVersion(
  core: ManagerCore,
  walked: WalkedCredential,
  version: number,
  keyIdsOnly: boolean,
): Promise<VersionFailure | "gone" | undefined> {
  let record: BackendRecord | undefined;
  try {
    record = await readWalkedVersion(core, walked, version);
    if (!record) return "gone";
    if (keyIdsOnly) {
      const keyId = core.codec.keyIdOf(record.value);
      const held = keyId === null ? !core.provider : core.provider !== false && core.provider.hasKey(keyId);
      return held ? undefined : versionFailure(walked, version, keyId, "integrity");
    }
    await openRecord(core, walked.key, record);
    return undefined;
  } catch (error) {
    const reason = CredkitError.isInstance(error) ? error.code : "unavailable";
    return versionFailure(walked, version, record ? payloadKeyId(core, record.value) : null, reason);
  }
}
