/**
 * How credkit keys and versions map onto Secrets Manager names and version ids.
 *
 * A key becomes `<prefix><tenant segment>/<connection segment>`. Segments are `[a-z0-9-]` and never
 * contain `/`, so the mapping is injective and every name stays inside AWS's alphabet
 * (`A-Za-z0-9/_+=.@-`, at most 512 characters); the `/` lets an IAM policy scope a tenant with
 * `<prefix><tenant segment>/*`.
 *
 * Version `n` of a credential is the secret version whose id (= `ClientRequestToken`) is
 * `credkit-version-` followed by `n` in 16 digits. Deriving the token from the integer makes
 * every write of version `n` idempotent (a retried request carries the same token) and lets the
 * service itself arbitrate compare-and-set: two writers of version `n` send the same token with
 * different values, and the second gets `ResourceExistsException`.
 */
import { ConfigurationError } from "../../core/errors.js";
import type { BackendKey } from "../../core/key-encoding.js";
import { MIN_KEY_LENGTH } from "../../core/key-encoding.js";

/** Longest secret name AWS accepts. */
export const MAX_SECRET_NAME = 512;
const NAME_ALPHABET = /^[A-Za-z0-9/_+=.@-]*$/;
const TOKEN_PREFIX = "credkit-version-";
const TOKEN_DIGITS = 16;
const TOKEN_PATTERN = /^credkit-version-(\d{16})$/;

/** Checks a prefix against AWS's name rules and leaves room for any key. */
export function checkPrefix(prefix: string, source: string): string {
  if (!NAME_ALPHABET.test(prefix)) {
    throw new ConfigurationError(
      "The AWS Secrets Manager prefix may only contain A-Za-z0-9 and /_+=.@- (option prefix, CREDKIT_AWS_PREFIX).",
      {},
      { source },
    );
  }
  if (MAX_SECRET_NAME - prefix.length < MIN_KEY_LENGTH) {
    throw new ConfigurationError(
      `The AWS Secrets Manager prefix is ${prefix.length} characters; at most ${MAX_SECRET_NAME - MIN_KEY_LENGTH} leave room for credential names (option prefix, CREDKIT_AWS_PREFIX).`,
      {},
      { source },
    );
  }
  return prefix;
}

/** The secret name of a key. */
export function secretName(prefix: string, key: BackendKey): string {
  return `${prefix}${key.tenantSegment}/${key.connectionSegment}`;
}

/** The name prefix every secret of one tenant starts with. */
export function tenantPrefix(prefix: string, tenantSegment: string): string {
  return `${prefix}${tenantSegment}/`;
}

/** The segments of a secret name under `prefix`, or undefined when it is not one of ours. */
export function parseSecretName(
  prefix: string,
  name: string,
): { tenantSegment: string; connectionSegment: string } | undefined {
  if (!name.startsWith(prefix)) return undefined;
  const parts = name.slice(prefix.length).split("/");
  if (parts.length !== 2) return undefined;
  const [tenantSegment, connectionSegment] = parts as [string, string];
  const segment = /^[a-z0-9-]+$/;
  return segment.test(tenantSegment) && segment.test(connectionSegment)
    ? { tenantSegment, connectionSegment }
    : undefined;
}

/** The `ClientRequestToken` (and so the `VersionId`) of version `n`. */
export function versionToken(version: number): string {
  return TOKEN_PREFIX + String(version).padStart(TOKEN_DIGITS, "0");
}

/** The integer version of a version id credkit wrote, or undefined for any other id. */
export function versionOf(versionId: string | undefined): number | undefined {
  const match = versionId ? TOKEN_PATTERN.exec(versionId) : null;
  return match ? Number(match[1]) : undefined;
}

/** The version carrying `stage` in a VersionId → stages map, as an integer. */
export function versionWithStage(
  stages: Record<string, string[]> | undefined,
  stage: string,
): { versionId: string; version: number | undefined } | undefined {
  for (const [versionId, labels] of Object.entries(stages ?? {})) {
    if (labels.includes(stage)) return { versionId, version: versionOf(versionId) };
  }
  return undefined;
}

/** Tag on every secret credkit creates: the tenant segment (listing filters on the tag key). */
export const TENANT_TAG = "credkit:tenant";
/** Tag on every secret credkit creates: the credential type, for IAM conditions and listing. */
export const TYPE_TAG = "credkit:type";
/** The version stage of a secret's current value. */
export const CURRENT = "AWSCURRENT";
/** The version stage of the value before the current one. */
export const PREVIOUS = "AWSPREVIOUS";
