/**
 * The real PostgreSQL server for backend tests. Each suite gets its own schema (and roles, where
 * it needs them), dropped afterwards. When the server cannot be reached, suites are skipped with a
 * visible message, except under CI=true, where they fail.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { describe, it } from "vitest";

/** The test server. Never DATABASE_URL: that may point at a database that matters. */
export const POSTGRES_URL =
  process.env.CREDKIT_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** The URL for another role on the same server and database (trust authentication). */
export function urlAs(role: string): string {
  const url = new URL(POSTGRES_URL);
  url.username = role;
  url.password = "";
  return url.toString();
}

async function probe(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return undefined;
  } catch (error) {
    return (error as Error).message || String(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Why the server is unusable, or undefined when it answers. Probed once per test file. */
export const unreachable: string | undefined = await probe();

/**
 * `describe` when the server answers. Otherwise: under CI=true, one failing test naming the
 * reason; outside CI, the suite is skipped with a warning on stderr.
 */
export function describePostgres(title: string, body: () => void): void {
  if (unreachable === undefined) {
    describe(title, body);
    return;
  }
  const message = `PostgreSQL at ${new URL(POSTGRES_URL).host} is unreachable (${unreachable}).`;
  if (process.env.CI === "true") {
    describe(title, () => {
      it("needs a reachable PostgreSQL server", () => {
        throw new Error(
          `${message} Start the server (.ci/run does) or point CREDKIT_TEST_POSTGRES_URL at one.`,
        );
      });
    });
    return;
  }
  console.warn(`[credkit tests] SKIPPED "${title}": ${message} Set CI=true to fail instead.`);
  describe.skip(title, body);
}

/** A unique, valid identifier for a schema or role of one test run. */
export function uniqueIdentifier(prefix: string): string {
  return `${prefix}_${randomBytes(5).toString("hex")}`;
}

/**
 * A pool for a test's own queries. An idle client that the server ends (its role dropped, its
 * backend terminated by a cleanup) leaves the pool quietly instead of as an uncaught error.
 */
export function testPool(connectionString = POSTGRES_URL, max = 4): pg.Pool {
  const pool = new pg.Pool({ connectionString, max });
  pool.on("error", () => undefined);
  return pool;
}

/** A pool as the superuser, for setting up and inspecting behind the backend's back. */
export function adminPool(): pg.Pool {
  return testPool();
}

/** Drops a test schema and roles, whatever state they are in. */
export async function dropTestObjects(
  admin: pg.Pool,
  schema: string,
  roles: readonly string[] = [],
): Promise<void> {
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  for (const role of roles) {
    await admin.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1 AND pid <> pg_backend_pid()",
      [role],
    );
    const exists = await admin.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [role]);
    if (exists.rowCount === 0) continue;
    await admin.query(`DROP OWNED BY "${role}"`);
    await admin.query(`DROP ROLE "${role}"`);
  }
}

/** Creates an ordinary login role (no superuser, no BYPASSRLS). */
export async function createRole(admin: pg.Pool, role: string): Promise<void> {
  await admin.query(`CREATE ROLE "${role}" LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE`);
}
