/**
 * credkit/connector: what a connector author needs. `defineConnector` and the spec types it
 * takes, the registries a connector is added to (`registerConnector` for the default one that
 * `getConnector` reads, `createConnectorRegistry` for a separate typed one), `ConnectorTypes` to
 * declare a connector's type, the catalog, and the `ConnectionStore` contract for storing
 * connections elsewhere. Application code imports from "credkit" instead; each built-in connector's
 * types come from credkit/connectors/<id>.
 */

export type { ConnectionRecord, ConnectionStore } from "./connection-store.js";
export {
  type ConnectorDefinition,
  type ConnectorMethod,
  type ConnectorParts,
  type ConnectorSetupContext,
  type DefinedConnector,
  defineConnector,
  type VerifyDetails,
} from "./define.js";
export {
  type ConnectorOptionTypes,
  ConnectorRegistry,
  type ConnectorRegistryOptions,
  type ConnectorTypes,
  connectorCatalog,
  createConnectorRegistry,
  type OptionsFor,
  registerConnector,
} from "./registry.js";
export type { ConnectorTemplate } from "./templates.js";
export type {
  AuthHeaderSpec,
  Connector,
  ConnectorCategory,
  ConnectorCredentials,
  ConnectorOptions,
  ConnectorSpec,
  CredentialFieldSpec,
  TestConnectionResult,
  TestFailureCode,
  UsageSpec,
  VerificationSpec,
} from "./types.js";
