/**
 * Where the command's audit trail lives, configured by environment: `CREDKIT_AUDIT_FILE` (a
 * JSON-lines file) and `CREDKIT_AUDIT_DATABASE_URL` (the PostgreSQL audit sink of `credkit/ops`,
 * in `CREDKIT_AUDIT_PG_SCHEMA`, default `public`). Commands write their own events to each one
 * configured; `audit tail|query` read the database when it is configured (unless `--file` is
 * given), else the file.
 */
import { jsonLinesSink } from "../core/audit.js";
import { postgresAuditSink } from "../ops/audit/postgres-sink.js";

/** The PostgreSQL audit trail's settings from the environment, when configured. */
export function auditDatabase(
  env: NodeJS.ProcessEnv = process.env,
): { connectionString: string; schema: string } | undefined {
  const connectionString = env.CREDKIT_AUDIT_DATABASE_URL?.trim();
  if (!connectionString) return undefined;
  return { connectionString, schema: env.CREDKIT_AUDIT_PG_SCHEMA?.trim() || "public" };
}

/** The audit sinks a command writes to, and how to finish writing them. */
export function commandAuditSinks(env: NodeJS.ProcessEnv = process.env) {
  const file = env.CREDKIT_AUDIT_FILE ? jsonLinesSink(env.CREDKIT_AUDIT_FILE) : undefined;
  const database = auditDatabase(env);
  const postgres = database
    ? postgresAuditSink({
        ...database,
        env,
        // the message is the sink's own, its cause scrubbed of the connection's password
        onError: (error) => process.stderr.write(`warning: ${error.message}\n`),
      })
    : undefined;
  return {
    sinks: [...(file ? [file] : []), ...(postgres ? [postgres.sink] : [])],
    /** Writes what is queued and closes the database pool. */
    async finish(): Promise<void> {
      await file?.flush();
      await postgres?.close();
    },
  };
}
