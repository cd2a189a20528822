/**
 * Where tenant connection records live. A record holds configuration (never a secret value),
 * secret references and lifecycle status; values stay in the credential store. Implementations
 * are in `./connection-stores/`: over the credential store's own backend (the default, so
 * connections are as durable as credentials) and in memory (for tests, chosen explicitly).
 */
import type { ConnectionListOptions } from "./connection-stores/paging.js";
import type { LifecycleState } from "./lifecycle.js";

export type { ConnectionListOptions } from "./connection-stores/paging.js";

/** A JSON value, as kept in `configuration`. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * Points at a credential in the credential store of the same tenant by name
 * (`{ secret_name }` in the HTTP API), with an optional field and version.
 */
export interface SecretReference {
  /** The credential's name (its `connectionId` in the `CredentialManager`). */
  readonly secret_name: string;
  /**
   * Which field of the credential to use.
   * @default the field named like the reference key (ignoring case, `_`, `-`), else the only field
   */
  readonly field?: string | undefined;
  /** Pin a version. @default the latest */
  readonly version?: number | undefined;
  /** Reserved for references to another backend; only the manager's own backend today. */
  readonly backend?: string | undefined;
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
  readonly validatedVersions?: Readonly<Record<string, number>> | undefined;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Incremented on every write; `put` compares it for optimistic concurrency. */
  readonly revision: number;
}

/** One page of a tenant's connection records. */
export interface ConnectionPage {
  readonly items: ConnectionRecord[];
  /** Present when more records follow: pass it as `cursor` to get them. */
  readonly cursor?: string | undefined;
}

/**
 * Storage of connection records. Every method is scoped by tenant; a record's `revision` is the
 * compare-and-set token. `runConnectionStoreContract` (credkit/testing) proves an implementation.
 */
export interface ConnectionStore {
  /** A tenant's record, or undefined when that tenant has none with this id. */
  get(tenantId: string, id: string): Promise<ConnectionRecord | undefined>;
  /**
   * A page of a tenant's records: `limit` of them while a `cursor` says more follow, in an order
   * of the store's choosing (the memory store sorts by id). See `ConnectionListOptions`.
   */
  list(tenantId: string, options?: ConnectionListOptions): Promise<ConnectionPage>;
  /**
   * Writes a record at `record.revision`, which is `expectedRevision + 1`. `expectedRevision` is
   * the revision the caller read (0: must not exist); a mismatch throws `ConflictError`.
   */
  put(record: ConnectionRecord, expectedRevision: number): Promise<void>;
  /** Removes a record for good; false when there was none. */
  delete(tenantId: string, id: string): Promise<boolean>;
}

export { memoryConnectionStore } from "./connection-stores/memory.js";
