/**
 * Optional locks around a token refresh, for stores whose compare-and-set is best-effort (Azure
 * Key Vault, Cloudflare KV): the refresh lease is then claimed under the lock, so two replicas
 * never claim it at once. Stores with a real compare-and-set (file, PostgreSQL, AWS, GCP, Vault,
 * memory) need none. A lock holder that dies releases the lock with its connection (PostgreSQL)
 * or when the lock's time runs out (Redis).
 */
import { randomBytes } from "node:crypto";
import { UnavailableError } from "../core/errors.js";

/** A cross-process mutual exclusion by key. */
export interface RefreshLock {
  /** Runs `fn` while holding the lock named `key`. */
  withLock<T>(key: string, fn: () => Promise<T>): Promise<T>;
}

/** The part of a `pg` `Pool` the PostgreSQL lock uses. */
export interface PgPoolLike {
  connect(): Promise<{
    query(text: string, values?: unknown[]): Promise<unknown>;
    release(destroy?: boolean): void;
  }>;
}

/**
 * A PostgreSQL session advisory lock (`pg_advisory_lock`) per key, on a dedicated pooled
 * connection; a crashed holder's lock is released by the server when its connection drops.
 */
export function postgresAdvisoryLock(pool: PgPoolLike): RefreshLock {
  return {
    async withLock(key, fn) {
      // why: PostgreSQL text cannot hold NUL, which separates tenant and connection in the key.
      const name = `credkit.oauth:${Buffer.from(key, "utf8").toString("base64url")}`;
      const client = await pool.connect();
      let broken = false;
      try {
        await client.query("SELECT pg_advisory_lock(hashtextextended($1, 0))", [name]);
        try {
          return await fn();
        } finally {
          await client.query("SELECT pg_advisory_unlock(hashtextextended($1, 0))", [name]).catch(() => {
            broken = true;
          });
        }
      } finally {
        client.release(broken);
      }
    },
  };
}

/** Options of `redisLock`. */
export interface RedisLockOptions {
  /**
   * Sends one Redis command and returns its reply, e.g. `(args) => client.sendCommand(args)`
   * (node-redis) or `([name, ...rest]) => client.call(name, ...rest)` (ioredis).
   */
  command: (args: string[]) => Promise<unknown>;
  /**
   * How long the lock lives if its holder dies, ms. Longer than a refresh takes.
   * @default 30000
   */
  ttlMs?: number | undefined;
  /**
   * How long to wait for the lock before giving up with `UnavailableError`, ms.
   * @default 60000
   */
  waitMs?: number | undefined;
}

const RELEASE =
  "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

/** A Redis lock per key: `SET key token NX PX ttl`, released only by its holder. */
export function redisLock(options: RedisLockOptions): RefreshLock {
  const ttl = options.ttlMs ?? 30_000;
  return {
    async withLock(key, fn) {
      const name = `credkit:oauth:lock:${key}`;
      const token = randomBytes(12).toString("base64url");
      const giveUpAt = Date.now() + (options.waitMs ?? 60_000);
      for (let attempt = 0; ; attempt++) {
        const reply = await options.command(["SET", name, token, "NX", "PX", String(ttl)]);
        if (reply === "OK") break;
        if (Date.now() > giveUpAt) {
          throw new UnavailableError("Timed out waiting for the Redis refresh lock.", { source: "oauth" });
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(200, 10 * 2 ** Math.min(attempt, 5))));
      }
      try {
        return await fn();
      } finally {
        await options.command(["EVAL", RELEASE, "1", name, token]).catch(() => undefined);
      }
    },
  };
}
