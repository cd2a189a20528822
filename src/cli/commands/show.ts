/**
 * How credentials are shown to people: metadata and masked forms, never a value.
 */
import type { CredentialInfo } from "../../core/manager-options.js";

/** One-line summary of a credential for lists. */
export function infoRow(info: CredentialInfo): string[] {
  return [
    info.connectionId,
    info.type,
    String(info.version),
    info.status,
    info.updatedAt.toISOString(),
    Object.keys(info.fingerprints).length > 0
      ? Object.keys(info.fingerprints).join(",")
      : Object.keys(info.masked ?? {}).join(","),
  ];
}

/** The header matching `infoRow`. */
export const INFO_HEADER = ["CONNECTION", "TYPE", "VERSION", "STATUS", "UPDATED", "FIELDS"] as const;

/** Every fact of a credential, one per line. */
export function infoLines(info: CredentialInfo): string[] {
  const lines = [
    `tenant:      ${info.tenantId}`,
    `connection:  ${info.connectionId}`,
    `type:        ${info.type}`,
    `version:     ${info.version}`,
    `status:      ${info.status}`,
    `key:         ${info.keyId ?? "(not encrypted by credkit)"}`,
    `created:     ${info.createdAt.toISOString()}`,
    `updated:     ${info.updatedAt.toISOString()}`,
  ];
  if (info.createdBy !== undefined) lines.push(`created by:  ${info.createdBy}`);
  if (info.expiresAt !== undefined) lines.push(`expires:     ${info.expiresAt.toISOString()}`);
  const fields = new Set([...Object.keys(info.fingerprints), ...Object.keys(info.masked ?? {})]);
  for (const field of fields) {
    const masked = info.masked?.[field] ?? "***";
    const fingerprint = info.fingerprints[field];
    lines.push(`field:       ${field} = ${masked}${fingerprint ? ` (fingerprint ${fingerprint})` : ""}`);
  }
  return lines;
}
