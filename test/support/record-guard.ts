/**
 * The record-guard proof every remote backend runs: a write with masked field forms reads back
 * unchanged, and once the stored metadata is edited behind credkit's back (through the loopback
 * server's store), a read is an `IntegrityError`, never a cast.
 */
import { expect } from "vitest";
import type { Backend, BackendWrite } from "../../src/core/backend.js";
import { IntegrityError } from "../../src/core/errors.js";
import type { BackendKey } from "../../src/core/key-encoding.js";

export const MASKED = { apiKey: "sk-***wxyz", region: "eu-***" };

/** A write whose metadata carries masked forms. */
export function maskedWrite(key: BackendKey): BackendWrite {
  const now = new Date().toISOString();
  return {
    value: "opaque-payload",
    metadata: {
      tenant: key.tenantId,
      name: key.connectionId,
      type: "api_key",
      fingerprints: { apiKey: "0123abcd" },
      masked: MASKED,
      keyId: null,
      createdAt: now,
      updatedAt: now,
    },
  };
}

/** The same metadata with one field no credkit writer produces. */
export function malformed<T extends { fingerprints?: unknown }>(metadata: T): T {
  return { ...metadata, fingerprints: { apiKey: 5 } };
}

/** Writes masked forms, checks they come back unchanged, tampers, and expects `IntegrityError`. */
export async function proveRecordGuard(
  backend: Backend,
  key: BackendKey,
  tamper: () => Promise<void> | void,
  reader: Backend = backend,
): Promise<void> {
  await backend.put(key, maskedWrite(key));
  expect((await backend.get(key))?.metadata.masked).toEqual(MASKED);
  await tamper();
  const error = await reader.get(key).then(
    () => undefined,
    (failure: unknown) => failure,
  );
  expect(IntegrityError.isInstance(error)).toBe(true);
}
