/**
 * `ConnectorService`: the tenant-scoped connector service. It keeps tenant connections
 * (`{ id, connector, instanceName, configuration, secretsReferences }` plus lifecycle status) in
 * a `ConnectionStore`, and their secrets in the `CredentialManager`:
 *
 * - Option A: a secret put directly in `configuration` is moved into the credential store
 *   (encrypted) under a name the service owns and replaced by a reference; it is never kept in
 *   configuration.
 * - Option B: `secretsReferences: { api_key: { secret_name: "openai_api_key" } }`, with optional
 *   `field` and `version`, resolved in the service's tenant only.
 *
 * Every read of a connection's secrets goes through `getManyCredentials` (one batch where the
 * backend has one) with accessor `connector_{id}`, so the audit trail records who used what.
 * The parts live in `./service/`: records (CRUD), configuration (option A), references
 * (option B), testing and maintenance (lifecycle).
 */

import { ValidationError } from "../core/errors.js";
import { Redactor } from "../core/redact.js";
import type { Secret } from "../core/secret.js";
import { ownedCredentials } from "../core/system-records.js";
import type {
  ConnectionListOptions,
  ConnectionPage,
  ConnectionRecord,
  JsonValue,
} from "./connection-store.js";
import { credentialConnectionStore } from "./connection-stores/credential-store.js";
import { useConnector } from "./define.js";
import type { ConnectionStatus, StatusEvent, TransitionReason } from "./lifecycle.js";
import { type ConnectorTypes, defaultRegistry } from "./registry.js";
import { checkConnector } from "./service/connector-kind.js";
import { type ConnectorServiceOptions, loadRecord, mutate, type ServiceContext } from "./service/context.js";
import { checkConnectionExpiry, rotateConnection } from "./service/maintenance.js";
import {
  listMasked,
  type MaskedConnection,
  maskedCredentials,
  secretFingerprints,
} from "./service/masked.js";
import {
  type CreateConnectionInput,
  createConnection,
  deleteConnection,
  type UpdateConnectionInput,
  updateConnection,
} from "./service/records.js";
import { resolveReferences } from "./service/references.js";
import { handedIn, scrubbedCall } from "./service/scrubbed.js";
import {
  assertEnabled,
  connectorFor,
  type TestConnectionOptions,
  testConnection,
} from "./service/testing.js";
import type { Connector, TestConnectionResult } from "./types.js";

export { ConnectorMismatchError } from "./service/connector-kind.js";
export type { ConnectorServiceOptions } from "./service/context.js";
export type { MaskedConnection } from "./service/masked.js";
export type { CreateConnectionInput, UpdateConnectionInput } from "./service/records.js";
export {
  ReferenceDeniedError,
  type ReferencePolicy,
  type ReferenceRequest,
} from "./service/reference-policy.js";
export { UnresolvedReferenceError } from "./service/references.js";
export type { TestConnectionOptions } from "./service/testing.js";

/** A connection's configuration with its references resolved to `Secret`s. */
export type ConnectionCredentials = Readonly<Record<string, JsonValue | Secret>>;

export class ConnectorService {
  readonly tenantId: string;
  readonly #context: ServiceContext;

  constructor(options: ConnectorServiceOptions) {
    if (typeof options.tenantId !== "string" || !options.tenantId) {
      throw new ValidationError("ConnectorService needs a tenantId.", "tenantId");
    }
    this.tenantId = options.tenantId;
    this.#context = {
      tenantId: options.tenantId,
      manager: options.credentials,
      tenantCredentials: ownedCredentials(options.credentials).forTenant(options.tenantId),
      store: options.store ?? credentialConnectionStore(options.credentials),
      registry: options.registry ?? defaultRegistry,
      options,
      now: options.now ?? (() => new Date()),
      listeners: new Set(options.onStatusChange ? [options.onStatusChange] : []),
    };
  }

  /** Subscribes to status transitions; returns the unsubscribe function. */
  onStatusChange(listener: (event: StatusEvent) => void): () => void {
    this.#context.listeners.add(listener);
    return () => this.#context.listeners.delete(listener);
  }

  // ---------------------------------------------------------------- records

  /** Creates a connection (status `pending`). Secrets in `configuration` move to the credential store. */
  create(input: CreateConnectionInput): Promise<ConnectionRecord> {
    return scrubbedCall(handedIn(input?.configuration), () => createConnection(this.#context, input));
  }

  /**
   * Creates a connection from a template (`registry.templates()`): the template's connector and
   * configuration, with `input.configuration` (a key included) merged over it.
   */
  createFromTemplate(
    templateId: string,
    input: Omit<CreateConnectionInput, "connector">,
  ): Promise<ConnectionRecord> {
    return scrubbedCall(handedIn(input?.configuration), async () => {
      const template = this.#context.registry.template(templateId);
      return this.create({
        ...input,
        connector: template.connector,
        configuration: { ...template.configuration, ...input.configuration },
      });
    });
  }

  /** A connection record (never contains a secret). `NotFoundError` when there is none. */
  get(id: string): Promise<ConnectionRecord> {
    return scrubbedCall(new Redactor(), () => loadRecord(this.#context, id));
  }

  /**
   * A page of the tenant's connections: one call, `limit` per page (default 100,
   * at most 1000); pass the returned `cursor` to get the next page.
   */
  list(options: ConnectionListOptions = {}): Promise<ConnectionPage> {
    return scrubbedCall(new Redactor(), () => this.#context.store.list(this.tenantId, options));
  }

  /**
   * Changes a connection. New secret values (in `configuration`) become a new version of the
   * connection's own credential; changed secrets or references set the status back to `pending`.
   */
  update(id: string, changes: UpdateConnectionInput): Promise<ConnectionRecord> {
    return scrubbedCall(handedIn(changes?.configuration), () => updateConnection(this.#context, id, changes));
  }

  /**
   * Deletes a connection and the credentials the service created for it (option A). Referenced
   * secrets (option B) belong to the tenant and stay.
   */
  delete(id: string): Promise<void> {
    return scrubbedCall(new Redactor(), () => deleteConnection(this.#context, id));
  }

  // ---------------------------------------------------------------- secrets

  /**
   * The connection's configuration plus its references resolved to `Secret`s, read with
   * accessor `connector_{id}` in one batch. An unresolvable reference → `UnresolvedReferenceError`
   * naming it; an expired secret → `ExpiredError` and status `expired`.
   */
  getConnectorCredentials(id: string): Promise<ConnectionCredentials> {
    const known = new Redactor();
    return scrubbedCall(known, async () => {
      const record = await loadRecord(this.#context, id);
      const { values } = await resolveReferences(this.#context, record, { known });
      return Object.freeze({ ...record.configuration, ...values });
    });
  }

  /**
   * The masked view: configuration as is, each secret as its masked form (`***wxyz`), served from
   * metadata kept at write time: no secret is read or decrypted. `***` where the form is unknown.
   */
  getMaskedCredentials(id: string): Promise<Record<string, JsonValue>> {
    return scrubbedCall(new Redactor(), async () =>
      maskedCredentials(this.#context, await loadRecord(this.#context, id)),
    );
  }

  /** Each secret reference's keyed fingerprint (current version), from metadata: no secret is read. */
  getSecretFingerprints(id: string): Promise<Record<string, string>> {
    return scrubbedCall(new Redactor(), async () =>
      secretFingerprints(this.#context, await loadRecord(this.#context, id)),
    );
  }

  /**
   * A page of the tenant's connections, each with `maskedCredentials`, from metadata: one
   * `describe` per distinct credential on the page, no secret read.
   */
  listMasked(options: ConnectionListOptions = {}): Promise<{ items: MaskedConnection[]; cursor?: string }> {
    return scrubbedCall(new Redactor(), () => listMasked(this.#context, options));
  }

  /**
   * A ready connector for the connection (call `cleanup()`, or use `await using`, or
   * `withConnector`). Refused for a disabled connection. Name the connector first to get its
   * type: `createSdkConnectorInstance("openai", id)` is an `OpenAIConnector`, and a connection of
   * another connector is a `ConnectorMismatchError`.
   */
  createSdkConnectorInstance<Id extends keyof ConnectorTypes & string>(
    connector: Id,
    id: string,
  ): Promise<ConnectorTypes[Id]>;
  createSdkConnectorInstance<C extends Connector = Connector>(id: string): Promise<C>;
  createSdkConnectorInstance(first: string, second?: string): Promise<Connector> {
    const known = new Redactor();
    return scrubbedCall(known, () => this.#connector(first, second, known));
  }

  /** The connector of `createSdkConnectorInstance`; the secrets it reads are added to `known`. */
  async #connector(first: string, second: string | undefined, known: Redactor): Promise<Connector> {
    const [expected, id] = second === undefined ? [undefined, first] : [first, second];
    const record = await loadRecord(this.#context, id);
    checkConnector(record, expected);
    assertEnabled(record);
    const { values } = await resolveReferences(this.#context, record, { known });
    return connectorFor(this.#context, record, values);
  }

  /**
   * Runs `fn` with the connection's connector and cleans it up whether `fn` returns or throws.
   * `withConnector("openai", id, (openai) => openai.generateText("Hi"))` types `openai` and checks
   * at run time that the connection is an `openai` one (`ConnectorMismatchError` if not).
   */
  withConnector<Id extends keyof ConnectorTypes & string, T>(
    connector: Id,
    id: string,
    fn: (connector: ConnectorTypes[Id]) => Promise<T> | T,
  ): Promise<T>;
  withConnector<T, C extends Connector = Connector>(
    id: string,
    fn: (connector: C) => Promise<T> | T,
  ): Promise<T>;
  withConnector<T>(
    first: string,
    second: string | ((connector: Connector) => Promise<T> | T),
    third?: (connector: Connector) => Promise<T> | T,
  ): Promise<T> {
    const known = new Redactor();
    return scrubbedCall(known, async () => {
      if (typeof second === "function")
        return useConnector(await this.#connector(first, undefined, known), second);
      return useConnector(await this.#connector(first, second, known), third as never);
    });
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Tests the connection: `validating`, then `active` or `error` (or `expired`). Returns the
   * verdict, never throws for a failed test; the outcome is also recorded in the audit trail.
   * `{ background: true }` is a scheduled check: no `validating` step, a transition only when the
   * status changes, and `error` → `active` reported as `recovered`.
   */
  testConnectorConnection(id: string, options: TestConnectionOptions = {}): Promise<TestConnectionResult> {
    const known = new Redactor();
    return scrubbedCall(known, () => testConnection(this.#context, id, options, known));
  }

  /**
   * Rotates the connection's secrets: new values for the given fields, written as new versions
   * of the credentials they live in. Sets the status back to `pending` until the next test.
   */
  rotateCredentials(
    id: string,
    values: Readonly<Record<string, string | Secret>>,
    options: { expiresAt?: Date | string } = {},
  ): Promise<ConnectionRecord> {
    return scrubbedCall(handedIn(values), () => rotateConnection(this.#context, id, values, options));
  }

  /**
   * Records a status change observed outside the service (e.g. an OAuth authorization or a
   * refused refresh token). The transition follows the lifecycle rules and is announced to
   * listeners; `message` must never contain a secret.
   */
  reportStatus(
    id: string,
    to: ConnectionStatus,
    reason: TransitionReason,
    message?: string,
  ): Promise<ConnectionRecord> {
    return scrubbedCall(new Redactor(), () =>
      mutate(this.#context, id, (record) => ({
        record,
        to,
        reason,
        ...(message !== undefined ? { message } : {}),
      })),
    );
  }

  /** Disables a connection: no connector is built for it until `enable`. */
  disable(id: string, message?: string): Promise<ConnectionRecord> {
    return scrubbedCall(new Redactor(), () =>
      mutate(this.#context, id, (record) => ({
        record,
        to: "disabled",
        reason: "disabled",
        ...(message !== undefined ? { message } : {}),
      })),
    );
  }

  /** Enables a disabled connection: back to `pending` until the next test. */
  enable(id: string): Promise<ConnectionRecord> {
    return scrubbedCall(new Redactor(), () =>
      mutate(this.#context, id, (record) => ({
        record,
        ...(record.status === "disabled" ? { to: "pending" as const, reason: "enabled" as const } : {}),
      })),
    );
  }

  /**
   * Checks the expiry of the connection's secrets from their metadata (values are not read):
   * a secret past its expiry → `expired`; an expired connection whose secrets were renewed →
   * `pending`.
   */
  checkExpiry(id: string): Promise<ConnectionRecord> {
    return scrubbedCall(new Redactor(), () => checkConnectionExpiry(this.#context, id));
  }
}
