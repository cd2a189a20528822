/**
 * `credkit/brokered`: connectors that hold no key. A broker builds a connector from a credential
 * reference; its SDK client gets a placeholder and a `fetch` that puts the real key on each
 * request at send time, only to the provider's hosts, audited. A BYOK key policy picks whose key
 * a tenant's call uses (fail closed); a usage meter records tokens per credential and tenant and
 * enforces hard budgets. See docs/brokered.md.
 */
export {
  BROKERED_PLACEHOLDER,
  type Broker,
  type BrokeredConnectOptions,
  type BrokeredConnector,
  type BrokerOptions,
  createBroker,
  type WithKeySource,
} from "./broker.js";
export {
  type CredentialReference,
  type FallbackRule,
  type KeyPolicyOptions,
  type KeySource,
  type ResolvedKey,
  resolveKey,
} from "./key-policy.js";
export {
  type Budget,
  createUsageMeter,
  type MeteredCall,
  type Price,
  type PriceTable,
  type Reservation,
  UsageMeter,
  type UsageMeterOptions,
} from "./meter.js";
export type { CallUsage, RequestBounds } from "./usage.js";
export {
  MemoryUsageStore,
  type UsageQuery,
  type UsageRecord,
  type UsageStore,
  type UsageTotals,
} from "./usage-store.js";
export {
  type PostgresUsageStore,
  type PostgresUsageStoreOptions,
  postgresUsageStore,
} from "./usage-store-postgres.js";
