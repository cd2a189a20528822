/**
 * PostgreSQL configuration failures (issue 13 item 17), the masked-forms column and its
 * migration, and the record guard on rows edited behind credkit's back.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import {
  definition,
  type PostgresBackend,
  type PostgresRetryEvent,
  postgresBackend,
  SCHEMA_VERSION,
} from "../../src/backends/postgres/index.js";
import type { BackendWrite } from "../../src/core/backend.js";
import { ConfigurationError, IntegrityError } from "../../src/core/errors.js";
import { encodeKey } from "../../src/core/key-encoding.js";
import { assertNoLeak, canary } from "../support/fixtures.js";
import {
  adminPool,
  describePostgres,
  dropTestObjects,
  POSTGRES_URL,
  uniqueIdentifier,
} from "../support/postgres.js";

const write = (masked?: Record<string, string>): BackendWrite => ({
  value: "payload",
  metadata: {
    tenant: "t",
    name: "n",
    type: "api_key",
    fingerprints: { apiKey: "0123abcd" },
    ...(masked ? { masked } : {}),
    keyId: null,
    createdAt: "2026-01-01T00:00:00.000Z",
    updatedAt: "2026-01-01T00:00:00.000Z",
  },
});

describePostgres("postgres hardening", () => {
  const schemas: string[] = [];
  const backends: PostgresBackend[] = [];
  const fresh = () => {
    const schema = uniqueIdentifier("credkit_hard");
    schemas.push(schema);
    return schema;
  };
  const open = (schema: string) => {
    const backend = postgresBackend({ connectionString: POSTGRES_URL, schema });
    backends.push(backend);
    return backend;
  };
  const key = encodeKey("t", "n", 512);

  afterAll(async () => {
    for (const backend of backends) await backend.close();
    const admin = adminPool();
    for (const schema of schemas) await dropTestObjects(admin, schema);
    await admin.end();
  });

  it("issue 13 item 17: a malformed DATABASE_URL is a ConfigurationError at creation, naming the variable, never the value", async () => {
    const secret = canary("pg-password");
    const url = `not-a-url-${secret}`;
    const fromEnv = await definition.fromEnv({ DATABASE_URL: url }).catch((error: unknown) => error);
    expect(ConfigurationError.isInstance(fromEnv)).toBe(true);
    expect((fromEnv as ConfigurationError).missing).toEqual(["DATABASE_URL"]);
    assertNoLeak(fromEnv, secret);
    const direct = (() => {
      try {
        return postgresBackend({ connectionString: url });
      } catch (error) {
        return error;
      }
    })();
    expect(ConfigurationError.isInstance(direct)).toBe(true);
    expect((direct as Error).message).toContain("connectionString");
    assertNoLeak(direct, secret);
  });

  it("issue 13 item 17: an SSL mismatch is a ConfigurationError naming host and port, never the password, not retried", async () => {
    const password = canary("pg-password");
    const retries: PostgresRetryEvent[] = [];
    const url = new URL(POSTGRES_URL);
    url.password = password;
    url.searchParams.set("ssl", "true");
    const backend = postgresBackend({
      connectionString: url.toString(),
      schema: fresh(),
      onRetry: (event) => retries.push(event),
    });
    backends.push(backend);
    const error = await backend.get(key).catch((failure: unknown) => failure);
    expect(ConfigurationError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain(`${url.hostname}:${url.port || 5432}`);
    expect(retries).toEqual([]);
    assertNoLeak(error, password);
  });

  it("issue 13 item 17: maxVersions 0 (or any non-positive or fractional number) is a ConfigurationError", () => {
    for (const maxVersions of [0, -1, 1.5, Number.NaN]) {
      expect(() => postgresBackend({ connectionString: POSTGRES_URL, maxVersions })).toThrow(
        ConfigurationError,
      );
    }
    expect(() => postgresBackend({ connectionString: POSTGRES_URL, maxVersions: 1 })).not.toThrow();
  });

  it("issue 13 item 17: the postgresBackend({...}).migrate() one-liner lets the process exit", async () => {
    const directory = await mkdtemp(join(tmpdir(), "credkit-pg-"));
    const script = join(directory, "migrate.mts");
    const root = process.cwd();
    // why: idleTimeoutMillis 0 keeps idle connections forever, so only closing the pool lets it exit.
    await writeFile(
      script,
      `import { postgresBackend } from ${JSON.stringify(join(root, "src/backends/postgres/index.ts"))};
const state = await postgresBackend({ connectionString: ${JSON.stringify(POSTGRES_URL)}, schema: ${JSON.stringify(fresh())}, poolConfig: { idleTimeoutMillis: 0 } }).migrate();
console.log("migrated", state.version);
`,
    );
    const child = spawn(process.execPath, ["--import", "tsx", script], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    const code = await new Promise<number | string>((resolve) => {
      const guard = setTimeout(() => {
        child.kill();
        resolve("still running: the pool kept it alive");
      }, 25_000);
      child.on("exit", (exitCode) => {
        clearTimeout(guard);
        resolve(exitCode ?? -1);
      });
    });
    await rm(directory, { recursive: true, force: true });
    expect(output).toContain(`migrated ${SCHEMA_VERSION}`);
    expect(code).toBe(0);
  }, 40_000);

  it("persists masked field forms unchanged; migration 2 adds their column to a table made by migration 1", async () => {
    const schema = fresh();
    const backend = open(schema);
    await backend.put(key, write());
    // Back to the schema of migration 1: no masked column, one applied migration.
    const admin = adminPool();
    await admin.query(`ALTER TABLE "${schema}".credkit_credentials DROP COLUMN masked`);
    await admin.query(`ALTER TABLE "${schema}".credkit_credentials_versions DROP COLUMN masked`);
    await admin.query(`DELETE FROM "${schema}".credkit_credentials_migrations WHERE version > 1`);
    await admin.end();

    const upgraded = open(schema);
    expect((await upgraded.migrate()).version).toBe(SCHEMA_VERSION);
    const old = await upgraded.get(key);
    expect(old?.metadata.masked).toBeUndefined();
    expect(old?.metadata.fingerprints).toEqual({ apiKey: "0123abcd" });

    const masked = { apiKey: "sk-***wxyz", label: "***" };
    const { version } = await upgraded.put(key, write(masked));
    expect((await upgraded.get(key))?.metadata.masked).toEqual(masked);
    expect((await upgraded.get(key, { version }))?.metadata.masked).toEqual(masked);
    expect((await upgraded.getMany([key]))[0]).toMatchObject({ metadata: { masked } });
    expect((await upgraded.list()).entries[0]?.metadata.masked).toEqual(masked);
  });

  it("a row whose metadata was edited to a malformed value is IntegrityError on every read path", async () => {
    const schema = fresh();
    const backend = open(schema);
    await backend.put(key, write({ apiKey: "***" }));
    const admin = adminPool();
    await admin.query(`UPDATE "${schema}".credkit_credentials SET masked = '{"apiKey": 5}'::jsonb`);
    await admin.end();
    await expect(backend.get(key)).rejects.toSatisfy(IntegrityError.isInstance);
    expect(IntegrityError.isInstance((await backend.getMany([key]))[0])).toBe(true);
    await expect(backend.list()).rejects.toSatisfy(IntegrityError.isInstance);
  });
});
