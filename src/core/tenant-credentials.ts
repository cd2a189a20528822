/**
 * `TenantCredentials`: the `CredentialManager` API bound to one tenant, for code that serves one
 * tenant and must not be able to name another.
 */

import type { CredentialManager } from "./credential-manager.js";
import type { CredentialInput } from "./credential-types.js";
import type {
  BatchReadOptions,
  CredentialInfo,
  CredentialResult,
  DeleteOptions,
  GetOptions,
  ListOptions,
  WriteOptions,
} from "./manager-options.js";
import type { SecretFields } from "./secret.js";

/** The `CredentialManager` API bound to one tenant. */
export class TenantCredentials {
  readonly #manager: CredentialManager;
  readonly tenantId: string;

  constructor(manager: CredentialManager, tenantId: string) {
    this.#manager = manager;
    this.tenantId = tenantId;
  }

  store(connectionId: string, credentials: CredentialInput, options?: WriteOptions): Promise<CredentialInfo> {
    return this.#manager.storeCredentials(connectionId, this.tenantId, credentials, options);
  }

  get(connectionId: string, options?: GetOptions): Promise<SecretFields> {
    return this.#manager.getCredentials(connectionId, this.tenantId, options);
  }

  getMany(
    requests: ReadonlyArray<{ connectionId: string; version?: number }>,
    options?: BatchReadOptions,
  ): Promise<CredentialResult[]> {
    return this.#manager.getManyCredentials(
      requests.map((request) => ({ ...request, userId: this.tenantId })),
      options,
    );
  }

  describe(connectionId: string): Promise<CredentialInfo> {
    return this.#manager.describeCredentials(connectionId, this.tenantId);
  }

  list(options?: ListOptions): Promise<{ items: CredentialInfo[]; cursor?: string }> {
    return this.#manager.listCredentials(this.tenantId, options);
  }

  rotate(
    connectionId: string,
    credentials: CredentialInput,
    options?: WriteOptions,
  ): Promise<CredentialInfo> {
    return this.#manager.rotateCredentials(connectionId, this.tenantId, credentials, options);
  }

  update(connectionId: string, changes: CredentialInput, options?: WriteOptions): Promise<CredentialInfo> {
    return this.#manager.updateCredentials(connectionId, this.tenantId, changes, options);
  }

  delete(connectionId: string, options?: DeleteOptions): Promise<void> {
    return this.#manager.deleteCredentials(connectionId, this.tenantId, options);
  }

  restore(connectionId: string, options?: { actor?: string }): Promise<void> {
    return this.#manager.restoreCredentials(connectionId, this.tenantId, options);
  }

  purge(connectionId: string, options?: { actor?: string }): Promise<void> {
    return this.#manager.purgeCredentials(connectionId, this.tenantId, options);
  }

  /** Records a connection test's outcome in the audit trail. */
  recordTest(connectionId: string, accessor: string, success: boolean): void {
    this.#manager.recordTest(this.tenantId, connectionId, accessor, success);
  }
}
