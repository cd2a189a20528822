/**
 * The connector registry: id → connector factory, typed so `getConnector("openai", creds)`
 * returns an `OpenAIConnector`. Built-in connectors load lazily (their module, then their SDK on
 * first use); users add their own with `registerConnector` (typed through declaration merging of
 * `ConnectorTypes`) or build a separate typed registry with `createConnectorRegistry`.
 */
import { NotFoundError, UnknownConnectorError } from "../core/errors.js";
import { BUILTIN_CONNECTORS, type BuiltinConnectorTypes } from "./catalog.js";
import { type ConnectorDefinition, useConnector } from "./define.js";
import type { HttpConnectorOptions } from "./http/index.js";
import { type ConnectorTemplate, findTemplate, listTemplates } from "./templates.js";
import type { Connector, ConnectorCredentials, ConnectorOptions, ConnectorSpec } from "./types.js";

/**
 * Connector id → connector type. Extend it for your own connectors:
 * `declare module "credkit/connector" { interface ConnectorTypes { weather: WeatherConnector } }`.
 */
export interface ConnectorTypes extends BuiltinConnectorTypes {}

/** Id → options type, for connectors whose options go beyond `ConnectorOptions`. */
export interface ConnectorOptionTypes {
  http: HttpConnectorOptions;
}

/** Options of connector `Id`. */
export type OptionsFor<Id> = Id extends keyof ConnectorOptionTypes
  ? ConnectorOptionTypes[Id]
  : ConnectorOptions;

type Loader = () => Promise<ConnectorDefinition<string, Connector, never>>;

/** Options of `createConnectorRegistry`. */
export interface ConnectorRegistryOptions {
  /** Include the built-in connectors (every entry of `BUILTIN_CONNECTORS`). @default true */
  builtins?: boolean | undefined;
}

/** A set of connectors by id. `Types` maps each id to its connector type. */
export class ConnectorRegistry<Types extends object = ConnectorTypes> {
  readonly #entries = new Map<string, { spec: ConnectorSpec; load: Loader }>();

  constructor(options: ConnectorRegistryOptions = {}) {
    if (options.builtins !== false) {
      for (const [id, { spec, load }] of Object.entries(BUILTIN_CONNECTORS)) {
        const definition = async () =>
          (await load()).definition as ConnectorDefinition<string, Connector, never>;
        this.#entries.set(id, { spec, load: definition });
      }
    }
  }

  /**
   * Adds (or replaces) a connector and returns this registry typed with it, so
   * `createConnectorRegistry().register(weather).get("weather", creds)` is fully typed.
   */
  register<Id extends string, C extends Connector>(
    definition: ConnectorDefinition<Id, C, never> | ConnectorDefinition<Id, C>,
  ): ConnectorRegistry<Omit<Types, Id> & Record<Id, C>> {
    const { id } = definition.spec;
    if (typeof id !== "string" || !/^[a-z0-9][a-z0-9_.-]*$/i.test(id)) {
      throw new TypeError("A connector id must be letters, digits, '_', '.' or '-'.");
    }
    this.#entries.set(id, {
      spec: definition.spec,
      load: async () => definition as ConnectorDefinition<string, Connector, never>,
    });
    return this as unknown as ConnectorRegistry<Omit<Types, Id> & Record<Id, C>>;
  }

  /** Whether a connector is registered under `id`. */
  has(id: string): boolean {
    return this.#entries.has(id);
  }

  /** The registered ids, sorted. */
  ids(): string[] {
    return [...this.#entries.keys()].sort();
  }

  /** The spec of a connector; `UnknownConnectorError` listing the ids when there is none. */
  spec(id: string): ConnectorSpec {
    return this.#entry(id).spec;
  }

  /** The templates (named starting configurations) of the registered connectors, or of one, sorted by id. */
  templates(connector?: string): ConnectorTemplate[] {
    return listTemplates((id) => this.has(id), connector);
  }

  /** A template of a registered connector; `NotFoundError` when there is none with that id. */
  template(id: string): ConnectorTemplate {
    const template = findTemplate(id);
    if (!this.has(template.connector)) throw new NotFoundError(`No connector template "${id.slice(0, 60)}".`);
    return template;
  }

  /** Every registered spec, sorted by id: the catalog. */
  catalog(): ConnectorSpec[] {
    return this.ids().map((id) => this.spec(id));
  }

  /** Builds a connector from credentials. Unknown id → `UnknownConnectorError` listing the ids. */
  async get<Id extends keyof Types & string>(
    id: Id,
    credentials: ConnectorCredentials,
    options?: OptionsFor<Id>,
  ): Promise<Types[Id]>;
  async get(id: string, credentials: ConnectorCredentials, options?: ConnectorOptions): Promise<Connector>;
  async get(id: string, credentials: ConnectorCredentials, options?: ConnectorOptions): Promise<Connector> {
    const definition = await this.#entry(id).load();
    return definition.create(credentials, options as never);
  }

  /** Builds a connector, runs `fn` with it and cleans it up whether `fn` returns or throws. */
  async with<Id extends keyof Types & string, T>(
    id: Id,
    credentials: ConnectorCredentials,
    fn: (connector: Types[Id]) => Promise<T> | T,
    options?: OptionsFor<Id>,
  ): Promise<T> {
    const connector = await this.get(id, credentials, options as ConnectorOptions);
    return useConnector(connector, fn as unknown as (connector: Connector) => Promise<T> | T);
  }

  #entry(id: string): { spec: ConnectorSpec; load: Loader } {
    const entry = typeof id === "string" ? this.#entries.get(id) : undefined;
    if (!entry) throw new UnknownConnectorError(String(id).slice(0, 60), this.ids());
    return entry;
  }
}

/** A new registry, with the built-in connectors unless `{ builtins: false }`. */
export function createConnectorRegistry(options?: ConnectorRegistryOptions): ConnectorRegistry {
  return new ConnectorRegistry(options);
}

/** The registry `getConnector`, `withConnector` and `registerConnector` use. */
export const defaultRegistry: ConnectorRegistry = new ConnectorRegistry();

/**
 * Builds a connector: `await getConnector("openai", { apiKey })`. Credentials may be plain
 * strings or `Secret`s; `options` passes `baseURL`, `fetch`, `timeout`, `maxRetries` to the SDK.
 */
export function getConnector<Id extends keyof ConnectorTypes & string>(
  id: Id,
  credentials: ConnectorCredentials,
  options?: OptionsFor<Id>,
): Promise<ConnectorTypes[Id]>;
export function getConnector(
  id: string,
  credentials: ConnectorCredentials,
  options?: ConnectorOptions,
): Promise<Connector>;
export function getConnector(
  id: string,
  credentials: ConnectorCredentials,
  options?: ConnectorOptions,
): Promise<Connector> {
  return defaultRegistry.get(id, credentials, options);
}

/** Builds a connector, runs `fn` with it, and cleans it up whether `fn` returns or throws. */
export function withConnector<Id extends keyof ConnectorTypes & string, T>(
  id: Id,
  credentials: ConnectorCredentials,
  fn: (connector: ConnectorTypes[Id]) => Promise<T> | T,
  options?: OptionsFor<Id>,
): Promise<T> {
  return defaultRegistry.with(id, credentials, fn, options);
}

/**
 * Adds a connector to the default registry. For typed `getConnector` calls, also declare it:
 * `declare module "credkit/connector" { interface ConnectorTypes { weather: WeatherConnector } }`.
 */
export function registerConnector<Id extends string, C extends Connector>(
  definition: ConnectorDefinition<Id, C, never> | ConnectorDefinition<Id, C>,
): void {
  defaultRegistry.register(definition);
}

/** Ids of the connectors in the default registry, sorted. */
export function connectorIds(): string[] {
  return defaultRegistry.ids();
}

/** The catalog of the default registry: every connector's spec. */
export function connectorCatalog(): ConnectorSpec[] {
  return defaultRegistry.catalog();
}
