/**
 * The postgres backend against the real PostgreSQL server: the contract suite, then what only a
 * database shows (concurrent writers, lost connections, timeouts, the migration).
 */
import { inspect } from "node:util";
import type pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  definition,
  type PostgresBackend,
  type PostgresBackendOptions,
  type PostgresRetryEvent,
  postgresBackend,
  SCHEMA_VERSION,
} from "../../src/backends/postgres/index.js";
import { createCredentialManager } from "../../src/core/create-credential-manager.js";
import { CredentialManager } from "../../src/core/credential-manager.js";
import {
  AuthError,
  ConfigurationError,
  ConflictError,
  UnavailableError,
  ValidationError,
} from "../../src/core/errors.js";
import { encodeKey, encodeTenantId } from "../../src/core/key-encoding.js";
import { runBackendContract } from "../contract/backend-contract.js";
import { assertNoLeak, canary, keyring, TEST_KEY_A, uniqueId } from "../support/fixtures.js";
import {
  adminPool,
  describePostgres,
  dropTestObjects,
  POSTGRES_URL,
  uniqueIdentifier,
  urlAs,
} from "../support/postgres.js";

/** Every migration number, in order: what a fully migrated schema has applied. */
const ALL_MIGRATIONS = Array.from({ length: SCHEMA_VERSION }, (_, index) => index + 1);

describePostgres("postgres backend", () => {
  const schema = uniqueIdentifier("credkit_test");
  runBackendContract({
    name: "postgres",
    concurrentWriters: 20,
    create: async () => postgresBackend({ connectionString: POSTGRES_URL, schema }),
    cleanup: async (backend) => {
      await backend.close?.();
      const admin = adminPool();
      await dropTestObjects(admin, schema);
      await admin.end();
    },
  });
});

describePostgres("postgres backend: what only the database shows", () => {
  const schema = uniqueIdentifier("credkit_pg");
  const application = uniqueIdentifier("credkit_app");
  let admin: pg.Pool;
  const backends: PostgresBackend[] = [];
  const table = `"${schema}"."credkit_credentials"`;
  const versionsTable = `"${schema}"."credkit_credentials_versions"`;

  /** A backend on this suite's schema, closed after the suite. */
  const open = (overrides: Partial<PostgresBackendOptions> = {}): PostgresBackend => {
    const backend = postgresBackend({
      connectionString: POSTGRES_URL,
      schema,
      applicationName: application,
      ...overrides,
    });
    backends.push(backend);
    return backend;
  };
  const managerOf = (backend: PostgresBackend) =>
    new CredentialManager({ backend, encryption: keyring(), cache: false });

  /** Server pids of this suite's connections (by application_name). */
  const ourPids = async (extra = ""): Promise<number[]> => {
    const { rows } = await admin.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE application_name = $1 ${extra}`,
      [application],
    );
    return rows.map((row) => row.pid);
  };

  /** Polls until `count` of our connections wait on a lock. */
  const waitForLockWaiters = async (count: number): Promise<number[]> => {
    for (let tries = 0; tries < 500; tries++) {
      const pids = await ourPids("AND wait_event_type = 'Lock'");
      if (pids.length >= count) return pids;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`fewer than ${count} connections ever waited on the lock`);
  };

  /** Takes the credential row's lock in an open admin transaction (by really updating it). */
  const lockRow = async (tenant: string, name: string): Promise<pg.PoolClient> => {
    const key = encodeKey(tenant, name, 512);
    const client = await admin.connect();
    await client.query("BEGIN");
    const { rowCount } = await client.query(
      `UPDATE ${table} SET updated_at = updated_at WHERE tenant_key = $1 AND name_key = $2`,
      [key.tenantSegment, key.connectionSegment],
    );
    expect(rowCount).toBe(1);
    return client;
  };

  beforeAll(async () => {
    admin = adminPool();
    await open().migrate();
  });

  afterAll(async () => {
    for (const backend of backends) await backend.close();
    await dropTestObjects(admin, schema);
    await admin.end();
  });

  it("50 concurrent rotates of one credential: consecutive versions, every value kept", async () => {
    const manager = managerOf(open({ maxConnections: 10 }));
    const tenant = uniqueId("tenant");
    await manager.storeCredentials("hot", tenant, { apiKey: "rotate-start-value" });
    const values = Array.from({ length: 50 }, (_, index) => `rotated-value-${index}`);
    const results = await Promise.all(
      values.map((value) => manager.rotateCredentials("hot", tenant, { apiKey: value })),
    );
    expect(results.map((result) => result.version).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 50 }, (_, index) => index + 2),
    );
    for (const [index, result] of results.entries()) {
      const stored = await manager.getCredentials("hot", tenant, { version: result.version });
      expect(stored.apiKey?.reveal()).toBe(values[index]);
    }
    const key = encodeKey(tenant, "hot", 512);
    const { rows } = await admin.query<{ version: number }>(
      `SELECT v.version FROM ${versionsTable} v JOIN ${table} c ON c.id = v.credential_id
       WHERE c.tenant_key = $1 AND c.name_key = $2 ORDER BY v.version`,
      [key.tenantSegment, key.connectionSegment],
    );
    expect(rows.map((row) => row.version)).toEqual(Array.from({ length: 51 }, (_, index) => index + 1));
    expect((await manager.describeCredentials("hot", tenant)).version).toBe(51);
  });

  it("50 concurrent compare-and-set rotates: winners get consecutive versions, the rest conflict", async () => {
    const manager = managerOf(open({ maxConnections: 10 }));
    const tenant = uniqueId("tenant");
    await manager.storeCredentials("cas", tenant, { apiKey: "cas-start-value" });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 50 }, async (_, index) => {
        const { version } = await manager.describeCredentials("cas", tenant);
        const info = await manager.rotateCredentials(
          "cas",
          tenant,
          { apiKey: `cas-writer-${index}` },
          { ifVersion: version },
        );
        return { index, version: info.version };
      }),
    );
    const winners = outcomes.flatMap((outcome) => (outcome.status === "fulfilled" ? [outcome.value] : []));
    for (const outcome of outcomes) {
      if (outcome.status === "rejected") expect(ConflictError.isInstance(outcome.reason)).toBe(true);
    }
    expect(winners.length).toBeGreaterThanOrEqual(1);
    expect(winners.map((winner) => winner.version).sort((a, b) => a - b)).toEqual(
      Array.from({ length: winners.length }, (_, index) => index + 2),
    );
    for (const winner of winners) {
      const stored = await manager.getCredentials("cas", tenant, { version: winner.version });
      expect(stored.apiKey?.reveal()).toBe(`cas-writer-${winner.index}`);
    }
    expect((await manager.describeCredentials("cas", tenant)).version).toBe(winners.length + 1);
  });

  it("retries serialization failures under SERIALIZABLE and loses no write", async () => {
    const retries: PostgresRetryEvent[] = [];
    const serializable = open({
      poolConfig: { options: "-c default_transaction_isolation=serializable" },
      retry: { attempts: 10, baseDelayMs: 5, maxDelayMs: 50 },
      onRetry: (event) => retries.push(event),
    });
    const manager = managerOf(serializable);
    const tenant = uniqueId("tenant");
    await manager.storeCredentials("ser", tenant, { apiKey: "serial-start-value" });
    // The admin updates the row and holds it; the writers queue behind it, and when it commits
    // every one of them must abort with 40001 (their snapshot predates that update).
    const holder = await lockRow(tenant, "ser");
    const writes = Array.from({ length: 4 }, (_, index) =>
      manager.storeCredentials("ser", tenant, { apiKey: `serial-value-${index}` }),
    );
    await waitForLockWaiters(4);
    await holder.query("COMMIT");
    holder.release();
    const results = await Promise.all(writes);
    expect(results.map((result) => result.version).sort()).toEqual([2, 3, 4, 5]);
    const serializationRetries = retries.filter((event) => event.reason === "serialization");
    expect(serializationRetries.length).toBeGreaterThanOrEqual(4);
    expect(serializationRetries.every((event) => event.code === "40001")).toBe(true);
  });

  it("recovers from a connection killed while its write waits (pg_terminate_backend)", async () => {
    const retries: PostgresRetryEvent[] = [];
    const manager = managerOf(open({ onRetry: (event) => retries.push(event) }));
    const tenant = uniqueId("tenant");
    await manager.storeCredentials("kill", tenant, { apiKey: "before-kill-value" });
    const holder = await lockRow(tenant, "kill");
    const write = manager.rotateCredentials("kill", tenant, { apiKey: "after-kill-value" });
    const [pid] = await waitForLockWaiters(1);
    const killed = await admin.query<{ ok: boolean }>("SELECT pg_terminate_backend($1) AS ok", [pid]);
    expect(killed.rows[0]?.ok).toBe(true);
    await holder.query("ROLLBACK");
    holder.release();
    const result = await write;
    expect(result.version).toBe(2);
    expect(retries.some((event) => event.reason === "connection")).toBe(true);
    expect((await manager.getCredentials("kill", tenant)).apiKey?.reveal()).toBe("after-kill-value");
    expect(await ourPids(`AND pid = ${Number(pid)}`)).toEqual([]);
  });

  it("recovers when every pooled connection is killed, and keeps working through a kill storm", async () => {
    // The storm is finite (stormRounds kills) and each call's retry budget outlasts it, so the
    // claim "keeps working" does not depend on how fast a loaded machine runs the storm.
    const stormRounds = 12;
    const backend = open({
      maxConnections: 4,
      retry: { attempts: stormRounds * 3, baseDelayMs: 5, maxDelayMs: 100 },
    });
    const manager = managerOf(backend);
    const tenant = uniqueId("tenant");
    await manager.storeCredentials("storm", tenant, { apiKey: "storm-value-0000" });
    await Promise.all(Array.from({ length: 4 }, () => manager.getCredentials("storm", tenant)));
    const idle = await ourPids();
    expect(idle.length).toBeGreaterThan(0);
    await admin.query("SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid", [idle]);
    expect((await manager.getCredentials("storm", tenant)).apiKey?.reveal()).toBe("storm-value-0000");

    const storm = (async () => {
      for (let round = 0; round < stormRounds; round += 1) {
        await admin.query(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
          [application],
        );
        await new Promise((resolve) => setTimeout(resolve, 15));
      }
    })();
    const outcomes = await Promise.allSettled(
      Array.from({ length: 40 }, (_, index) =>
        index % 2 === 0
          ? manager.rotateCredentials("storm", tenant, { apiKey: `storm-value-${index}` })
          : manager.getCredentials("storm", tenant),
      ),
    );
    await storm;
    // Every failure is typed and transient (retries exhausted, or a COMMIT whose outcome is unknown).
    for (const outcome of outcomes) {
      if (outcome.status === "rejected") expect(UnavailableError.isInstance(outcome.reason)).toBe(true);
    }
    expect(outcomes.filter((outcome) => outcome.status === "fulfilled").length).toBeGreaterThan(0);
    // Nothing half-written: the history is gap-free and ends at the row's version.
    const key = encodeKey(tenant, "storm", 512);
    const { rows } = await admin.query<{ version: number; current: number }>(
      `SELECT v.version, c.version AS current FROM ${versionsTable} v JOIN ${table} c ON c.id = v.credential_id
       WHERE c.tenant_key = $1 AND c.name_key = $2 ORDER BY v.version`,
      [key.tenantSegment, key.connectionSegment],
    );
    expect(rows.map((row) => row.version)).toEqual(
      Array.from({ length: rows.length }, (_, index) => index + 1),
    );
    expect(rows.at(-1)?.version).toBe(rows[0]?.current);
    const written = outcomes.flatMap((outcome) =>
      outcome.status === "fulfilled" && "version" in outcome.value ? [outcome.value.version] : [],
    );
    for (const version of written) expect(version).toBeLessThanOrEqual(rows.length);
    expect((await manager.describeCredentials("storm", tenant)).version).toBe(rows.length);
  });

  it("a statement over statementTimeoutMs fails as UnavailableError", async () => {
    const manager = managerOf(open({ statementTimeoutMs: 300 }));
    const tenant = uniqueId("tenant");
    await manager.storeCredentials("slow", tenant, { apiKey: "slow-value-0001" });
    const holder = await lockRow(tenant, "slow");
    try {
      const error = await manager
        .rotateCredentials("slow", tenant, { apiKey: "slow-value-0002" })
        .catch((e: unknown) => e);
      expect(UnavailableError.isInstance(error)).toBe(true);
      expect((error as Error).message).toMatch(/cancelled the statement/);
      expect((error as Error & { cause?: { code?: string } }).cause?.code).toBe("57014");
    } finally {
      await holder.query("ROLLBACK");
      holder.release();
    }
    expect((await manager.describeCredentials("slow", tenant)).version).toBe(1);
  });

  it("an unreachable server is UnavailableError, without the password", async () => {
    const password = canary("pg-password");
    const backend = open({
      connectionString: `postgres://postgres:${password}@127.0.0.1:1/test`,
      connectionTimeoutMs: 1_000,
      retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 },
    });
    const error = await backend.get(encodeKey("t", "n", 512)).catch((e: unknown) => e);
    expect(UnavailableError.isInstance(error)).toBe(true);
    assertNoLeak(error, password);
  });

  it("keeps a connection string's password out of util.inspect and JSON of the backend and its pool", async () => {
    const password = canary("pg-password");
    const url = new URL(POSTGRES_URL);
    url.password = password;
    // the test server trusts local connections, so the planted password is sent but not checked
    const backend = open({ connectionString: url.toString() });
    const tenant = uniqueId("tenant");
    await managerOf(backend).storeCredentials("inspected", tenant, { apiKey: "inspect-value-01" });
    const pool = await backend.pool();
    for (const value of [backend, pool]) expect(inspect(value, { depth: 10 })).not.toContain(password);
    for (const value of [backend, pool.options]) expect(JSON.stringify(value)).not.toContain(password);
    expect(pool.options.connectionString).toBe(url.toString());
  });

  it("an unknown role is AuthError", async () => {
    const backend = open({ connectionString: urlAs(uniqueIdentifier("no_such_role")) });
    const error = await backend.get(encodeKey("t", "n", 512)).catch((e: unknown) => e);
    expect(AuthError.isInstance(error)).toBe(true);
  });

  it("a unique violation is ConflictError, and the whole write rolls back", async () => {
    const manager = managerOf(open());
    const tenant = uniqueId("tenant");
    await manager.storeCredentials("dup", tenant, { apiKey: "unique-value-0001" });
    const key = encodeKey(tenant, "dup", 512);
    // a stray history row already holds version 2, so the write's history insert collides
    await admin.query(
      `INSERT INTO ${versionsTable} (credential_id, version, tenant_key, tenant, name, credential_type,
         encrypted_value, value_encoding, key_id, fingerprints, expires_at, created_at, updated_at, created_by)
       SELECT id, version + 1, tenant_key, tenant, name, credential_type, encrypted_value, value_encoding,
         key_id, fingerprints, expires_at, created_at, updated_at, created_by
       FROM ${table} WHERE tenant_key = $1 AND name_key = $2`,
      [key.tenantSegment, key.connectionSegment],
    );
    const error = await manager
      .rotateCredentials("dup", tenant, { apiKey: "unique-value-0002" })
      .catch((e: unknown) => e);
    expect(ConflictError.isInstance(error)).toBe(true);
    expect((error as Error & { cause?: { code?: string } }).cause?.code).toBe("23505");
    expect((await manager.describeCredentials("dup", tenant)).version).toBe(1);
    expect((await manager.getCredentials("dup", tenant)).apiKey?.reveal()).toBe("unique-value-0001");
  });

  it("stores envelopes as their bytes in bytea, and the plain codec's text as UTF-8", async () => {
    const backend = open();
    const tenant = uniqueId("tenant");
    await managerOf(backend).storeCredentials("bytes", tenant, { apiKey: "bytea-value-0001" });
    const plain = new CredentialManager({ backend, encryption: false, cache: false });
    await plain.storeCredentials("text", tenant, { apiKey: "plain-value-0001" });
    const { rows } = await admin.query<{ name: string; encrypted_value: Buffer; value_encoding: string }>(
      `SELECT name, encrypted_value, value_encoding FROM ${table} WHERE tenant = $1 ORDER BY name`,
      [tenant],
    );
    const record = await backend.get(encodeKey(tenant, "bytes", 512));
    expect(rows[0]).toMatchObject({ name: "bytes", value_encoding: "base64" });
    expect(rows[0]?.encrypted_value.equals(Buffer.from(record?.value ?? "", "base64"))).toBe(true);
    expect(rows[1]).toMatchObject({ name: "text", value_encoding: "utf8" });
    expect((await plain.getCredentials("text", tenant)).apiKey?.reveal()).toBe("plain-value-0001");
  });

  it("reads a batch with one query", async () => {
    const backend = open();
    const manager = managerOf(backend);
    const tenant = uniqueId("tenant");
    for (const name of ["a", "b", "c"])
      await manager.storeCredentials(name, tenant, { apiKey: `batch-${name}-1` });
    await manager.deleteCredentials("c", tenant);
    const pool = await backend.pool();
    let queries = 0;
    const connect = pool.connect.bind(pool) as () => Promise<pg.PoolClient>;
    (pool as { connect: () => Promise<pg.PoolClient> }).connect = async () => {
      const client = await connect();
      const query = client.query.bind(client) as (...args: unknown[]) => unknown;
      (client as { query: unknown }).query = (...args: unknown[]) => {
        queries++;
        return query(...args);
      };
      return client;
    };
    const keys = ["a", "missing", "b", "c"].map((name) => encodeKey(tenant, name, 512));
    const results = await backend.getMany(keys);
    expect(queries).toBe(1);
    expect((results[0] as { version: number }).version).toBe(1);
    expect(results[1]).toBeUndefined();
    expect((results[2] as { metadata: { name: string } }).metadata.name).toBe("b");
    expect((results[3] as Error & { code?: string }).code).toBe("deleted");
  });

  it("prunes versions beyond maxVersions; pruned versions read as absent", async () => {
    const manager = managerOf(open({ maxVersions: 3 }));
    const tenant = uniqueId("tenant");
    for (let index = 1; index <= 5; index++) {
      await manager.storeCredentials("pruned", tenant, { apiKey: `pruned-value-${index}` });
    }
    const old = await manager.getCredentials("pruned", tenant, { version: 2 }).catch((e: unknown) => e);
    expect((old as { code?: string }).code).toBe("not_found");
    expect((await manager.getCredentials("pruned", tenant, { version: 3 })).apiKey?.reveal()).toBe(
      "pruned-value-3",
    );
    const key = encodeKey(tenant, "pruned", 512);
    const { rows } = await admin.query<{ count: string }>(
      `SELECT count(*) FROM ${versionsTable} WHERE tenant_key = $1`,
      [key.tenantSegment],
    );
    expect(Number(rows[0]?.count)).toBe(3);
  });

  it("lists every tenant in key order with a keyset cursor, and refuses a forged cursor", async () => {
    const backend = open();
    const manager = managerOf(backend);
    const run = uniqueId("list");
    for (const tenant of ["x", "y"]) {
      for (const name of ["one", "two"])
        await manager.storeCredentials(name, `${run}${tenant}`, { apiKey: "k".repeat(12) });
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await backend.list({ limit: 3, ...(cursor ? { cursor } : {}) });
      seen.push(...page.entries.map((entry) => `${entry.metadata.tenant}/${entry.metadata.name}`));
      cursor = page.cursor;
    } while (cursor);
    const ours = seen.filter((id) => id.startsWith(run));
    expect(ours).toEqual([`${run}x/one`, `${run}x/two`, `${run}y/one`, `${run}y/two`]);
    const forged = await backend.list({ cursor: "not-a-cursor" }).catch((e: unknown) => e);
    expect(ValidationError.isInstance(forged)).toBe(true);
  });

  it("rejects a NUL in a tenant id as ValidationError, storing nothing", async () => {
    const manager = managerOf(open());
    const error = await manager
      .storeCredentials("n", "bad\u0000tenant", { apiKey: "nul-value-0001" })
      .catch((e: unknown) => e);
    expect(ValidationError.isInstance(error)).toBe(true);
  });

  it("is configured from DATABASE_URL or the PG* variables (VAULT_TYPE=postgres)", async () => {
    expect(definition.missingVariables({})).toEqual(["DATABASE_URL"]);
    expect(definition.missingVariables({ PGHOST: "127.0.0.1" })).toEqual([]);
    const url = new URL(POSTGRES_URL);
    const environments = [
      { DATABASE_URL: POSTGRES_URL },
      {
        PGHOST: url.hostname,
        PGPORT: url.port || "5432",
        PGUSER: decodeURIComponent(url.username),
        PGDATABASE: url.pathname.slice(1),
      },
    ];
    for (const [index, variables] of environments.entries()) {
      const env = {
        ...variables,
        VAULT_TYPE: "postgres",
        CREDKIT_PG_SCHEMA: schema,
        CREDKIT_PG_POOL_MAX: "2",
        CREDENTIAL_ENCRYPTION_KEY: TEST_KEY_A,
      };
      const manager = await createCredentialManager({ env, cache: false });
      try {
        const tenant = uniqueId("tenant");
        await manager.storeCredentials("env", tenant, { apiKey: `env-value-${index}-01` });
        expect((await manager.getCredentials("env", tenant)).apiKey?.reveal()).toBe(`env-value-${index}-01`);
        expect(manager.backend.name).toBe("postgres");
      } finally {
        await manager.close();
      }
    }
    const missing = await createCredentialManager({
      env: { VAULT_TYPE: "postgres", CREDENTIAL_ENCRYPTION_KEY: TEST_KEY_A },
    }).catch((e: unknown) => e);
    expect(ConfigurationError.isInstance(missing)).toBe(true);
    expect((missing as ConfigurationError).missing).toEqual(["DATABASE_URL"]);
  });
});

describePostgres("postgres backend: the migration", () => {
  let admin: pg.Pool;
  const schemas: string[] = [];
  const backends: PostgresBackend[] = [];
  const fresh = (): string => {
    const schema = uniqueIdentifier("credkit_mig");
    schemas.push(schema);
    return schema;
  };
  const open = (schema: string, overrides: Partial<PostgresBackendOptions> = {}) => {
    const backend = postgresBackend({
      connectionString: POSTGRES_URL,
      schema,
      maxConnections: 2,
      ...overrides,
    });
    backends.push(backend);
    return backend;
  };
  const applied = async (schema: string) =>
    (
      await admin.query<{ version: number }>(
        `SELECT version FROM "${schema}"."credkit_credentials_migrations" ORDER BY version`,
      )
    ).rows.map((row) => row.version);
  const tables = async (schema: string) =>
    (
      await admin.query<{ table_name: string }>(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name",
        [schema],
      )
    ).rows.map((row) => row.table_name);

  beforeAll(() => {
    admin = adminPool();
  });

  afterAll(async () => {
    for (const backend of backends) await backend.close();
    for (const schema of schemas) await dropTestObjects(admin, schema);
    await admin.end();
  });

  it("is idempotent: a second run changes nothing and keeps the data", async () => {
    const schema = fresh();
    const backend = open(schema, { autoMigrate: false });
    const first = await backend.migrate();
    expect(first.version).toBe(SCHEMA_VERSION);
    const manager = new CredentialManager({ backend, encryption: keyring(), cache: false });
    await manager.storeCredentials("kept", "tenant", { apiKey: "migration-value-1" });
    const second = await backend.migrate();
    expect(second).toEqual(first);
    expect(await applied(schema)).toEqual(ALL_MIGRATIONS);
    expect(await tables(schema)).toEqual([
      "credkit_credentials",
      "credkit_credentials_migrations",
      "credkit_credentials_versions",
    ]);
    expect((await manager.getCredentials("kept", "tenant")).apiKey?.reveal()).toBe("migration-value-1");
  });

  it("is safe when run concurrently from many processes' pools", async () => {
    const schema = fresh();
    const states = await Promise.all(Array.from({ length: 8 }, () => open(schema).migrate()));
    for (const state of states) expect(state.version).toBe(SCHEMA_VERSION);
    expect(await applied(schema)).toEqual(ALL_MIGRATIONS);
    expect(await tables(schema)).toHaveLength(3);
  });

  it("runs on first use by default, and concurrent first uses all succeed", async () => {
    const schema = fresh();
    const managers = Array.from(
      { length: 4 },
      () => new CredentialManager({ backend: open(schema), encryption: keyring(), cache: false }),
    );
    const results = await Promise.all(
      managers.map((manager, index) =>
        manager.storeCredentials(`first-${index}`, "tenant", { apiKey: "first-use-val" }),
      ),
    );
    expect(results.map((result) => result.version)).toEqual([1, 1, 1, 1]);
    expect(await applied(schema)).toEqual(ALL_MIGRATIONS);
  });

  it("with autoMigrate off, a missing table is a ConfigurationError naming migrate()", async () => {
    const backend = open(fresh(), { autoMigrate: false });
    const error = await backend.get(encodeKey("t", "n", 512)).catch((e: unknown) => e);
    expect(ConfigurationError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/migrate\(\)/);
  });

  it("schemaSql() is the same schema, for teams that apply DDL themselves", async () => {
    const schema = fresh();
    const backend = open(schema, { autoMigrate: false, rowLevelSecurity: true });
    await admin.query(backend.schemaSql());
    expect(await backend.migrate()).toMatchObject({
      version: SCHEMA_VERSION,
      rlsEnabled: true,
      rlsForced: true,
    });
    expect(await applied(schema)).toEqual(ALL_MIGRATIONS);
    const plain = open(schema, { autoMigrate: false });
    const manager = new CredentialManager({ backend: plain, encryption: keyring(), cache: false });
    await manager.storeCredentials("ddl", "tenant", { apiKey: "schema-sql-value" });
    expect((await manager.getCredentials("ddl", "tenant")).apiKey?.reveal()).toBe("schema-sql-value");
  });

  it("honours custom schema and table names, quoting them", async () => {
    const schema = fresh();
    const backend = open(schema, { table: 'Creds "quoted"', versionsTable: "history" });
    const manager = new CredentialManager({ backend, encryption: keyring(), cache: false });
    await manager.storeCredentials("named", encodeTenantId("x"), { apiKey: "custom-name-val" });
    expect(await tables(schema)).toEqual(['Creds "quoted"', 'Creds "quoted"_migrations', "history"]);
  });
});
