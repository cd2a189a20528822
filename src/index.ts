/**
 * credkit: store, resolve and use other people's credentials safely.
 * The root entry is the core only; it imports no cloud or provider SDK.
 */

export type { AnthropicConnector } from "./connectors/anthropic/index.js";
export { BUILTIN_SPECS, type BuiltinConnectorId } from "./connectors/catalog.js";
export {
  type ConnectionListOptions,
  type ConnectionPage,
  type ConnectionRecord,
  type ConnectionStore,
  type JsonValue,
  memoryConnectionStore,
  type SecretReference,
} from "./connectors/connection-store.js";
export {
  type ConnectorDefinition,
  type ConnectorMethod,
  type ConnectorParts,
  type ConnectorSetupContext,
  type DefinedConnector,
  defineConnector,
  type VerifyDetails,
} from "./connectors/define.js";
export type { EgressLookup, EgressOptions, ResolvedAddress } from "./connectors/egress.js";
export { classifyFailure, type Failure, type FailureKind } from "./connectors/failures.js";
export type { FirecrawlConnector } from "./connectors/firecrawl/index.js";
export type { GeminiConnector } from "./connectors/gemini/index.js";
export type { HttpConnector, HttpConnectorOptions } from "./connectors/http/index.js";
export {
  type ConnectionStatus,
  canTransition,
  DEFAULT_HISTORY_LIMIT,
  type LifecycleState,
  type StatusEvent,
  type StatusTransition,
  type TransitionReason,
} from "./connectors/lifecycle.js";
export type { OpenAIConnector } from "./connectors/openai/index.js";
export {
  type ConnectorOptionTypes,
  ConnectorRegistry,
  type ConnectorRegistryOptions,
  type ConnectorTypes,
  connectorCatalog,
  connectorIds,
  createConnectorRegistry,
  defaultRegistry,
  getConnector,
  type OptionsFor,
  registerConnector,
  withConnector,
} from "./connectors/registry.js";
export {
  type ConnectionCredentials,
  ConnectorService,
  type ConnectorServiceOptions,
  type CreateConnectionInput,
  UnresolvedReferenceError,
  type UpdateConnectionInput,
} from "./connectors/service.js";
export type {
  Connector,
  ConnectorCategory,
  ConnectorCredentials,
  ConnectorOptions,
  ConnectorSpec,
  CredentialFieldSpec,
  GenerateTextOptions,
  GenerateTextResult,
  ModelInfo,
  TestConnectionResult,
  TestFailureCode,
  VerificationSpec,
} from "./connectors/types.js";
export {
  type AccessStats,
  type AuditAction,
  type AuditEvent,
  AuditRing,
  type AuditSink,
  type CacheOutcome,
  formatAuditLine,
  jsonLinesSink,
  loggerSink,
  type StructuredLogger,
} from "./core/audit.js";
export type {
  Backend,
  BackendCapabilities,
  BackendDeleteOptions,
  BackendGetOptions,
  BackendListEntry,
  BackendListOptions,
  BackendListPage,
  BackendPutOptions,
  BackendRecord,
  BackendWrite,
  RecordMetadata,
} from "./core/backend.js";
export {
  type BackendDefinition,
  type BackendType,
  type BackendVariable,
  backendTypes,
  type Environment,
} from "./core/backend-registry.js";
export type { CacheOptions } from "./core/cache.js";
export {
  type CreateCredentialManagerOptions,
  createCredentialManager,
  DEFAULT_BACKEND,
} from "./core/create-credential-manager.js";
export {
  type AuditOptions,
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
export {
  CREDENTIAL_TYPES,
  type CredentialInput,
  type CredentialType,
  describeCredentialType,
  isCredentialType,
  validateCredential,
} from "./core/credential-types.js";
export {
  contextBytes,
  EnvelopeCodec,
  type PayloadCodec,
  PlainCodec,
  type RecordContext,
} from "./core/envelope.js";
export {
  AuthError,
  ConfigurationError,
  ConflictError,
  CredkitError,
  type CredkitErrorCode,
  type CredkitErrorOptions,
  DeletedError,
  type DeletedState,
  DependencyMissingError,
  EgressBlockedError,
  ExpiredError,
  IntegrityError,
  isTransientError,
  NotFoundError,
  ThrottledError,
  UnavailableError,
  UnknownConnectorError,
  UnsupportedError,
  ValidationError,
} from "./core/errors.js";
export { importOptional, type LibOption } from "./core/import-optional.js";
export {
  type BackendKey,
  encodeKey,
  encodeTenant,
  escapeComponent,
  unescapeComponent,
} from "./core/key-encoding.js";
export {
  KEY_GENERATION_HINT,
  type KeyProvider,
  keyIdOf,
  LocalKeyring,
  parseKey,
  plainFingerprint,
} from "./core/keyring.js";
export { Redactor, ScrubbedError, scrubError } from "./core/redact.js";
export { type AttemptContext, type RetryOptions, withRetry } from "./core/retry.js";
export { maskFields, maskSecret, Secret, type SecretFields } from "./core/secret.js";
