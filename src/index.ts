/**
 * credkit: store, resolve and use other people's credentials safely.
 * The root entry is what application code uses; it imports no cloud or provider SDK. Backend
 * authors import from credkit/backend, test suites from credkit/testing, each backend from
 * credkit/backends/<type> and each connector from credkit/connectors/<id>.
 */

export {
  type ConnectionRecord,
  type ConnectionStore,
  memoryConnectionStore,
} from "./connectors/connection-store.js";
export { credentialConnectionStore } from "./connectors/connection-stores/credential-store.js";
export {
  type PostgresConnectionStore,
  type PostgresConnectionStoreOptions,
  postgresConnectionStore,
} from "./connectors/connection-stores/postgres.js";
export { type ConnectorDefinition, defineConnector } from "./connectors/define.js";
export type { EgressOptions } from "./connectors/egress.js";
export {
  ConnectorRegistry,
  type ConnectorTypes,
  connectorCatalog,
  createConnectorRegistry,
  getConnector,
  registerConnector,
  withConnector,
} from "./connectors/registry.js";
export {
  ConnectorMismatchError,
  ConnectorService,
  type ConnectorServiceOptions,
  type CreateConnectionInput,
  ReferenceDeniedError,
  type ReferencePolicy,
  UnresolvedReferenceError,
} from "./connectors/service.js";
export type { ConnectorTemplate } from "./connectors/templates.js";
export type {
  Connector,
  ConnectorCredentials,
  ConnectorOptions,
  GenerateTextOptions,
  TestConnectionResult,
} from "./connectors/types.js";
export {
  type AuditEvent,
  type AuditSink,
  type CallRecord,
  type JsonLinesOptions,
  jsonLinesSink,
  loggerSink,
} from "./core/audit.js";
export type { Backend } from "./core/backend.js";
export { type BackendType, backendTypes } from "./core/backend-registry.js";
export type { CacheOptions } from "./core/cache.js";
export {
  type CreateCredentialManagerOptions,
  createCredentialManager,
} from "./core/create-credential-manager.js";
export {
  type AuditContext,
  type CredentialInfo,
  CredentialManager,
  type CredentialManagerOptions,
  type CredentialRequest,
  type CredentialResult,
  type CredentialStatus,
  type DeleteOptions,
  type GetOptions,
  type KeyCheckResult,
  type ListOptions,
  type RewrapOptions,
  type RewrapProgress,
  type RewrapResult,
  TenantCredentials,
  type VerifyKeysOptions,
  type VersionFailure,
  type ViewContext,
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
export { type KeyProvider, LocalKeyring } from "./core/keyring.js";
export {
  type MigrateOptions,
  type MigrateProgress,
  type MigrateResult,
  migrateCredentials,
} from "./core/migrate.js";
export { maskFields, maskSecret, Secret, type SecretFields } from "./core/secret.js";
