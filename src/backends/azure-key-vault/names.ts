/**
 * Key Vault secret names for credkit keys.
 *
 * Key Vault names are `[0-9a-zA-Z-]{1,127}` and case-insensitive. A `BackendKey.id` is already
 * `[a-z0-9-]` (lowercase, so case folding cannot merge two keys) and injective, so the secret
 * name is simply `prefix + id`; the core hashes components that would not fit `maxKeyLength`
 * (127 minus the prefix) and checks tenant and name from the stored metadata on every read.
 */
import { ConfigurationError } from "../../core/errors.js";
import type { BackendKey } from "../../core/key-encoding.js";
import { MIN_KEY_LENGTH } from "../../core/key-encoding.js";

/** Longest secret name Key Vault accepts. */
export const MAX_SECRET_NAME = 127;
/** Prefix of every secret credkit writes, unless configured. */
export const DEFAULT_PREFIX = "credkit-";

const PREFIX_PATTERN = /^[0-9a-zA-Z-]*$/;

/** Validates a name prefix and returns it lowercased (names are case-insensitive). */
export function checkPrefix(prefix: string): string {
  if (!PREFIX_PATTERN.test(prefix)) {
    throw new ConfigurationError(
      "The Azure Key Vault `prefix` may contain only letters, digits and dashes.",
      {
        missing: ["prefix"],
      },
    );
  }
  if (MAX_SECRET_NAME - prefix.length < MIN_KEY_LENGTH) {
    throw new ConfigurationError(
      `The Azure Key Vault \`prefix\` may be at most ${MAX_SECRET_NAME - MIN_KEY_LENGTH} characters.`,
      { missing: ["prefix"] },
    );
  }
  return prefix.toLowerCase();
}

/** The secret name of a key. */
export function secretName(prefix: string, key: BackendKey): string {
  return prefix + key.id;
}
