/**
 * credkit/backend: what a backend (or key provider) author needs. The `Backend` contract and its
 * capabilities, the key encoding, the typed errors, retry, lazy SDK loading and the helpers every
 * backend shares. Application code imports from "credkit" instead.
 */
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
  BackendRewriteOptions,
  BackendWrite,
  RecordMetadata,
} from "../core/backend.js";
export {
  deletedRecord,
  integerVariable,
  maxVersionsOption,
  missingRecord,
  pageOf,
  versionConflict,
} from "../core/backend-support.js";
export type { DataKeyCacheOptions } from "../core/data-key-cache.js";
export {
  AuthError,
  ConfigurationError,
  ConflictError,
  CredkitError,
  type CredkitErrorCode,
  type CredkitErrorOptions,
  DeletedError,
  DependencyMissingError,
  IntegrityError,
  isTransientError,
  KeyDisabledError,
  NotFoundError,
  ThrottledError,
  UnavailableError,
  UnsupportedError,
  ValidationError,
} from "../core/errors.js";
export { fingerprintInput } from "../core/fingerprint.js";
export { importOptional, type LibOption } from "../core/import-optional.js";
export {
  type BackendKey,
  encodeKey,
  encodeTenantId,
  escapeComponent,
  KEY_SEPARATOR,
  MIN_KEY_LENGTH,
  unescapeComponent,
} from "../core/key-encoding.js";
export { type KeyProvider, keyIdOf, LocalKeyring, parseKey } from "../core/keyring.js";
export { Redactor, ScrubbedError, scrubError } from "../core/redact.js";
export {
  type AttemptContext,
  backoffDelay,
  type RetryOptions,
  resolveRetryOptions,
  withRetry,
} from "../core/retry.js";
export { Secret } from "../core/secret.js";
export { type ClientOrSettings, checkClientExclusive } from "./client-options.js";
export { crc32c } from "./crc32c.js";
export type { BackendDefinition, BackendVariable, Environment } from "./definition.js";
export {
  fetchSender,
  type HttpExchange,
  type HttpReply,
  type HttpSender,
  sendHttp,
  undiciSender,
} from "./http-exchange.js";
export {
  combineKeyProviders,
  type KeyProviderDefinition,
  KMS_KEY_VARIABLE,
  type KmsFailureKind,
  type KmsKeyProvider,
  type KmsOperations,
  type KmsProviderOptions,
  kmsFailure,
  kmsFailureKindOfStatus,
  kmsKeyProvider,
  missingFrom,
} from "./key-provider.js";
export { type LazyClient, lazyClient } from "./lazy-client.js";
