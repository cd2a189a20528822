/**
 * Where tenant connection records live. A record holds configuration (never a secret value),
 * secret references and lifecycle status; values stay in the credential store. The default is
 * in memory (for development and tests); implement `ConnectionStore` over your database for
 * anything that must survive a restart.
 */
import { ConflictError } from "../core/errors.js";
import type { LifecycleState } from "./lifecycle.js";

/** A JSON value, as kept in `configuration`. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * Points at a credential in the credential store of the same tenant: the seeds'
 * `{ secret_name }`, with an optional field and version.
 */
export interface SecretReference {
  /** The credential's name (its `connectionId` in the `CredentialManager`). */
  readonly secret_name: string;
  /**
   * Which field of the credential to use.
   * @default the field named like the reference key (ignoring case, `_`, `-`), else the only field
   */
  readonly field?: string;
  /** Pin a version. @default the latest */
  readonly version?: number;
  /** Reserved for references to another backend; only the manager's own backend today. */
  readonly backend?: string;
}

/** A tenant connection: which connector, its settings, where its secrets are, and its status. */
export interface ConnectionRecord extends LifecycleState {
  readonly id: string;
  readonly tenantId: string;
  /** Connector id, e.g. `openai`. */
  readonly connector: string;
  readonly instanceName: string;
  /** Settings: never a secret value (secret fields are moved to the credential store). */
  readonly configuration: Readonly<Record<string, JsonValue>>;
  /** Field name → reference. */
  readonly secretsReferences: Readonly<Record<string, SecretReference>>;
  /** Credentials the service created for this connection (option A), deleted with it. */
  readonly ownedSecrets: readonly string[];
  /** Secret name → version last validated, to notice a rotation made elsewhere. */
  readonly validatedVersions?: Readonly<Record<string, number>>;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Incremented on every write; `put` compares it for optimistic concurrency. */
  readonly revision: number;
}

/** Storage of connection records. Every method is scoped by tenant. */
export interface ConnectionStore {
  /** A tenant's record, or undefined when that tenant has none with this id. */
  get(tenantId: string, id: string): Promise<ConnectionRecord | undefined>;
  /** A tenant's records, sorted by id. */
  list(tenantId: string): Promise<ConnectionRecord[]>;
  /**
   * Writes a record. `expectedRevision` is the revision the caller read (0: must not exist);
   * a mismatch throws `ConflictError`.
   */
  put(record: ConnectionRecord, expectedRevision: number): Promise<void>;
  /** Removes a record; false when there was none. */
  delete(tenantId: string, id: string): Promise<boolean>;
}

/** An in-memory `ConnectionStore`: for development and tests; records are lost on exit. */
export function memoryConnectionStore(): ConnectionStore {
  const tenants = new Map<string, Map<string, ConnectionRecord>>();
  const of = (tenantId: string) => {
    const records = tenants.get(tenantId) ?? new Map<string, ConnectionRecord>();
    tenants.set(tenantId, records);
    return records;
  };
  return {
    async get(tenantId, id) {
      const record = tenants.get(tenantId)?.get(id);
      return record && structuredClone(record);
    },
    async list(tenantId) {
      return [...(tenants.get(tenantId)?.values() ?? [])]
        .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
        .map((record) => structuredClone(record));
    },
    async put(record, expectedRevision) {
      const records = of(record.tenantId);
      const current = records.get(record.id)?.revision ?? 0;
      if (current !== expectedRevision) {
        throw new ConflictError(
          `Connection "${record.id}" is at revision ${current}, not ${expectedRevision}.`,
          expectedRevision,
        );
      }
      records.set(record.id, structuredClone(record));
    },
    async delete(tenantId, id) {
      return tenants.get(tenantId)?.delete(id) ?? false;
    },
  };
}
