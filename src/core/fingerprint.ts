/**
 * Fingerprints tell stored values apart without revealing them. They are always keyed (the
 * `KeyProvider`'s `fingerprint`) and bound to (tenantId, connectionId, field): the same value
 * stored by two tenants, under two connections or in two fields gives unrelated fingerprints, so
 * comparing `describe()` output across records tests no guesses. Without a keyed provider there
 * are none.
 */
import type { KeyProvider } from "./keyring.js";

/** The canonical (injective) input a provider fingerprints for one field of one credential. */
export function fingerprintInput(
  tenantId: string,
  connectionId: string,
  field: string,
  value: string,
): string {
  return JSON.stringify(["credkit fingerprint 2", tenantId, connectionId, field, value]);
}

/** Field name → fingerprint, or an empty object when `provider` cannot key fingerprints. */
export function fingerprintFields(
  provider: KeyProvider | false,
  tenantId: string,
  connectionId: string,
  fields: Readonly<Record<string, string>>,
): Record<string, string> {
  const fingerprints: Record<string, string> = {};
  if (!provider || typeof provider.fingerprint !== "function") return fingerprints;
  for (const [field, value] of Object.entries(fields)) {
    fingerprints[field] = provider.fingerprint(fingerprintInput(tenantId, connectionId, field, value));
  }
  return fingerprints;
}
