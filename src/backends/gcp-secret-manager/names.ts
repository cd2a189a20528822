/**
 * Where a credential lives in Secret Manager. A credential is the secret
 * `projects/{project}/secrets/{prefix}{key.id}`: `key.id` is `[a-z0-9-]` and the prefix is
 * checked to be `[A-Za-z0-9_-]`, so the id always fits Secret Manager's `[A-Za-z0-9_-]{1,255}`,
 * and a fixed prefix keeps the core's injective key encoding injective.
 *
 * Labels (at most 63 characters of `[a-z0-9_-]`) carry the tenant and the credential type, for
 * listing one tenant by a label filter. The tenant label is the tenant segment with `-` written
 * as `_` (segments never contain `_`, so this stays injective, and the filter needs no quoting);
 * a segment too long for a label value becomes `_x` + a SHA-256 digest. Listing re-checks every
 * secret id against the prefix and tenant segment, so a label collision is never served.
 */
import { createHash } from "node:crypto";
import { ConfigurationError } from "../../core/errors.js";
import { type BackendKey, KEY_SEPARATOR, MIN_KEY_LENGTH } from "../../core/key-encoding.js";

/** Longest secret id Secret Manager accepts. */
export const MAX_SECRET_ID_LENGTH = 255;
/** Longest label value. */
const MAX_LABEL_VALUE = 63;
/** Label keys credkit sets on its secrets. */
export const TENANT_LABEL = "credkit_tenant";
export const TYPE_LABEL = "credkit_type";

/** Checks a secret id prefix and returns the `maxKeyLength` left for `BackendKey.id`. */
export function checkPrefix(prefix: string, source: string): number {
  const room = MAX_SECRET_ID_LENGTH - prefix.length;
  if (!/^[A-Za-z0-9_-]*$/.test(prefix) || room < MIN_KEY_LENGTH) {
    throw new ConfigurationError(
      `The secret id prefix (option "prefix" or CREDKIT_GCP_SECRET_PREFIX) must be at most ${MAX_SECRET_ID_LENGTH - MIN_KEY_LENGTH} characters of [A-Za-z0-9_-].`,
      { missing: ["prefix"] },
      { source },
    );
  }
  return room;
}

/** Builds resource names for one project and prefix. */
export function secretNames(project: string, prefix: string) {
  const parent = `projects/${project}`;
  return {
    parent,
    secretId: (key: BackendKey) => prefix + key.id,
    secret: (key: BackendKey) => `${parent}/secrets/${prefix}${key.id}`,
    version: (key: BackendKey, version: number | "latest") =>
      `${parent}/secrets/${prefix}${key.id}/versions/${version}`,
    /** The tenant segment of a listed secret's id, or undefined when it is not one of ours. */
    tenantSegmentOf(secretName: string): string | undefined {
      const id = secretName.slice(secretName.lastIndexOf("/") + 1);
      if (!id.startsWith(prefix)) return undefined;
      const rest = id.slice(prefix.length);
      // why: a tenant segment never contains "--" nor ends in "-", so the first "--" splits.
      const split = rest.indexOf(KEY_SEPARATOR);
      return split > 0 && /^[a-z0-9-]+$/.test(rest) ? rest.slice(0, split) : undefined;
    },
  };
}

/** The tenant label value of a tenant segment. */
export function tenantLabel(tenantSegment: string): string {
  const value = tenantSegment.replaceAll("-", "_");
  if (value.length <= MAX_LABEL_VALUE) return value;
  return `_x${createHash("sha256").update(tenantSegment, "utf8").digest("hex").slice(0, 40)}`;
}

/** The list filter for one tenant, or for every credkit secret. */
export function listFilter(tenantSegment: string | undefined): string {
  return tenantSegment === undefined
    ? `labels.${TENANT_LABEL}:*`
    : `labels.${TENANT_LABEL}=${tenantLabel(tenantSegment)}`;
}

/** The version number at the end of a version name (`…/versions/7`), or undefined. */
export function versionNumberOf(name: unknown): number | undefined {
  if (typeof name !== "string") return undefined;
  const match = /\/versions\/(\d+)$/.exec(name);
  return match ? Number(match[1]) : undefined;
}
