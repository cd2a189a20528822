/**
 * credkit: store, resolve and use other people's credentials safely.
 * The root entry is what application code uses; it imports no cloud or provider SDK. Backend and
 * key provider authors import from credkit/backend, connector and connection store authors from
 * credkit/connector, test suites from credkit/testing, each backend from credkit/backends/<type>
 * and each connector's types from credkit/connectors/<id>.
 */

export { type ConnectionRecord, memoryConnectionStore } from "./connectors/connection-store.js";
export { credentialConnectionStore } from "./connectors/connection-stores/credential-store.js";
export { getConnector, withConnector } from "./connectors/registry.js";
export {
  ConnectorMismatchError,
  ConnectorService,
  type ConnectorServiceOptions,
  type CreateConnectionInput,
  ReferenceDeniedError,
  type ReferencePolicy,
  UnresolvedReferenceError,
} from "./connectors/service.js";
export type { Connector, TestConnectionResult } from "./connectors/types.js";
export {
  type AuditEvent,
  type AuditSink,
  jsonLinesSink,
  loggerSink,
} from "./core/audit.js";
export { type BackendType, backendTypes } from "./core/backend-registry.js";
export {
  type CreateCredentialManagerOptions,
  createCredentialManager,
} from "./core/create-credential-manager.js";
export {
  type CredentialInfo,
  CredentialManager,
  type CredentialManagerOptions,
  type CredentialRequest,
  type CredentialResult,
  type CredentialStatus,
  type DeleteOptions,
  type GetOptions,
  type ListOptions,
  TenantCredentials,
  type WriteOptions,
} from "./core/credential-manager.js";
export { CREDENTIAL_TYPES, type CredentialInput, type CredentialType } from "./core/credential-types.js";
export {
  AuthError,
  BudgetExceededError,
  ConfigurationError,
  ConflictError,
  CredkitError,
  type CredkitErrorCode,
  DeletedError,
  DependencyMissingError,
  EgressBlockedError,
  ExpiredError,
  IntegrityError,
  KeyDisabledError,
  KeyPolicyError,
  NotFoundError,
  ThrottledError,
  UnavailableError,
  UnknownConnectorError,
  UnsupportedError,
  ValidationError,
} from "./core/errors.js";
export { LocalKeyring } from "./core/keyring.js";
export { migrateCredentials } from "./core/migrate.js";
export { maskFields, maskSecret, Secret } from "./core/secret.js";
