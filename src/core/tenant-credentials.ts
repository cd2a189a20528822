/**
 * `TenantCredentials`: the `CredentialManager` API bound to one tenant, for code that serves one
 * tenant and must not be able to name another.
 */

import type { CredentialManager } from "./credential-manager.js";
import type { CredentialInput } from "./credential-types.js";
import type {
  AuditContext,
  BatchReadOptions,
  CredentialInfo,
  CredentialResult,
  DeleteOptions,
  GetOptions,
  ListOptions,
  WriteOptions,
} from "./manager-options.js";
import type { SecretFields } from "./secret.js";

/** Who acts through a view and for which request: recorded in every audit event of the view. */
export interface ViewContext {
  /** Recorded as `accessor` on reads, describes and listings and as `actor` on writes. */
  actor?: string;
  /** Recorded as `correlationId` on every operation (at most 256 bytes). */
  correlationId?: string;
}

/**
 * The `CredentialManager` API bound to one tenant. With a `ViewContext`, every operation carries
 * its actor and correlation id unless the call's own options name others.
 */
export class TenantCredentials {
  readonly #manager: CredentialManager;
  readonly tenantId: string;
  readonly #reader: { accessor?: string; correlationId?: string };
  readonly #writer: { actor?: string; correlationId?: string };

  constructor(manager: CredentialManager, tenantId: string, context: ViewContext = {}) {
    this.#manager = manager;
    this.tenantId = tenantId;
    const correlation = context.correlationId !== undefined ? { correlationId: context.correlationId } : {};
    this.#reader = { ...(context.actor !== undefined ? { accessor: context.actor } : {}), ...correlation };
    this.#writer = { ...(context.actor !== undefined ? { actor: context.actor } : {}), ...correlation };
  }

  store(connectionId: string, credentials: CredentialInput, options?: WriteOptions): Promise<CredentialInfo> {
    return this.#manager.storeCredentials(connectionId, this.tenantId, credentials, {
      ...this.#writer,
      ...options,
    });
  }

  get(connectionId: string, options?: GetOptions): Promise<SecretFields> {
    return this.#manager.getCredentials(connectionId, this.tenantId, { ...this.#reader, ...options });
  }

  getMany(
    requests: ReadonlyArray<{ connectionId: string; version?: number }>,
    options?: BatchReadOptions,
  ): Promise<CredentialResult[]> {
    return this.#manager.getManyCredentials(
      requests.map((request) => ({ ...request, userId: this.tenantId })),
      { ...this.#reader, ...options },
    );
  }

  describe(connectionId: string, options?: AuditContext): Promise<CredentialInfo> {
    return this.#manager.describeCredentials(connectionId, this.tenantId, { ...this.#reader, ...options });
  }

  list(options?: ListOptions): Promise<{ items: CredentialInfo[]; cursor?: string }> {
    return this.#manager.listCredentials(this.tenantId, { ...this.#reader, ...options });
  }

  rotate(
    connectionId: string,
    credentials: CredentialInput,
    options?: WriteOptions,
  ): Promise<CredentialInfo> {
    return this.#manager.rotateCredentials(connectionId, this.tenantId, credentials, {
      ...this.#writer,
      ...options,
    });
  }

  update(connectionId: string, changes: CredentialInput, options?: WriteOptions): Promise<CredentialInfo> {
    return this.#manager.updateCredentials(connectionId, this.tenantId, changes, {
      ...this.#writer,
      ...options,
    });
  }

  delete(connectionId: string, options?: DeleteOptions): Promise<void> {
    return this.#manager.deleteCredentials(connectionId, this.tenantId, { ...this.#writer, ...options });
  }

  restore(connectionId: string, options?: { actor?: string; correlationId?: string }): Promise<void> {
    return this.#manager.restoreCredentials(connectionId, this.tenantId, { ...this.#writer, ...options });
  }

  purge(connectionId: string, options?: Omit<DeleteOptions, "purge">): Promise<void> {
    return this.#manager.purgeCredentials(connectionId, this.tenantId, { ...this.#writer, ...options });
  }

  /** Records a connection test's outcome in the audit trail. */
  recordTest(connectionId: string, accessor: string, success: boolean): void {
    this.#manager.recordTest(this.tenantId, connectionId, accessor, success);
  }
}
