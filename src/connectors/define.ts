/**
 * `defineConnector`: turns a spec and a `setup` function into a connector factory with every
 * guarantee built in: credentials checked and wrapped as `Secret`s, errors typed and scrubbed of
 * the connection's secrets (cause chain included), `testConnection()` with the format check
 * first, and `cleanup()` / `await using`. Built-in connectors use it; so can yours.
 */
import { inspect } from "node:util";
import { CredkitError, UnsupportedError, ValidationError } from "../core/errors.js";
import { sameFieldName } from "../core/field-names.js";
import { importOptional } from "../core/import-optional.js";
import { Redactor } from "../core/redact.js";
import { scrubThrown } from "../core/scrub-thrown.js";
import { Secret } from "../core/secret.js";
import { CallSignals } from "./call-signals.js";
import { connectorEgress } from "./connector-fetch.js";
import { classifyFailure, credkitCause, type Failure, failureError, testFailureMessage } from "./failures.js";
import type {
  Connector,
  ConnectorCredentials,
  ConnectorOptions,
  ConnectorSpec,
  CredentialFieldSpec,
  TestConnectionResult,
} from "./types.js";

/** Facts a verification call may report besides success. */
export interface VerifyDetails {
  readonly models?: readonly string[] | undefined;
  readonly remainingCredits?: number | undefined;
  /** Who the credential is (identifiers only), e.g. `{ account, principal }`. */
  readonly identity?: Readonly<Record<string, string>> | undefined;
}

/** An async method a connector adds to the base `Connector`. */
// biome-ignore lint/suspicious/noExplicitAny: method parameters are whatever the connector declares
export type ConnectorMethod = (...args: any[]) => Promise<unknown>;

/** What `setup` receives. */
export interface ConnectorSetupContext<Lib = unknown> {
  readonly spec: ConnectorSpec;
  readonly options: ConnectorOptions<Lib>;
  /**
   * Aborted when the connector is cleaned up: for what lives as long as the connector (a client
   * built with a signal). A method's requests take the signal of their own call instead (see
   * `withCallSignal`): SDKs leave a listener per request on the signal they are given.
   */
  readonly signal: AbortSignal;
  /**
   * Makes a method (or `verify`) that gets an `AbortSignal` of its own on each call, before its
   * arguments: `withCallSignal((signal, city: string) => client.forecast(city, { signal }))` is
   * the method `(city: string) => …`. The signal is aborted when the connector is cleaned up while
   * the call runs, and dropped, with the listeners the SDK left on it, when the call settles.
   */
  withCallSignal<A extends unknown[], R>(
    method: (signal: AbortSignal, ...args: A) => Promise<R>,
  ): (...args: A) => Promise<R>;
  /** A secret field's value; `ValidationError` naming the field when absent. */
  secret(name: string): Secret;
  /** A secret field's value, or undefined. */
  optionalSecret(name: string): Secret | undefined;
  /** A non-secret setting (e.g. `model`), or undefined. */
  setting(name: string): string | undefined;
  /**
   * The API base URL: the operator's `options.baseURL`, else a `baseURL` setting from the
   * connection's data (checked by the egress guard), else the spec's default.
   */
  readonly baseURL: string | undefined;
  /**
   * The `fetch` to hand the SDK: follows redirects without carrying credentials across origins,
   * and sends requests to URLs from tenant data through the egress guard.
   */
  readonly fetch: typeof globalThis.fetch;
  /** Imports the SDK lazily (or takes `options.lib`); missing package → `DependencyMissingError`. */
  load<T>(packageName: string, loader: () => Promise<T>): Promise<T>;
  /**
   * Adds a secret the connector obtained or derived while working (a temporary key from a token
   * exchange, a private key parsed out of a JSON document) to what its errors and `scrub()` are
   * cleaned of, like its secret fields. Undefined and very short values are ignored.
   */
  redact(value: string | Secret | undefined): void;
}

/** What `setup` returns. */
export interface ConnectorParts<Client, Methods extends Record<keyof Methods, ConnectorMethod>> {
  readonly client: Client;
  /**
   * The connector's own methods; each runs guarded (typed, scrubbed errors; refused after
   * cleanup). Those that send requests are made with `withCallSignal`.
   */
  readonly methods: Methods;
  /** The cheapest authenticated call (made with `withCallSignal`); throws what the SDK throws on failure. */
  verify(): Promise<VerifyDetails | undefined>;
  /** Releases what the client holds. */
  close?(): void | Promise<void>;
  /** Provider-specific classification, e.g. Gemini's 400 for a bad key; undefined → the default. */
  classify?(error: unknown): Failure | undefined;
}

/** A connector's definition: its spec and its factory. */
export interface ConnectorDefinition<
  Id extends string = string,
  C extends Connector = Connector,
  Lib = unknown,
> {
  readonly spec: ConnectorSpec<Id>;
  create(credentials: ConnectorCredentials, options?: ConnectorOptions<Lib>): Promise<C>;
}

/** The connector type `defineConnector` builds: the base plus the connector's methods. */
export type DefinedConnector<Client, Methods> = Connector<Client> & Methods;

/**
 * Runs `fn` with `connector` and cleans it up whether `fn` returns or throws; an error `fn`
 * throws leaves scrubbed of the connector's secrets. `withConnector` is built on it.
 */
export async function useConnector<C extends Connector, T>(
  connector: C,
  fn: (connector: C) => Promise<T> | T,
): Promise<T> {
  try {
    return await fn(connector);
  } catch (error) {
    throw connector.scrub(error);
  } finally {
    await connector.cleanup();
  }
}

/** Finds a spec field by name or alias under the core folding rule (case, `_` and `-` ignored). */
export function findField(spec: ConnectorSpec, name: string): CredentialFieldSpec | undefined {
  return spec.fields.find(
    (field) =>
      sameFieldName(field.name, name) || (field.aliases ?? []).some((alias) => sameFieldName(alias, name)),
  );
}

interface ReadFields {
  readonly secrets: Map<string, Secret>;
  readonly settings: Map<string, string>;
  /** Every secret value handed in, known field or not: all are scrubbed. */
  readonly scrub: Secret[];
}

function readFields(spec: ConnectorSpec, credentials: ConnectorCredentials): ReadFields {
  if (typeof credentials !== "object" || credentials === null) {
    throw new ValidationError(`Credentials for ${spec.displayName} must be an object.`);
  }
  const secrets = new Map<string, Secret>();
  const settings = new Map<string, string>();
  const scrub: Secret[] = [];
  for (const [name, raw] of Object.entries(credentials)) {
    const field = findField(spec, name);
    if (raw instanceof Secret) scrub.push(raw);
    if (!field || raw === undefined || raw === null) continue;
    if (field.secret) {
      if (typeof raw !== "string" && !(raw instanceof Secret)) {
        throw new ValidationError(`Field "${field.name}" must be a string or a Secret.`, field.name);
      }
      const secret = Secret.from(raw);
      if (!(raw instanceof Secret)) scrub.push(secret);
      secrets.set(field.name, secret);
    } else if (typeof raw === "string" || typeof raw === "number" || typeof raw === "boolean") {
      settings.set(field.name, String(raw));
    } else if (raw instanceof Secret) {
      settings.set(field.name, raw.reveal());
    }
  }
  for (const field of spec.fields) {
    const present = field.secret ? secrets.get(field.name)?.length : settings.get(field.name)?.length;
    if (field.required && !present) {
      throw new ValidationError(
        `Missing credential field "${field.name}" for ${spec.displayName}.`,
        field.name,
      );
    }
  }
  return { secrets, settings, scrub };
}

const INSPECT = Symbol.for("nodejs.util.inspect.custom");

/**
 * Makes printing an object show `label` only: `util.inspect`, `console.log` and `JSON.stringify`
 * of an SDK client would otherwise print the key it holds (e.g. its `apiKey` property). The
 * methods are own, non-enumerable properties; frozen or primitive values are left as they are.
 */
function concealCredentials(target: unknown, label: string): void {
  if ((typeof target !== "object" && typeof target !== "function") || target === null) return;
  if (!Object.isExtensible(target)) return;
  const hidden = { configurable: true, enumerable: false, writable: true };
  try {
    Object.defineProperties(target, {
      [INSPECT]: { ...hidden, value: () => label },
      toJSON: { ...hidden, value: () => label },
    });
  } catch {
    // a client that refuses new properties keeps its own printing
  }
}

/** The first secret field whose value does not match its pattern, if any. */
function malformedField(
  spec: ConnectorSpec,
  secrets: ReadonlyMap<string, Secret>,
): CredentialFieldSpec | undefined {
  return spec.fields.find((field) => {
    const value = secrets.get(field.name);
    return (
      field.pattern !== undefined && value !== undefined && !new RegExp(field.pattern).test(value.reveal())
    );
  });
}

/**
 * A format check beyond the fields' patterns (e.g. the structure of a JSON document): the message
 * of the `invalid_format` verdict, naming what is wrong and never a value; undefined when the
 * credential is well formed. Runs before any network call.
 */
export type FormatCheck = (secret: (name: string) => Secret | undefined) => string | undefined;

/**
 * The `invalid_format` verdict of `testConnection()` when a secret field does not match its
 * pattern, else undefined. Brokered connectors run it on the key their `fetch` would send.
 */
export function formatVerdict(
  spec: ConnectorSpec,
  secrets: ReadonlyMap<string, Secret>,
  testedAt: string,
  checkFormat?: FormatCheck,
): TestConnectionResult | undefined {
  const malformed = malformedField(spec, secrets);
  const error = malformed
    ? `Invalid ${malformed.label} format for ${spec.displayName}`
    : checkFormat?.((name) => secrets.get(name));
  if (error === undefined) return undefined;
  return {
    success: false,
    status: "error",
    code: "invalid_format",
    error,
    details: { latencyMs: 0 },
    testedAt,
  };
}

/**
 * Defines a connector. `setup` builds the SDK client from the context; the result's `create`
 * returns a `Connector<Client> & Methods`.
 */
export function defineConnector<
  Id extends string,
  Client,
  Methods extends Record<keyof Methods, ConnectorMethod>,
  Lib = unknown,
>(definition: {
  spec: ConnectorSpec<Id>;
  setup(context: ConnectorSetupContext<Lib>): Promise<ConnectorParts<Client, Methods>>;
  /** A format check beyond the fields' patterns, run by `testConnection()` first. */
  checkFormat?: FormatCheck;
}): ConnectorDefinition<Id, DefinedConnector<Client, Methods>, Lib> {
  const { spec } = definition;
  return {
    spec,
    async create(credentials, options = {}) {
      const fields = readFields(spec, credentials);
      const redactor = new Redactor([...fields.scrub, ...(options.redact ?? [])]);
      const egress = connectorEgress({
        operatorBaseURL: options.baseURL,
        tenantBaseURL: fields.settings.get("baseURL"),
        defaultBaseURL: spec.baseURL,
        fetch: options.fetch,
        egress: options.egress,
        carriesSecret: (value) => redactor.carries(value),
        fetchDecides: options.brokered === true,
      });
      const controller = new AbortController();
      const calls = new CallSignals();
      let closed = false;
      let cleanupRun: Promise<void> | undefined;
      const context: ConnectorSetupContext<Lib> = {
        spec,
        options,
        signal: controller.signal,
        withCallSignal:
          (method) =>
          (...args) =>
            calls.run((signal) => method(signal, ...args)),
        secret(name) {
          const value = fields.secrets.get(name);
          if (!value?.length) {
            throw new ValidationError(`Missing credential field "${name}" for ${spec.displayName}.`, name);
          }
          return value;
        },
        optionalSecret: (name) => fields.secrets.get(name),
        setting: (name) => fields.settings.get(name),
        baseURL: egress.baseURL,
        fetch: egress.fetch,
        load: (packageName, loader) =>
          importOptional(packageName, `the ${spec.id} connector`, loader, options.lib as never),
        redact: (value) => {
          redactor.add(value);
        },
      };
      let parts: ConnectorParts<Client, Methods> | undefined;
      try {
        parts = await definition.setup(context);
      } catch (error) {
        throw CredkitError.isInstance(error)
          ? error
          : new ValidationError(`Could not set up the ${spec.displayName} client.`, undefined, {
              source: spec.id,
              cause: redactor.scrubError(error),
            });
      }
      const classify = (error: unknown): Failure => {
        try {
          return parts?.classify?.(error) ?? classifyFailure(error);
        } catch {
          // an error whose properties throw when read is classified, never passed through
          return { kind: "provider_error" };
        }
      };
      const cleanedUp = (operation: string, cause?: unknown) =>
        new UnsupportedError(`${operation}: the ${spec.id} connector was cleaned up.`, {
          source: spec.id,
          ...(cause !== undefined ? { cause: redactor.scrubError(cause) } : {}),
        });

      const fail = (operation: string, error: unknown): Error => {
        if (closed) return cleanedUp(operation, error);
        const brokerRefusal = options.brokered ? credkitCause(error) : undefined;
        if (brokerRefusal) return scrubThrown(redactor, brokerRefusal) as Error;
        if (CredkitError.isInstance(error)) return scrubThrown(redactor, error) as Error;
        return failureError(
          spec.displayName,
          spec.id,
          operation,
          classify(error),
          redactor.scrubError(error),
        );
      };

      const guard = async <T>(operation: string, run: () => Promise<T>): Promise<T> => {
        if (closed) throw cleanedUp(operation);
        try {
          const checking = egress.preflight();
          if (checking) await checking;
          return await run();
        } catch (error) {
          throw fail(operation, error);
        }
      };

      const testConnection = async (): Promise<TestConnectionResult> => {
        if (closed) throw cleanedUp("testConnection");
        const testedAt = new Date().toISOString();
        const malformed = options.brokered
          ? undefined
          : formatVerdict(spec, fields.secrets, testedAt, definition.checkFormat);
        if (malformed) return malformed;
        const started = performance.now();
        try {
          await egress.preflight();
          const details = (await parts?.verify()) ?? {};
          return {
            success: true,
            status: "active",
            details: { latencyMs: Math.round(performance.now() - started), ...details },
            testedAt,
          };
        } catch (error) {
          const latencyMs = Math.round(performance.now() - started);
          if (closed) throw fail("testConnection", error);
          const failure = classify(error);
          return {
            success: false,
            status: "error",
            ...testFailureMessage(spec.displayName, failure),
            details: { latencyMs, ...(failure.status ? { httpStatus: failure.status } : {}) },
            testedAt,
          };
        }
      };

      const cleanup = (): Promise<void> => {
        cleanupRun ??= (async () => {
          closed = true;
          const reason = new UnsupportedError(`The ${spec.id} connector was cleaned up.`, {
            source: spec.id,
          });
          controller.abort(reason);
          calls.abort(reason);
          fields.secrets.clear();
          const close = parts?.close?.bind(parts);
          parts = undefined;
          let failure: unknown;
          for (const step of [close, egress.close, options.onCleanup]) {
            try {
              await step?.();
            } catch (error) {
              failure ??= error;
            }
          }
          if (failure !== undefined) {
            throw new UnsupportedError(
              `cleanup: a cleanup step of the ${spec.id} connector failed; the connector is closed.`,
              { source: spec.id, cause: redactor.scrubError(failure) },
            );
          }
        })();
        return cleanupRun;
      };

      const scrub = (error: unknown): unknown => scrubThrown(redactor, error);

      const clientLabel = `[${spec.displayName} client: credentials hidden]`;
      concealCredentials(parts.client, clientLabel);
      const connector: Record<string | symbol, unknown> = {
        id: spec.id,
        spec,
        testConnection,
        scrub,
        call: <T>(operation: (client: Client, signal: AbortSignal) => Promise<T>) =>
          guard("call", () =>
            operation((parts as ConnectorParts<Client, Methods>).client, controller.signal),
          ),
        cleanup,
        [Symbol.asyncDispose]: cleanup,
      };
      const printed = () => ({ id: spec.id, connector: spec.displayName, closed, client: clientLabel });
      Object.defineProperties(connector, {
        // Printing a connector shows what it is, never the SDK client and the key it holds.
        [INSPECT]: { value: () => `Connector ${inspect(printed())}` },
        toJSON: { value: printed },
        client: {
          // not enumerable: a spread or Object.entries of the connector must not copy the client
          enumerable: false,
          get: () => {
            if (closed) throw cleanedUp("client");
            return parts?.client;
          },
        },
        closed: { enumerable: true, get: () => closed },
      });
      for (const [name, method] of Object.entries(parts.methods) as [string, ConnectorMethod][]) {
        connector[name] = (...args: unknown[]) => guard(name, () => method(...args));
      }
      return connector as unknown as DefinedConnector<Client, Methods>;
    },
  };
}
