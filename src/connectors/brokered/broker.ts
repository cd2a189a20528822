/**
 * `createBroker`: connectors built from a credential reference instead of values. The SDK client
 * gets a placeholder key and the broker's `fetch`, which puts the real key on each request at
 * send time (see `broker-fetch.ts`). The key policy picks whose key a tenant's call uses; the
 * meter records usage and enforces budgets. Nothing reachable from a brokered connector or its
 * client holds the key.
 */
import type { CredentialManager } from "../../core/credential-manager.js";
import { UnsupportedError } from "../../core/errors.js";
import type { Secret } from "../../core/secret.js";
import { findField, formatVerdict } from "../define.js";
import { type ConnectorRegistry, type ConnectorTypes, defaultRegistry } from "../registry.js";
import type {
  AuthHeaderSpec,
  Connector,
  ConnectorOptions,
  ConnectorSpec,
  TestConnectionResult,
} from "../types.js";
import { BROKERED_PLACEHOLDER, brokerFetch } from "./broker-fetch.js";

export { BROKERED_PLACEHOLDER };

import {
  type CredentialReference,
  type KeyPolicyOptions,
  type KeySource,
  type ResolvedKey,
  resolveKey,
} from "./key-policy.js";
import type { UsageMeter } from "./meter.js";

/** Options of `createBroker`. */
export interface BrokerOptions {
  /** The manager keys are read from at send time (through its cache). */
  readonly credentials: CredentialManager;
  /** Whose key a tenant's call uses. @default each tenant's own key only (fail closed) */
  readonly keyPolicy?: KeyPolicyOptions;
  /** Records usage and enforces budgets. @default no metering */
  readonly meter?: UsageMeter;
  /**
   * More destinations per provider besides its catalog base URL, e.g. a regional endpoint:
   * host names (HTTPS, default port) or origins (`http://127.0.0.1:8080`).
   */
  readonly hosts?: Readonly<Record<string, readonly string[]>>;
  /** The registry connectors come from. @default the default registry */
  readonly registry?: ConnectorRegistry;
  /** Who calls, as the audit trail records it. @default "broker" */
  readonly accessor?: string;
}

/** Options of `broker.connect`: the connector's options, minus those the broker owns. */
export interface BrokeredConnectOptions extends Omit<ConnectorOptions, "brokered" | "egress" | "redact"> {
  /**
   * Use this credential of the tenant instead of the key policy's choice (key source
   * `tenant`). @default the key policy resolves it
   */
  connectionId?: string;
  /** Who calls, as the audit trail records it. @default the broker's `accessor` */
  accessor?: string;
}

/** A result with the key source added (objects only; arrays and primitives stay as they are). */
export type WithKeySource<R> = R extends readonly unknown[]
  ? R
  : R extends object
    ? R & { readonly keySource: KeySource }
    : R;

/** A connector whose calls go through the broker; its results say which key they used. */
export type BrokeredConnector<C> = {
  [K in keyof C]: K extends "call" | "cleanup"
    ? C[K]
    : C[K] extends (...args: infer A) => Promise<infer R>
      ? (...args: A) => Promise<WithKeySource<R>>
      : C[K];
} & {
  /** Whose key every call of this connector uses. */
  readonly keySource: KeySource;
  /** Where that key is stored (ids only). */
  readonly reference: CredentialReference;
};

/** Builds brokered connectors. */
export interface Broker {
  /** A brokered connector for `tenantId`'s calls to `provider`. */
  connect<Id extends keyof ConnectorTypes & string>(
    provider: Id,
    tenantId: string,
    options?: BrokeredConnectOptions,
  ): Promise<BrokeredConnector<ConnectorTypes[Id]>>;
  /** The meter, when one is configured. */
  readonly meter: UsageMeter | undefined;
}

function originOf(entry: string): string {
  return new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(entry) ? entry : `https://${entry}`).origin;
}

/** The stored fields by their canonical spec name (unknown fields left out). */
function byField(spec: ConnectorSpec, stored: Readonly<Record<string, Secret>>): Map<string, Secret> {
  const fields = new Map<string, Secret>();
  for (const [name, value] of Object.entries(stored)) {
    const field = findField(spec, name);
    if (field && !fields.has(field.name)) fields.set(field.name, value);
  }
  return fields;
}

/** The credentials handed to the connector: settings as stored, every secret field a placeholder. */
function placeholderCredentials(spec: ConnectorSpec, stored: Map<string, Secret>): Record<string, string> {
  const credentials: Record<string, string> = {};
  for (const field of spec.fields) {
    const value = stored.get(field.name);
    if (field.secret) credentials[field.name] = BROKERED_PLACEHOLDER;
    else if (value !== undefined) credentials[field.name] = value.reveal();
  }
  return credentials;
}

/** The spec of a provider that can be brokered; `UnsupportedError` when it declares no auth rule. */
function brokerableSpec(
  registry: ConnectorRegistry,
  provider: string,
): ConnectorSpec & { auth: AuthHeaderSpec } {
  const spec = registry.spec(provider);
  if (!spec.auth) {
    throw new UnsupportedError(
      `The ${spec.displayName} connector declares no auth header rule (spec.auth), so it cannot be brokered.`,
      { source: spec.id },
    );
  }
  return spec as ConnectorSpec & { auth: AuthHeaderSpec };
}

/**
 * Adds the broker's parts to a connector: `keySource`, `reference`, results that say their key
 * source, and a `testConnection()` whose format check reads the stored key (the client has a
 * placeholder).
 */
function brokered<C extends Connector>(
  connector: C,
  resolved: ResolvedKey,
  formatCheck: () => Promise<TestConnectionResult | undefined>,
): BrokeredConnector<C> {
  const target = connector as unknown as Record<string, unknown>;
  const { keySource } = resolved;
  const tag = (result: unknown) =>
    typeof result === "object" && result !== null && !Array.isArray(result)
      ? { ...result, keySource }
      : result;
  for (const [name, value] of Object.entries(target)) {
    if (typeof value !== "function" || name === "call" || name === "cleanup" || name === "scrub") continue;
    const method = value as (...args: unknown[]) => Promise<unknown>;
    target[name] = (...args: unknown[]) => method(...args).then(tag);
  }
  const test = target.testConnection as () => Promise<TestConnectionResult>;
  target.testConnection = async () => tag((await formatCheck()) ?? (await test()));
  Object.defineProperties(target, {
    keySource: { value: keySource, enumerable: true },
    reference: { value: Object.freeze({ ...resolved.reference }), enumerable: true },
  });
  return connector as unknown as BrokeredConnector<C>;
}

/** Creates a broker over a credential manager. */
export function createBroker(options: BrokerOptions): Broker {
  const manager = options.credentials;
  const registry = options.registry ?? defaultRegistry;
  return {
    meter: options.meter,
    async connect(provider, tenantId, connect = {}) {
      const spec = brokerableSpec(registry, provider);
      const accessor = connect.accessor ?? options.accessor ?? "broker";
      const resolved: ResolvedKey =
        connect.connectionId !== undefined
          ? { reference: { tenantId, connectionId: connect.connectionId }, keySource: "tenant" }
          : await resolveKey(manager, options.keyPolicy ?? {}, tenantId, provider, accessor);
      const { tenantId: owner, connectionId } = resolved.reference;
      const read = async () => byField(spec, await manager.getCredentials(connectionId, owner, { accessor }));
      const origins = new Set(
        [spec.baseURL, connect.baseURL, ...(options.hosts?.[provider] ?? [])]
          .filter((entry): entry is string => entry !== undefined)
          .map(originOf),
      );
      const { connectionId: _id, accessor: _accessor, fetch, ...connectorOptions } = connect;
      const connector = await registry.get(provider, placeholderCredentials(spec, await read()), {
        ...connectorOptions,
        brokered: true,
        fetch: brokerFetch({
          manager,
          reference: resolved.reference,
          keySource: resolved.keySource,
          spec,
          accessor,
          origins,
          ...(fetch ? { fetch } : {}),
          ...(options.meter ? { meter: options.meter } : {}),
        }),
      } as ConnectorOptions);
      // why: a credential that cannot be read now fails the provider call that follows, and
      // testConnection() reports that failure; the format check only judges a key it can read.
      const formatCheck = async () =>
        formatVerdict(spec, await read().catch(() => new Map()), new Date().toISOString());
      return brokered(connector, resolved, formatCheck) as never;
    },
  };
}
