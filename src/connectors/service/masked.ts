/**
 * Masked views served from metadata: the masked form of each secret (e.g. `***wxyz`) is written
 * beside its fingerprint when the secret is stored, so showing a tenant's connections with masked
 * keys reads no secret and decrypts nothing (the audit trail records `describe`, never `read`).
 * The trade-off: the store's metadata holds those few characters of each value.
 */
import type { CredentialInfo } from "../../core/credential-manager.js";
import { NotFoundError } from "../../core/errors.js";
import type { ConnectionPage, ConnectionRecord, JsonValue } from "../connection-store.js";
import type { ConnectionListOptions } from "../connection-stores/paging.js";
import type { ServiceContext } from "./context.js";
import { pickField, secretNames } from "./references.js";

/** Shown for a secret whose masked form is unknown (written before masked forms were kept, or pinned to an older version). */
export const UNKNOWN_MASK = "***";

/** A connection with its configuration and the masked form of each secret. */
export interface MaskedConnection extends ConnectionRecord {
  /** Configuration as is, each secret reference as its masked form. */
  readonly maskedCredentials: Readonly<Record<string, JsonValue>>;
}

/** Describes each credential once (metadata only); a missing one is left out. */
async function describeAll(
  context: ServiceContext,
  names: readonly string[],
): Promise<Map<string, CredentialInfo>> {
  const infos = new Map<string, CredentialInfo>();
  await Promise.all(
    names.map(async (name) => {
      try {
        infos.set(name, await context.tenantCredentials.describe(name));
      } catch (error) {
        // why: a reference that does not resolve shows the unknown mask; other failures are real
        if (!NotFoundError.isInstance(error)) throw error;
      }
    }),
  );
  return infos;
}

/** What metadata says about the field a reference points at, when it describes the current version. */
function currentField(
  key: string,
  ref: ConnectionRecord["secretsReferences"][string],
  info: CredentialInfo | undefined,
  by: Readonly<Record<string, string>> | undefined,
): string | undefined {
  const current = ref.version === undefined || ref.version === info?.version;
  const field = by && current ? pickField(key, ref, Object.keys(by)) : undefined;
  return field !== undefined ? by?.[field] : undefined;
}

function maskedView(
  record: ConnectionRecord,
  infos: ReadonlyMap<string, CredentialInfo>,
): Record<string, JsonValue> {
  const view: Record<string, JsonValue> = { ...record.configuration };
  for (const [key, ref] of Object.entries(record.secretsReferences)) {
    const info = infos.get(ref.secret_name);
    view[key] = currentField(key, ref, info, info?.masked) ?? UNKNOWN_MASK;
  }
  return view;
}

/**
 * Each secret reference's keyed fingerprint, from metadata (no secret read): tells an operator
 * whether two keys are the same without showing either. A reference without one is left out.
 */
export async function secretFingerprints(
  context: ServiceContext,
  record: ConnectionRecord,
): Promise<Record<string, string>> {
  const infos = await describeAll(context, secretNames(record));
  const fingerprints: Record<string, string> = {};
  for (const [key, ref] of Object.entries(record.secretsReferences)) {
    const info = infos.get(ref.secret_name);
    const fingerprint = currentField(key, ref, info, info?.fingerprints);
    if (fingerprint !== undefined) fingerprints[key] = fingerprint;
  }
  return fingerprints;
}

/** The masked view of one connection, from metadata. */
export async function maskedCredentials(
  context: ServiceContext,
  record: ConnectionRecord,
): Promise<Record<string, JsonValue>> {
  return maskedView(record, await describeAll(context, secretNames(record)));
}

/** A page of the tenant's connections with masked secrets: each credential described once. */
export async function listMasked(
  context: ServiceContext,
  options: ConnectionListOptions,
): Promise<{ items: MaskedConnection[]; cursor?: string }> {
  const page: ConnectionPage = await context.store.list(context.tenantId, options);
  const names = [...new Set(page.items.flatMap((record) => secretNames(record)))];
  const infos = await describeAll(context, names);
  const items = page.items.map((record) => ({ ...record, maskedCredentials: maskedView(record, infos) }));
  return page.cursor !== undefined ? { items, cursor: page.cursor } : { items };
}
