/**
 * Fleet invalidation over PostgreSQL `LISTEN/NOTIFY`: one dedicated connection listens on the
 * channel; changes are sent with `pg_notify` through a small pool (or the application's own).
 * A lost listener (a killed backend, a restart, a dead network noticed by the heartbeat) is
 * reconnected with backoff, `LISTEN` is issued again, and only then is the cache emptied.
 */
import type { Client, ClientConfig, Pool } from "pg";
import {
  connectionSecrets,
  type PgModule,
  type PostgresConnectionOptions,
  poolConfigOf,
} from "../../backends/postgres/connection.js";
import { quoteIdentifier } from "../../backends/postgres/schema.js";
import { UnavailableError } from "../../core/errors.js";
import { importOptional, type LibOption } from "../../core/import-optional.js";
import { scrubError } from "../../core/redact.js";
import { type ReconnectOptions, reconnectLoop } from "./reconnect.js";
import type { InvalidationTransport, TransportHandlers } from "./transport.js";

/** Options of `postgresInvalidation`. */
export interface PostgresInvalidationOptions
  extends Pick<
    PostgresConnectionOptions,
    "connectionString" | "poolConfig" | "connectionTimeoutMs" | "applicationName" | "env"
  > {
  /**
   * A ready pool to send notifications through (the backend's, say). credkit never ends it. By
   * default a pool of two connections is opened from the connection settings.
   */
  pool?: Pool;
  /**
   * The channel every replica listens on.
   * @default "credkit_invalidation"
   */
  channel?: string;
  /**
   * How often the listening connection is checked with `SELECT 1`, in milliseconds, so a dead
   * network is noticed (and the cache emptied) even when no notification arrives.
   * @default 15000
   */
  heartbeatMs?: number;
  /** Pauses between attempts to reconnect the listener. */
  reconnect?: ReconnectOptions;
  /**
   * The `pg` module, or a function importing it, instead of `import("pg")`.
   * @default import("pg")
   */
  lib?: LibOption<PgModule>;
}

/** `pg`'s classes, whether the module arrives as a namespace or a CommonJS default export. */
function pgClasses(lib: PgModule | { default: PgModule }): Pick<PgModule, "Client" | "Pool"> {
  return "default" in lib && lib.default ? lib.default : (lib as PgModule);
}

/** An `InvalidationTransport` over PostgreSQL `LISTEN/NOTIFY`, for `fleetInvalidation`. */
export function postgresInvalidation(options: PostgresInvalidationOptions = {}): InvalidationTransport {
  const channel = options.channel ?? "credkit_invalidation";
  const listen = `LISTEN ${quoteIdentifier(channel, "channel")}`;
  const config = poolConfigOf({ applicationName: "credkit-invalidation", ...options }) as ClientConfig;
  const secrets = connectionSecrets(config, options.env ?? process.env);
  const failure = (message: string, error: unknown) =>
    new UnavailableError(message, { source: "postgres", cause: scrubError(error, secrets) });
  let listener: Client | undefined;
  let ownPool: Pool | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  let closed = false;

  const load = () => importOptional("pg", "postgresInvalidation", () => import("pg"), options.lib);

  const connect = async (handlers: TransportHandlers, resync: boolean): Promise<void> => {
    const { Client } = pgClasses(await load());
    const client = new Client(config);
    const lost = (error: unknown) => {
      if (client !== listener || closed) return;
      listener = undefined;
      client.end().catch(() => undefined);
      handlers.onError?.(failure("The invalidation listener lost its connection.", error));
      reconnectLoop(
        options.reconnect ?? {},
        () => connect(handlers, true),
        () => closed,
        (cause) => handlers.onError?.(failure("Reconnecting the invalidation listener failed.", cause)),
      );
    };
    client.on("error", lost);
    client.on("end", () => lost(new Error("connection ended")));
    client.on("notification", (note) => {
      if (note.channel === channel && note.payload !== undefined) handlers.onMessage(note.payload);
    });
    try {
      await client.connect();
      await client.query(listen);
    } catch (error) {
      client.end().catch(() => undefined);
      throw failure("The invalidation listener could not subscribe.", error);
    }
    if (closed) {
      await client.end().catch(() => undefined);
      return;
    }
    listener = client;
    // why: only now, with LISTEN in place, can no later change be missed.
    if (resync) handlers.onResync();
  };

  const startHeartbeat = () => {
    heartbeat = setInterval(() => {
      const client = listener;
      client?.query("SELECT 1").catch((error: unknown) => {
        if (client === listener) client.emit("error", error);
      });
    }, options.heartbeatMs ?? 15_000);
    heartbeat.unref();
  };

  return {
    name: "postgres",
    async subscribe(handlers) {
      await connect(handlers, false);
      startHeartbeat();
    },
    async publish(text) {
      if (!options.pool && !ownPool) {
        const { Pool } = pgClasses(await load());
        ownPool ??= new Pool({ ...config, max: 2 });
        ownPool.on("error", () => undefined);
      }
      const pool = options.pool ?? (ownPool as Pool);
      try {
        await pool.query("SELECT pg_notify($1, $2)", [channel, text]);
      } catch (error) {
        throw failure("A change notification could not be sent.", error);
      }
    },
    async close() {
      closed = true;
      clearInterval(heartbeat);
      const client = listener;
      listener = undefined;
      await Promise.all([client?.end().catch(() => undefined), ownPool?.end().catch(() => undefined)]);
    },
  };
}
