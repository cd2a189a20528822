/**
 * Prepared read statements: reads run as named statements (parsed and planned once per
 * connection), named from their text so two schemas on one pool never collide; off with
 * `preparedStatements: false`; and a server that lost them (as behind a transaction-mode pooler)
 * is a `ConfigurationError` that says what to set.
 */
import type pg from "pg";
import { afterAll, expect, it } from "vitest";
import { type PostgresBackend, postgresBackend } from "../../src/backends/postgres/index.js";
import { ConfigurationError } from "../../src/core/errors.js";
import { encodeKey } from "../../src/core/key-encoding.js";
import {
  adminPool,
  describePostgres,
  dropTestObjects,
  POSTGRES_URL,
  testPool,
  uniqueIdentifier,
} from "../support/postgres.js";
import { maskedWrite } from "../support/record-guard.js";

const key = encodeKey("t", "n", 512);
const write = maskedWrite(key);

describePostgres("postgres prepared read statements", () => {
  const schemas: string[] = [];
  const backends: PostgresBackend[] = [];
  const pools: pg.Pool[] = [];
  /** A backend on a fresh schema over `pool`: one connection, so its prepared statements can be listed. */
  const open = (pool: pg.Pool, preparedStatements?: boolean) => {
    const schema = uniqueIdentifier("credkit_prep");
    schemas.push(schema);
    const backend = postgresBackend({
      pool,
      schema,
      ...(preparedStatements === undefined ? {} : { preparedStatements }),
    });
    backends.push(backend);
    return { backend, schema };
  };
  const onePool = () => {
    const pool = testPool(POSTGRES_URL, 1);
    pools.push(pool);
    return pool;
  };
  const prepared = async (pool: pg.Pool) =>
    (
      await pool.query<{ name: string; statement: string }>(
        "SELECT name, statement FROM pg_prepared_statements",
      )
    ).rows;
  const readEveryWay = async (backend: PostgresBackend) => {
    await backend.put(key, write);
    expect((await backend.get(key))?.value).toBe(write.value);
    expect((await backend.get(key, { version: 1 }))?.value).toBe(write.value);
    expect((await backend.getMany?.([key]))?.[0]).toMatchObject({ value: write.value });
  };

  afterAll(async () => {
    for (const backend of backends) await backend.close();
    for (const pool of pools) await pool.end();
    const admin = adminPool();
    for (const schema of schemas) await dropTestObjects(admin, schema);
    await admin.end();
  });

  it("reads (latest, pinned version, batch) run as statements prepared once on the connection", async () => {
    const pool = onePool();
    const { backend, schema } = open(pool);
    await readEveryWay(backend);
    await readEveryWay(backend);
    const statements = await prepared(pool);
    expect(statements).toHaveLength(3);
    for (const { name, statement } of statements) {
      expect(name).toMatch(/^credkit_[0-9a-f]{32}$/);
      expect(statement).toContain(`"${schema}"`);
    }
  });

  it("two backends on different schemas share one connection without a name clash", async () => {
    const pool = onePool();
    const first = open(pool);
    const second = open(pool);
    await readEveryWay(first.backend);
    await readEveryWay(second.backend);
    const statements = await prepared(pool);
    expect(statements).toHaveLength(6);
    expect(statements.filter(({ statement }) => statement.includes(`"${second.schema}"`))).toHaveLength(3);
  });

  it("preparedStatements: false reads with unnamed statements only", async () => {
    const pool = onePool();
    const { backend } = open(pool, false);
    await readEveryWay(backend);
    expect(await prepared(pool)).toEqual([]);
  });

  it("a server that lost the statements (a transaction-mode pooler) is a ConfigurationError naming the option", async () => {
    const pool = onePool();
    const { backend } = open(pool);
    await readEveryWay(backend);
    // why: what a pooler does when the next transaction lands on another server connection.
    await pool.query("DEALLOCATE ALL");
    const failure = await backend.get(key).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ConfigurationError);
    expect((failure as Error).message).toContain("preparedStatements: false");
    expect((failure as Error).message).toContain("26000");
  });
});
