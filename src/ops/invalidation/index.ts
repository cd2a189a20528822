/**
 * Fleet-wide cache invalidation: `fleetInvalidation(manager, postgresInvalidation())` or
 * `redisInvalidation()`, and `versionPolling(manager)` for stores with neither.
 */
export {
  type FleetInvalidation,
  type FleetInvalidationOptions,
  fleetInvalidation,
  type InvalidationStats,
} from "./fleet.js";
export { type ChangeAction, type ChangeMessage, decodeChange, encodeChange } from "./message.js";
export {
  type VersionPolling,
  type VersionPollingOptions,
  type VersionPollingStats,
  versionPolling,
} from "./polling.js";
export { type PostgresInvalidationOptions, postgresInvalidation } from "./postgres.js";
export type { ReconnectOptions } from "./reconnect.js";
export { type IoRedisModule, type RedisInvalidationOptions, redisInvalidation } from "./redis.js";
export type { InvalidationTransport, TransportHandlers } from "./transport.js";
