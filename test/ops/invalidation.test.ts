/**
 * Fleet-wide cache invalidation against the real PostgreSQL server and a real redis-server: a
 * rotation in one process is served by another within the 1 s bound while a replica
 * without invalidation still serves its cached copy; a killed listener and a restarted Redis are
 * survived (subscribed again, cache emptied); payloads carry ids and versions, never values.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { Redis } from "ioredis";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresBackend } from "../../src/backends/postgres/index.js";
import { CredentialManager } from "../../src/core/credential-manager.js";
import { UnavailableError } from "../../src/core/errors.js";
import {
  type FleetInvalidation,
  fleetInvalidation,
  type InvalidationTransport,
  postgresInvalidation,
  redisInvalidation,
} from "../../src/ops/invalidation/index.js";
import { assertNoLeak, canary, keyring, uniqueId } from "../support/fixtures.js";
import { childScript } from "../support/node-bundle.js";
import {
  adminPool,
  describePostgres,
  dropTestObjects,
  POSTGRES_URL,
  uniqueIdentifier,
} from "../support/postgres.js";
import { freePort, PrivateRedis } from "../support/redis-server.js";

const REPLICA = join(import.meta.dirname, "../support/ops-replica.ts");
const LAG_BOUND_MS = 1000;

/** Polls `probe` until it returns a value, for at most `timeoutMs`. */
async function until<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

interface ReplicaReply {
  version?: number;
  apiKey?: string;
  cache?: string;
  stats?: { received: number; resyncs: number };
}

/** A replica process (test/support/ops-replica.ts) and a request/response channel to it. */
class Replica {
  readonly #child: ChildProcess;
  readonly #waiting = new Map<number, (reply: ReplicaReply) => void>();
  #next = 0;
  readonly ready: Promise<void>;

  /** `script`: ops-replica.ts bundled for node (childScript). */
  constructor(script: string, args: string[]) {
    this.#child = spawn(process.execPath, [script, ...args], {
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    this.ready = new Promise((resolve, reject) => {
      this.#child.once("exit", (code) => reject(new Error(`replica exited ${code}`)));
      this.#child.on("message", (message: ReplicaReply & { id?: number; ready?: true }) => {
        if (message.ready) resolve();
        if (message.id !== undefined) this.#waiting.get(message.id)?.(message);
      });
    });
  }

  request(body: object): Promise<ReplicaReply> {
    const id = this.#next++;
    return new Promise((resolve) => {
      this.#waiting.set(id, resolve);
      this.#child.send({ id, ...body });
    });
  }

  read(tenant: string, name: string): Promise<ReplicaReply> {
    return this.request({ read: { tenant, name } });
  }

  stop(): void {
    this.#child.kill("SIGKILL");
  }
}

describePostgres("fleet invalidation", () => {
  const schema = uniqueIdentifier("credkit_inv");
  let privateRedis: PrivateRedis;
  let admin: pg.Pool;
  const closers: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    admin = adminPool();
    privateRedis = new PrivateRedis(await freePort());
    await privateRedis.start();
  });

  afterAll(async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await privateRedis.stop();
    await dropTestObjects(admin, schema);
    await admin.end();
  });

  const manager = (cacheTtlMs = 600_000) => {
    const created = new CredentialManager({
      backend: postgresBackend({ connectionString: POSTGRES_URL, schema }),
      encryption: keyring(),
      cache: { ttlMs: cacheTtlMs },
    });
    closers.push(() => created.close());
    return created;
  };

  const adapters: Record<string, (suffix: string) => InvalidationTransport> = {
    postgres: (application) =>
      postgresInvalidation({
        connectionString: POSTGRES_URL,
        channel: `inv_${schema}`,
        applicationName: application,
        reconnect: { baseDelayMs: 50, maxDelayMs: 500 },
      }),
    redis: () =>
      redisInvalidation({
        url: privateRedis.url,
        channel: `inv-${schema}`,
        reconnect: { baseDelayMs: 50, maxDelayMs: 500 },
      }),
  };

  const join = async (target: CredentialManager, adapter: string, application = uniqueIdentifier("inv")) => {
    const fleet = await fleetInvalidation(target, adapters[adapter]?.(application) as InvalidationTransport);
    closers.push(() => fleet.close());
    return fleet;
  };

  /** Every raw payload published on the adapter's channel. */
  const tap = async (adapter: string): Promise<string[]> => {
    const payloads: string[] = [];
    if (adapter === "postgres") {
      const client = await admin.connect();
      client.on("notification", (note) => payloads.push(note.payload ?? ""));
      await client.query(`LISTEN "inv_${schema}"`);
      closers.push(async () => client.release());
    } else {
      // why: the tap lives until afterAll, past the Redis restart below; ioredis's own resubscribe
      // after a reconnect leaves its promise unhandled, which rejects when afterAll disconnects it.
      const subscriber = new Redis(privateRedis.url, { autoResubscribe: false });
      subscriber.on("message", (_channel, text) => payloads.push(text));
      await subscriber.subscribe(`inv-${schema}`);
      closers.push(async () => subscriber.disconnect());
    }
    return payloads;
  };

  for (const adapter of ["postgres", "redis"]) {
    it(`${adapter}: a rotation in one process is served by another within 1 s; payloads hold no value`, async () => {
      const tenant = uniqueId("tenant");
      const name = uniqueId("conn");
      const [before, after] = [canary("sk-before"), canary("sk-after")];
      const payloads = await tap(adapter);
      const writer = manager();
      await join(writer, adapter);
      const bystander = manager(); // same store and TTL, not in the fleet
      await writer.storeCredentials(name, tenant, { apiKey: before });

      const replica = new Replica(await childScript(REPLICA), [schema, adapter, privateRedis.url]);
      closers.push(async () => replica.stop());
      await replica.ready;
      expect(await replica.read(tenant, name)).toMatchObject({ version: 1, apiKey: before, cache: "miss" });
      expect(await replica.read(tenant, name)).toMatchObject({ version: 1, apiKey: before, cache: "hit" });
      expect((await bystander.getCredentials(name, tenant)).apiKey?.reveal()).toBe(before);

      await writer.rotateCredentials(name, tenant, { apiKey: after });
      const rotatedAt = Date.now();
      const served = await until(async () => {
        const reply = await replica.read(tenant, name);
        return reply.version === 2 ? { reply, at: Date.now() } : undefined;
      });
      expect(served.reply.apiKey).toBe(after);
      expect(served.at - rotatedAt).toBeLessThan(LAG_BOUND_MS);
      // The replica outside the fleet still serves its cached copy: only invalidation explains it.
      expect((await bystander.getCredentials(name, tenant)).apiKey?.reveal()).toBe(before);

      await until(() => (payloads.length > 0 ? true : undefined));
      expect(payloads.join("\n")).toContain(name);
      for (const secret of [before, after]) assertNoLeak(payloads, secret);
      expect((await replica.request({ stats: true })).stats?.received).toBeGreaterThanOrEqual(1);
    });
  }

  /** Reads through `target` and reports how the cache took part. */
  const cacheOutcome = async (target: CredentialManager, tenant: string, name: string) => {
    await target.getCredentials(name, tenant);
    return target.audit.events({ tenant, name, action: "read" }).at(-1)?.cache;
  };

  /** After a lost connection: subscribed again, cache emptied, later changes still arrive. */
  const survives = async (adapter: string, breakConnection: (application: string) => Promise<void>) => {
    const tenant = uniqueId("tenant");
    const name = uniqueId("conn");
    const writer = manager();
    await join(writer, adapter);
    const reader = manager();
    const application = uniqueIdentifier("inv_reader");
    const fleet: FleetInvalidation = await join(reader, adapter, application);
    await writer.storeCredentials(name, tenant, { apiKey: "sk-one-aaaaaaaaaaaa" });
    // why: the store's own message must have arrived, or it would empty the entry read next.
    await until(() => (fleet.stats().received >= 1 ? true : undefined));
    expect(await cacheOutcome(reader, tenant, name)).toBe("miss");
    expect(await cacheOutcome(reader, tenant, name)).toBe("hit");

    await breakConnection(application);
    await until(() => (fleet.stats().resyncs >= 1 ? true : undefined));
    expect(await cacheOutcome(reader, tenant, name)).toBe("miss"); // the whole cache was emptied

    await writer.rotateCredentials(name, tenant, { apiKey: "sk-two-bbbbbbbbbbbb" });
    await until(async () =>
      (await reader.getCredentials(name, tenant)).apiKey?.reveal() === "sk-two-bbbbbbbbbbbb"
        ? true
        : undefined,
    );
  };

  it("postgres: a killed listener connection is reconnected, LISTEN again, the cache emptied", async () => {
    await survives("postgres", async (application) => {
      const { rowCount } = await admin.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
        [application],
      );
      expect(rowCount).toBeGreaterThanOrEqual(1);
    });
  });

  it("redis: a restarted server is subscribed to again and the cache emptied", async () => {
    await survives("redis", async () => {
      await privateRedis.stop();
      await privateRedis.start();
    });
  });

  it("an unreachable channel is a typed error that names no password", async () => {
    const password = canary("pw");
    const dead = await freePort();
    const attempts = [
      postgresInvalidation({ connectionString: `postgres://credkit:${password}@127.0.0.1:${dead}/x` }),
      redisInvalidation({
        url: `redis://:${password}@127.0.0.1:${dead}`,
        redisOptions: { maxRetriesPerRequest: 0 },
      }),
    ];
    for (const transport of attempts) {
      const error = await fleetInvalidation(manager(), transport).then(
        () => undefined,
        (failure: unknown) => failure,
      );
      await transport.close();
      expect(error).toBeInstanceOf(UnavailableError);
      assertNoLeak(error, password);
    }
  });
});

describe("fleet invalidation messages", () => {
  it("decodes only well-formed change messages", async () => {
    const { decodeChange, encodeChange } = await import("../../src/ops/invalidation/message.js");
    const message = { origin: "o", tenantId: "t", connectionId: "n", action: "rotate" as const, version: 3 };
    expect(decodeChange(encodeChange(message))).toEqual(message);
    for (const text of [
      "",
      "null",
      "{}",
      '{"v":1,"o":"o","t":"t","n":"n","a":"read"}',
      '{"v":1,"o":"o","t":"","n":"n","a":"write"}',
    ]) {
      expect(decodeChange(text)).toBeUndefined();
    }
  });
});
