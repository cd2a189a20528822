/**
 * `ConnectorService`: the seeds' tenant-scoped connector service. It keeps tenant connections
 * (`{ id, connector, instanceName, configuration, secretsReferences }` plus lifecycle status) in
 * a `ConnectionStore`, and their secrets in the `CredentialManager`:
 *
 * - Option A: a secret put directly in `configuration` is moved into the credential store
 *   (encrypted) under `connector-{id}` and replaced by a reference; it is never kept in config.
 * - Option B: `secretsReferences: { api_key: { secret_name: "openai_api_key" } }`, with optional
 *   `field` and `version`, resolved in the service's tenant only.
 *
 * Every read of a connection's secrets goes through `getManyCredentials` (one batch where the
 * backend has one) with accessor `connector_{id}`, so the audit trail records who used what.
 */
import { randomBytes } from "node:crypto";
import type { CredentialManager, TenantCredentials } from "../core/credential-manager.js";
import {
  AuthError,
  ConflictError,
  CredkitError,
  ExpiredError,
  IntegrityError,
  NotFoundError,
  ThrottledError,
  UnavailableError,
  ValidationError,
} from "../core/errors.js";
import { scrubError } from "../core/redact.js";
import { Secret } from "../core/secret.js";
import {
  type ConnectionRecord,
  type ConnectionStore,
  type JsonValue,
  memoryConnectionStore,
  type SecretReference,
} from "./connection-store.js";
import { findField, foldFieldName, useConnector } from "./define.js";
import {
  type ConnectionStatus,
  initialState,
  type LifecycleState,
  type StatusEvent,
  type TransitionReason,
  transition,
} from "./lifecycle.js";
import { type ConnectorRegistry, defaultRegistry } from "./registry.js";
import type {
  Connector,
  ConnectorOptions,
  ConnectorSpec,
  TestConnectionResult,
  TestFailureCode,
} from "./types.js";

/** Options of `new ConnectorService(...)`. */
export interface ConnectorServiceOptions {
  /** Where the secrets live. */
  credentials: CredentialManager;
  /** The tenant every call is scoped to. */
  tenantId: string;
  /**
   * Where connection records live. Share one store between the services of all tenants.
   * @default memoryConnectionStore() (per service: records are lost on exit)
   */
  store?: ConnectionStore;
  /** Registry to build connectors from. @default the default registry */
  registry?: ConnectorRegistry<object>;
  /** Options for every connector built (e.g. `baseURL`, `timeout`), or a function per connector id. */
  connectorOptions?: ConnectorOptions | ((connector: string) => ConnectorOptions);
  /**
   * Transitions kept per connection.
   * @default 20
   */
  historyLimit?: number;
  /** Called on every status transition. Must not throw (errors are ignored). */
  onStatusChange?: (event: StatusEvent) => void;
  /** Who acts, recorded on writes. */
  actor?: string;
  /** Clock, for tests. @default () => new Date() */
  now?: () => Date;
}

/** Input of `create`. */
export interface CreateConnectionInput {
  /** @default a random id */
  id?: string;
  /** Connector id, e.g. `openai`. */
  connector: string;
  /** The name people give the connection, e.g. "My AI Assistant". */
  instanceName: string;
  /** Settings; secret fields found here are moved to the credential store (option A). */
  configuration?: Readonly<Record<string, unknown>>;
  /** References to stored secrets (option B). */
  secretsReferences?: Readonly<Record<string, SecretReference>>;
  /** Expiry of the secrets moved from `configuration`. */
  expiresAt?: Date | string;
}

/** Input of `update`: given keys replace, `null` removes. */
export interface UpdateConnectionInput {
  /** A new name for the connection. */
  instanceName?: string;
  /** Settings to change; secret-looking keys are moved to the credential store as on `create`. */
  configuration?: Readonly<Record<string, unknown>>;
  /** References to add or replace; `null` removes one. */
  secretsReferences?: Readonly<Record<string, SecretReference | null>>;
  /** Expiry of the secrets moved from `configuration`. */
  expiresAt?: Date | string;
}

/** A connection's configuration with its references resolved to `Secret`s. */
export type ConnectionCredentials = Readonly<Record<string, JsonValue | Secret>>;

/** A reference could not be resolved: no such secret in this tenant, or no such field in it. */
export class UnresolvedReferenceError extends NotFoundError {
  /** The reference key, e.g. `api_key`. */
  readonly reference: string;
  readonly secretName: string;
  constructor(reference: string, secretName: string, why: string, options?: { cause?: unknown }) {
    super(
      `Secret reference "${reference}" (secret_name "${secretName}") could not be resolved: ${why}.`,
      options,
    );
    this.reference = reference;
    this.secretName = secretName;
  }
}

/** A word of a name that marks its value as secret even when the spec does not list it. */
const SECRET_WORD = /(key|secret|token|password|passwd|credentials?)$|^private$/;

/**
 * Whether a configuration name looks like it holds a secret: one of its words (split at `_`,
 * `-`, `.`, spaces and camelCase) ends in key, secret, token, password… (`api_key`,
 * `clientSecret`, `accessToken`), but not `max_tokens` or `keyword`.
 */
function looksSecret(name: string): boolean {
  return name.split(/[_\-.\s]+|(?<=[a-z0-9])(?=[A-Z])/).some((word) => SECRET_WORD.test(word.toLowerCase()));
}

/** The path of a string under a secret-looking name inside a nested configuration value. */
function nestedSecret(value: JsonValue, path: string, depth = 0): string | undefined {
  if (typeof value !== "object" || value === null || depth > 20) return undefined;
  for (const [name, item] of Object.entries(value)) {
    const at = Array.isArray(value) ? `${path}[${name}]` : `${path}.${name}`;
    if (typeof item === "string" && !Array.isArray(value) && looksSecret(name)) return at;
    const found = nestedSecret(item, at, depth + 1);
    if (found) return found;
  }
  return undefined;
}
const MAX_WRITE_ATTEMPTS = 5;

function isJson(value: unknown, depth = 0): value is JsonValue {
  if (depth > 20) return false;
  if (value === null || typeof value === "string" || typeof value === "boolean") return true;
  if (typeof value === "number") return Number.isFinite(value);
  if (Array.isArray(value)) return value.every((item) => isJson(item, depth + 1));
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.values(value).every((item) => isJson(item, depth + 1));
  }
  return false;
}

function checkReference(key: string, reference: unknown, backend: string): SecretReference {
  const ref = reference as SecretReference;
  if (typeof ref !== "object" || ref === null || typeof ref.secret_name !== "string" || !ref.secret_name) {
    throw new ValidationError(`Secret reference "${key}" needs a secret_name.`, key);
  }
  if (ref.field !== undefined && (typeof ref.field !== "string" || !ref.field)) {
    throw new ValidationError(`Secret reference "${key}": field must be a non-empty string.`, key);
  }
  if (ref.version !== undefined && (!Number.isInteger(ref.version) || ref.version < 1)) {
    throw new ValidationError(`Secret reference "${key}": version must be a positive integer.`, key);
  }
  if (ref.backend !== undefined && ref.backend !== backend) {
    throw new ValidationError(
      `Secret reference "${key}": backend "${String(ref.backend).slice(0, 40)}" is not supported; references resolve in the "${backend}" backend.`,
      key,
    );
  }
  return {
    secret_name: ref.secret_name,
    ...(ref.field !== undefined ? { field: ref.field } : {}),
    ...(ref.version !== undefined ? { version: ref.version } : {}),
    ...(ref.backend !== undefined ? { backend: ref.backend } : {}),
  };
}

/** Rebuilds a resolution failure as the same kind of error, naming the reference. */
function referenceFailure(key: string, ref: SecretReference, error: CredkitError): CredkitError {
  const what = `Secret reference "${key}" (secret_name "${ref.secret_name}")`;
  const options = { cause: error, source: error.source };
  switch (error.code) {
    case "not_found":
    case "deleted":
      return new UnresolvedReferenceError(key, ref.secret_name, "no such secret for this tenant", {
        cause: error,
      });
    case "expired":
      return new ExpiredError(`${what} has expired.`, (error as ExpiredError).expiresAt, options);
    case "auth":
      return new AuthError(`${what}: the backend refused access.`, options);
    case "throttled":
      return new ThrottledError(`${what}: the backend is throttling.`, options);
    case "integrity":
      return new IntegrityError(`${what} failed its integrity check.`, options);
    default:
      return new UnavailableError(`${what} could not be read.`, options);
  }
}

export class ConnectorService {
  readonly tenantId: string;
  readonly #manager: CredentialManager;
  readonly #tenant: TenantCredentials;
  readonly #store: ConnectionStore;
  readonly #registry: ConnectorRegistry<object>;
  readonly #options: ConnectorServiceOptions;
  readonly #listeners = new Set<(event: StatusEvent) => void>();
  readonly #now: () => Date;

  constructor(options: ConnectorServiceOptions) {
    if (typeof options.tenantId !== "string" || !options.tenantId) {
      throw new ValidationError("ConnectorService needs a tenantId.", "tenantId");
    }
    this.tenantId = options.tenantId;
    this.#manager = options.credentials;
    this.#tenant = options.credentials.forTenant(options.tenantId);
    this.#store = options.store ?? memoryConnectionStore();
    this.#registry = options.registry ?? defaultRegistry;
    this.#options = options;
    this.#now = options.now ?? (() => new Date());
    if (options.onStatusChange) this.#listeners.add(options.onStatusChange);
  }

  /** Subscribes to status transitions; returns the unsubscribe function. */
  onStatusChange(listener: (event: StatusEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  // ---------------------------------------------------------------- records

  /** Creates a connection (status `pending`). Secrets in `configuration` move to the credential store. */
  async create(input: CreateConnectionInput): Promise<ConnectionRecord> {
    const spec = this.#registry.spec(input.connector);
    if (typeof input.instanceName !== "string" || !input.instanceName.trim()) {
      throw new ValidationError("instanceName is required.", "instanceName");
    }
    const id = input.id ?? `conn_${randomBytes(8).toString("hex")}`;
    if (typeof id !== "string" || !/^[A-Za-z0-9_.:-]{1,100}$/.test(id)) {
      throw new ValidationError("A connection id must be 1-100 letters, digits, '_', '.', ':' or '-'.", "id");
    }
    if (await this.#store.get(this.tenantId, id)) {
      throw new ConflictError(`Connection "${id}" already exists.`);
    }
    const { configuration, secrets } = this.#split(spec, input.configuration ?? {});
    const references: Record<string, SecretReference> = {};
    for (const [key, ref] of Object.entries(input.secretsReferences ?? {})) {
      references[key] = checkReference(key, ref, this.#manager.backend.name);
    }
    const owned = this.#ownedName(id);
    if (Object.keys(secrets).length > 0) {
      for (const field of Object.keys(secrets)) references[field] = { secret_name: owned, field };
    }
    this.#checkComplete(spec, configuration, references);
    if (Object.keys(secrets).length > 0) {
      await this.#tenant.store(owned, secrets, { type: "custom", ...this.#writeOptions(input.expiresAt) });
    }
    const now = this.#now();
    const record: ConnectionRecord = {
      id,
      tenantId: this.tenantId,
      connector: spec.id,
      instanceName: input.instanceName,
      configuration,
      secretsReferences: references,
      ownedSecrets: Object.keys(secrets).length > 0 ? [owned] : [],
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      revision: 1,
      ...initialState(now),
    };
    await this.#store.put(record, 0);
    this.#announce(record, record.history[0]!);
    return record;
  }

  /** A connection record (never contains a secret). `NotFoundError` when there is none. */
  async get(id: string): Promise<ConnectionRecord> {
    const record = typeof id === "string" ? await this.#store.get(this.tenantId, id) : undefined;
    if (!record) throw new NotFoundError(`No connection "${String(id).slice(0, 100)}" for this tenant.`);
    return record;
  }

  /** Every connection of the tenant. */
  list(): Promise<ConnectionRecord[]> {
    return this.#store.list(this.tenantId);
  }

  /**
   * Changes a connection. New secret values (in `configuration`) become a new version of the
   * connection's own credential; changed secrets or references set the status back to `pending`.
   */
  async update(id: string, changes: UpdateConnectionInput): Promise<ConnectionRecord> {
    const current = await this.get(id);
    const spec = this.#registry.spec(current.connector);
    const removed = Object.entries(changes.configuration ?? {}).filter(([, value]) => value === null);
    const kept = Object.fromEntries(
      Object.entries(changes.configuration ?? {}).filter(([, value]) => value !== null),
    );
    const { configuration, secrets } = this.#split(spec, kept);
    const references: Record<string, SecretReference> = { ...current.secretsReferences };
    let credentialsChanged = false;
    for (const [key, ref] of Object.entries(changes.secretsReferences ?? {})) {
      if (ref === null) delete references[key];
      else references[key] = checkReference(key, ref, this.#manager.backend.name);
      credentialsChanged = true;
    }
    const owned = this.#ownedName(current.id);
    for (const field of Object.keys(secrets)) references[field] = { secret_name: owned, field };
    const nextConfiguration: Record<string, JsonValue> = { ...current.configuration, ...configuration };
    for (const [key] of removed) delete nextConfiguration[key];
    this.#checkComplete(spec, nextConfiguration, references);
    if (Object.keys(secrets).length > 0) {
      const write = { type: "custom" as const, ...this.#writeOptions(changes.expiresAt) };
      if (current.ownedSecrets.includes(owned)) await this.#tenant.update(owned, secrets, write);
      else await this.#tenant.store(owned, secrets, write);
      credentialsChanged = true;
    }
    return this.#mutate(id, (record) => ({
      record: {
        ...record,
        ...(changes.instanceName !== undefined ? { instanceName: changes.instanceName } : {}),
        configuration: nextConfiguration,
        secretsReferences: references,
        ownedSecrets:
          Object.keys(secrets).length > 0 && !record.ownedSecrets.includes(owned)
            ? [...record.ownedSecrets, owned]
            : record.ownedSecrets,
      },
      ...(credentialsChanged && record.status !== "disabled"
        ? {
            to: "pending" as const,
            reason: Object.keys(secrets).length > 0 ? ("rotated" as const) : ("credentials_changed" as const),
          }
        : {}),
    }));
  }

  /**
   * Deletes a connection and the credentials the service created for it (option A). Referenced
   * secrets (option B) belong to the tenant and stay.
   */
  async delete(id: string): Promise<void> {
    const record = await this.get(id);
    for (const name of record.ownedSecrets) {
      try {
        await this.#tenant.delete(
          name,
          this.#options.actor !== undefined ? { actor: this.#options.actor } : {},
        );
      } catch (error) {
        if (!NotFoundError.isInstance(error)) throw error;
      }
    }
    await this.#store.delete(this.tenantId, id);
  }

  // ---------------------------------------------------------------- secrets

  /**
   * The connection's configuration plus its references resolved to `Secret`s, read with
   * accessor `connector_{id}` in one batch. An unresolvable reference → `UnresolvedReferenceError`
   * naming it; an expired secret → `ExpiredError` and status `expired`.
   */
  async getConnectorCredentials(id: string): Promise<ConnectionCredentials> {
    const record = await this.get(id);
    const { values } = await this.#resolve(record);
    return Object.freeze({ ...record.configuration, ...values });
  }

  /** The seeds' masked view: configuration as is, secrets as `***key123`. */
  async getMaskedCredentials(id: string): Promise<Record<string, JsonValue>> {
    const record = await this.get(id);
    const { values } = await this.#resolve(record);
    const masked: Record<string, JsonValue> = { ...record.configuration };
    for (const [key, secret] of Object.entries(values)) masked[key] = secret.masked;
    return masked;
  }

  /**
   * A ready connector for the connection (call `cleanup()`, or use `await using`, or
   * `withConnector`). Refused for a disabled connection.
   */
  async createSdkConnectorInstance<C extends Connector = Connector>(id: string): Promise<C> {
    const record = await this.get(id);
    if (record.status === "disabled") {
      throw new ValidationError(`Connection "${id}" is disabled; enable it first.`, "status");
    }
    const { values } = await this.#resolve(record);
    return (await this.#connect(record, values)) as C;
  }

  /** Runs `fn` with the connection's connector and cleans it up whether `fn` returns or throws. */
  async withConnector<T, C extends Connector = Connector>(
    id: string,
    fn: (connector: C) => Promise<T> | T,
  ): Promise<T> {
    return useConnector(await this.createSdkConnectorInstance<C>(id), fn);
  }

  /**
   * Tests the connection: `validating`, then `active` or `error` (or `expired`). Returns the
   * verdict, never throws for a failed test; the outcome is also recorded in the audit trail.
   */
  async testConnectorConnection(id: string): Promise<TestConnectionResult> {
    const record = await this.get(id);
    if (record.status === "disabled") {
      throw new ValidationError(`Connection "${id}" is disabled; enable it first.`, "status");
    }
    await this.#mutate(id, (current) => ({
      record: current,
      to: "validating",
      reason: "validation_started",
    }));
    const accessor = this.#accessor(id);
    const names = this.#secretNames(record);
    let result: TestConnectionResult;
    let versions: Record<string, number> = {};
    let phase: "resolve" | "connect" = "resolve";
    try {
      const resolved = await this.#resolve(record, { noticeRotation: false });
      versions = resolved.versions;
      phase = "connect";
      const connector = await this.#connect(record, resolved.values);
      try {
        result = await connector.testConnection();
      } finally {
        await connector.cleanup();
      }
    } catch (error) {
      result = this.#failedTest(error, phase);
    }
    for (const name of names) this.#tenant.recordTest(name, accessor, result.success);
    await this.#mutate(id, (current) => ({
      record: result.success ? { ...current, validatedVersions: versions } : current,
      ...(current.status === result.status
        ? {}
        : {
            to: result.status,
            reason:
              result.status === "active"
                ? ("validated" as const)
                : result.status === "expired"
                  ? ("expired" as const)
                  : ("validation_failed" as const),
            ...(result.error !== undefined ? { message: result.error } : {}),
          }),
    }));
    return result;
  }

  /**
   * Rotates the connection's secrets: new values for the given fields, written as new versions
   * of the credentials they live in. Sets the status back to `pending` until the next test.
   */
  async rotateCredentials(
    id: string,
    values: Readonly<Record<string, string | Secret>>,
    options: { expiresAt?: Date | string } = {},
  ): Promise<ConnectionRecord> {
    const record = await this.get(id);
    const writes = new Map<string, Record<string, string | Secret>>();
    for (const [key, value] of Object.entries(values)) {
      const entry = Object.entries(record.secretsReferences).find(
        ([name]) => foldFieldName(name) === foldFieldName(key),
      );
      if (!entry) throw new ValidationError(`Connection "${id}" has no secret field "${key}".`, key);
      const [refKey, ref] = entry;
      if (ref.version !== undefined) {
        throw new ValidationError(
          `Secret reference "${refKey}" is pinned to a version; change the reference instead.`,
          refKey,
        );
      }
      const fields = writes.get(ref.secret_name) ?? {};
      fields[ref.field ?? refKey] = value;
      writes.set(ref.secret_name, fields);
    }
    for (const [name, fields] of writes) {
      await this.#tenant.update(name, fields, this.#writeOptions(options.expiresAt));
    }
    return this.#mutate(id, (current) => ({
      record: current,
      ...(current.status !== "disabled" ? { to: "pending" as const, reason: "rotated" as const } : {}),
    }));
  }

  /** Disables a connection: no connector is built for it until `enable`. */
  disable(id: string, message?: string): Promise<ConnectionRecord> {
    return this.#mutate(id, (record) => ({
      record,
      to: "disabled",
      reason: "disabled",
      ...(message !== undefined ? { message } : {}),
    }));
  }

  /** Enables a disabled connection: back to `pending` until the next test. */
  enable(id: string): Promise<ConnectionRecord> {
    return this.#mutate(id, (record) => ({
      record,
      ...(record.status === "disabled" ? { to: "pending" as const, reason: "enabled" as const } : {}),
    }));
  }

  /**
   * Checks the expiry of the connection's secrets from their metadata (values are not read):
   * a secret past its expiry → `expired`; an expired connection whose secrets were renewed →
   * `pending`.
   */
  async checkExpiry(id: string): Promise<ConnectionRecord> {
    const record = await this.get(id);
    const names = this.#secretNames(record);
    const infos = await Promise.all(names.map((name) => this.#tenant.describe(name)));
    const expired = infos.find((info) => info.status === "expired");
    return this.#mutate(id, (current) => {
      if (expired && current.status !== "expired" && current.status !== "disabled") {
        return {
          record: current,
          to: "expired",
          reason: "expired",
          message: `Secret "${expired.connectionId}" expired at ${expired.expiresAt?.toISOString()}`,
        };
      }
      if (!expired && current.status === "expired")
        return { record: current, to: "pending", reason: "credentials_changed" };
      return { record: current };
    });
  }

  // ---------------------------------------------------------------- internals

  #accessor(id: string): string {
    return `connector_${id}`;
  }

  #ownedName(id: string): string {
    return `connector-${id}`;
  }

  /** The credentials a connection's references point at, each once. */
  #secretNames(record: ConnectionRecord): string[] {
    return [...new Set(Object.values(record.secretsReferences).map((ref) => ref.secret_name))];
  }

  /** Options of a credential write made for a connection. */
  #writeOptions(expiresAt: Date | string | undefined): { expiresAt?: Date | string; actor?: string } {
    return {
      ...(expiresAt !== undefined ? { expiresAt } : {}),
      ...(this.#options.actor !== undefined ? { actor: this.#options.actor } : {}),
    };
  }

  /** Splits configuration into plain settings and secret values (moved to the store). */
  #split(
    spec: ConnectorSpec,
    input: Readonly<Record<string, unknown>>,
  ): { configuration: Record<string, JsonValue>; secrets: Record<string, string | Secret> } {
    if (typeof input !== "object" || input === null || Array.isArray(input)) {
      throw new ValidationError("configuration must be an object.", "configuration");
    }
    const configuration: Record<string, JsonValue> = {};
    const secrets: Record<string, string | Secret> = {};
    for (const [key, value] of Object.entries(input)) {
      const field = findField(spec, key);
      // A spec's secret field, a Secret, or a string under a secret-looking name is moved out.
      const secret =
        value instanceof Secret ||
        field?.secret === true ||
        (!field && typeof value === "string" && looksSecret(key));
      if (secret) {
        if (typeof value !== "string" && !(value instanceof Secret)) {
          throw new ValidationError(`Secret field "${key}" must be a string or a Secret.`, key);
        }
        secrets[key] = value;
      } else if (isJson(value)) {
        const nested = nestedSecret(value, key);
        if (nested) {
          throw new ValidationError(
            `Configuration field "${nested}" looks like a secret: put it at the top level of configuration (it is then moved to the credential store) or in secretsReferences.`,
            key,
          );
        }
        configuration[key] = value;
      } else {
        throw new ValidationError(`Configuration field "${key}" must be JSON.`, key);
      }
    }
    return { configuration, secrets };
  }

  /** Every required secret field of the connector must be configured or referenced. */
  #checkComplete(
    spec: ConnectorSpec,
    configuration: Readonly<Record<string, JsonValue>>,
    references: Readonly<Record<string, SecretReference>>,
  ): void {
    const present = new Set(
      [...Object.keys(configuration), ...Object.keys(references)].map((key) => findField(spec, key)?.name),
    );
    for (const field of spec.fields) {
      if (field.required && field.secret && !present.has(field.name)) {
        throw new ValidationError(
          `Connection for ${spec.displayName} needs "${field.name}" in configuration or in secretsReferences.`,
          field.name,
        );
      }
    }
  }

  /** Resolves every reference in one `getMany` call. */
  async #resolve(
    record: ConnectionRecord,
    options: { noticeRotation?: boolean } = {},
  ): Promise<{ values: Record<string, Secret>; versions: Record<string, number> }> {
    const references = Object.entries(record.secretsReferences);
    const requestKey = (ref: SecretReference) => `${ref.secret_name}\u0000${ref.version ?? ""}`;
    const requests = new Map<string, { connectionId: string; version?: number }>();
    for (const [, ref] of references) {
      requests.set(requestKey(ref), {
        connectionId: ref.secret_name,
        ...(ref.version !== undefined ? { version: ref.version } : {}),
      });
    }
    const keys = [...requests.keys()];
    const results = keys.length
      ? await this.#tenant.getMany([...requests.values()], { accessor: this.#accessor(record.id) })
      : [];
    const byKey = new Map(keys.map((key, index) => [key, results[index]!]));
    const values: Record<string, Secret> = {};
    const versions: Record<string, number> = {};
    for (const [key, ref] of references) {
      const result = byKey.get(requestKey(ref))!;
      if (!result.ok) {
        const failure = referenceFailure(key, ref, result.error);
        if (failure.code === "expired") {
          await this.#mutate(record.id, (current) => ({
            record: current,
            ...(current.status !== "expired" && current.status !== "disabled"
              ? { to: "expired" as const, reason: "expired" as const, message: failure.message }
              : {}),
          }));
        }
        throw failure;
      }
      const fields = result.credentials;
      const names = Object.keys(fields);
      const field =
        ref.field ??
        names.find((name) => foldFieldName(name) === foldFieldName(key)) ??
        (names.length === 1 ? names[0] : undefined);
      const value = field !== undefined ? fields[field] : undefined;
      if (!value) {
        throw new UnresolvedReferenceError(
          key,
          ref.secret_name,
          `the secret has no field "${ref.field ?? key}"`,
        );
      }
      values[key] = value;
      if (ref.version === undefined) versions[ref.secret_name] = result.version;
    }
    const validated = record.validatedVersions;
    if (options.noticeRotation !== false && record.status === "active" && validated) {
      const rotated = Object.entries(versions).some(
        ([name, version]) => validated[name] !== undefined && validated[name] !== version,
      );
      if (rotated)
        await this.#mutate(record.id, (current) => ({
          record: current,
          ...(current.status === "active" ? { to: "pending" as const, reason: "rotated" as const } : {}),
        }));
    }
    return { values, versions };
  }

  async #connect(record: ConnectionRecord, values: Record<string, Secret>): Promise<Connector> {
    const configured = this.#options.connectorOptions;
    const base = typeof configured === "function" ? configured(record.connector) : (configured ?? {});
    return this.#registry.get(record.connector as never, { ...record.configuration, ...values }, {
      ...base,
      redact: [...(base.redact ?? []), ...Object.values(values)],
    } as never) as Promise<Connector>;
  }

  /** The verdict for a test that failed before the provider was called. */
  #failedTest(error: unknown, phase: "resolve" | "connect"): TestConnectionResult {
    const failure = CredkitError.isInstance(error)
      ? error
      : new UnavailableError("The connector could not be built.", { cause: scrubError(error) });
    const code: TestFailureCode =
      failure.code === "expired"
        ? "expired"
        : failure.code === "validation"
          ? "missing_credentials"
          : phase === "resolve"
            ? "unresolved_reference"
            : "provider_error";
    return {
      success: false,
      status: code === "expired" ? "expired" : "error",
      code,
      error: failure.message.replace(/^\[credkit\](?: \[[^\]]*\])? /, ""),
      details: { latencyMs: 0 },
      testedAt: this.#now().toISOString(),
    };
  }

  /** Read-modify-write of a record with optimistic concurrency, plus an optional transition. */
  async #mutate(
    id: string,
    change: (record: ConnectionRecord) => {
      record: ConnectionRecord;
      to?: ConnectionStatus;
      reason?: TransitionReason;
      message?: string;
    },
  ): Promise<ConnectionRecord> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.get(id);
      const { record, to, reason, message } = change(current);
      let next: ConnectionRecord = {
        ...record,
        updatedAt: this.#now().toISOString(),
        revision: current.revision + 1,
      };
      let step: StatusEvent | undefined;
      if (to !== undefined && reason !== undefined) {
        const moved = transition(next as LifecycleState, to, reason, {
          now: this.#now(),
          ...(message !== undefined ? { message } : {}),
          ...(this.#options.historyLimit !== undefined ? { historyLimit: this.#options.historyLimit } : {}),
        });
        next = { ...next, ...moved.state } as ConnectionRecord;
        if (moved.state.errorMessage === undefined) {
          const { errorMessage: _dropped, ...rest } = next;
          next = rest as ConnectionRecord;
        }
        step = { ...moved.transition, tenantId: this.tenantId, connectionId: id };
      }
      try {
        await this.#store.put(next, current.revision);
      } catch (error) {
        if (ConflictError.isInstance(error) && attempt < MAX_WRITE_ATTEMPTS) continue;
        throw error;
      }
      if (step) this.#announce(next, step);
      return next;
    }
  }

  #announce(record: ConnectionRecord, step: StatusEvent | ConnectionRecord["history"][number]): void {
    const event: StatusEvent = { ...step, tenantId: this.tenantId, connectionId: record.id };
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // listeners must not break the service
      }
    }
  }
}
