/**
 * The durable audit trail: `postgresAuditSink` (batched, queryable, roll-ups across replicas) and
 * `flushOnShutdown` so a SIGTERM loses no queued event.
 */
export { type AuditTables, auditSchemaSql, auditTables } from "./postgres-schema.js";
export {
  PostgresAuditSink,
  type PostgresAuditSinkOptions,
  type PostgresAuditStats,
  postgresAuditSink,
} from "./postgres-sink.js";
export type { AuditPage, AuditQuery, CredentialUsage } from "./query.js";
export { type Closable, type FlushOnShutdownOptions, flushOnShutdown } from "./shutdown.js";
