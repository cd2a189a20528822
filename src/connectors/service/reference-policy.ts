/**
 * Which secrets a connection may resolve. By default: its own secrets (the ones the service
 * moved out of its configuration) and the tenant's ordinary credentials, never another
 * connection's own secrets nor any other name credkit reserves for itself. An operator's
 * `referencePolicy` decides more finely, seeing the default decision.
 */
import { ValidationError } from "../../core/errors.js";
import { RESERVED_PREFIX } from "../../core/ids.js";
import { parseReservedName } from "../../core/system-records.js";
import type { ConnectionRecord, SecretReference } from "../connection-store.js";

/** The namespace of the credentials a connection owns (option A secrets). */
export const OWNED_SECRETS_NAMESPACE = "connection-secrets";

/** What a reference policy is asked about one reference of one connection. */
export interface ReferenceRequest {
  readonly tenantId: string;
  /** The connection whose reference this is. */
  readonly connectionId: string;
  /** Its connector id, e.g. `openai`. */
  readonly connector: string;
  /** The reference key, e.g. `api_key`. */
  readonly reference: string;
  /** The credential it names. */
  readonly secretName: string;
  /** Whether the credential is one the service created for this very connection. */
  readonly ownSecret: boolean;
  /** When the credential is another connection's own secret: that connection's id. */
  readonly ownedBy?: string | undefined;
  /** What the default rule decides: own secrets and the tenant's ordinary credentials only. */
  readonly allowedByDefault: boolean;
}

/** Decides whether a connection may resolve a reference; return `allowedByDefault` to keep the default. */
export type ReferencePolicy = (request: ReferenceRequest) => boolean;

/** A reference names a secret the connection may not use. */
export class ReferenceDeniedError extends ValidationError {
  /** The reference key, e.g. `api_key`. */
  readonly reference: string;
  constructor(reference: string, why: string) {
    super(`Secret reference "${reference}" may not be used by this connection: ${why}.`, reference);
    this.reference = reference;
  }
}

/** The connection that owns `secretName`, when it is an owned secret (`~connection-secrets:{id}:{nonce}`). */
function ownerOf(secretName: string): string | undefined {
  const parsed = parseReservedName(secretName);
  if (parsed?.namespace !== OWNED_SECRETS_NAMESPACE) return undefined;
  const end = parsed.id.lastIndexOf(":");
  return end > 0 ? parsed.id.slice(0, end) : undefined;
}

/** The request a policy sees for one reference. */
export function referenceRequest(
  record: Pick<ConnectionRecord, "tenantId" | "id" | "connector" | "ownedSecrets">,
  reference: string,
  ref: SecretReference,
): ReferenceRequest {
  const ownSecret = record.ownedSecrets.includes(ref.secret_name);
  const reserved = ref.secret_name.startsWith(RESERVED_PREFIX);
  const ownedBy = ownSecret ? undefined : ownerOf(ref.secret_name);
  return {
    tenantId: record.tenantId,
    connectionId: record.id,
    connector: record.connector,
    reference,
    secretName: ref.secret_name,
    ownSecret,
    ...(ownedBy !== undefined ? { ownedBy } : {}),
    allowedByDefault: ownSecret || !reserved,
  };
}

/** Throws `ReferenceDeniedError` for the first reference the policy (or the default) refuses. */
export function checkReferences(
  record: Pick<ConnectionRecord, "tenantId" | "id" | "connector" | "ownedSecrets" | "secretsReferences">,
  policy: ReferencePolicy | undefined,
): void {
  for (const [reference, ref] of Object.entries(record.secretsReferences)) {
    const request = referenceRequest(record, reference, ref);
    const allowed = policy ? policy(request) === true : request.allowedByDefault;
    if (allowed) continue;
    throw new ReferenceDeniedError(
      reference,
      request.ownedBy !== undefined
        ? "the secret belongs to another connection"
        : request.allowedByDefault
          ? "the reference policy refused it"
          : "the name is reserved for credkit",
    );
  }
}
