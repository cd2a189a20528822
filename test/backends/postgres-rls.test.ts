/**
 * Row-level security on the real server. PostgreSQL exempts superusers and BYPASSRLS roles from
 * every policy, and table owners unless the table FORCEs it, so these tests connect as ordinary
 * roles created for the run: an owner that migrates, and an application role that only has grants.
 */
import type pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  type PostgresBackend,
  type PostgresBackendOptions,
  postgresBackend,
  SCHEMA_VERSION,
} from "../../src/backends/postgres/index.js";
import { CredentialManager } from "../../src/core/credential-manager.js";
import { UnsupportedError } from "../../src/core/errors.js";
import { encodeKey, encodeTenantId } from "../../src/core/key-encoding.js";
import { runBackendContract } from "../contract/backend-contract.js";
import { keyring, uniqueId } from "../support/fixtures.js";
import {
  adminPool,
  createRole,
  describePostgres,
  dropTestObjects,
  POSTGRES_URL,
  testPool,
  uniqueIdentifier,
  urlAs,
} from "../support/postgres.js";

describePostgres("postgres backend with row-level security (non-superuser owner)", () => {
  const schema = uniqueIdentifier("credkit_rls");
  const owner = uniqueIdentifier("credkit_owner");
  let admin: pg.Pool;
  runBackendContract({
    name: "postgres (row-level security)",
    concurrentWriters: 20,
    create: async () => {
      admin = adminPool();
      await createRole(admin, owner);
      await admin.query(`CREATE SCHEMA "${schema}" AUTHORIZATION "${owner}"`);
      return postgresBackend({ connectionString: urlAs(owner), schema, rowLevelSecurity: true });
    },
    cleanup: async (backend) => {
      try {
        const state = await (backend as PostgresBackend).migrate();
        expect(state).toMatchObject({ rlsEnabled: true, rlsForced: true, bypassesRls: false });
      } finally {
        await backend.close?.();
        await dropTestObjects(admin, schema, [owner]);
        await admin.end();
      }
    },
  });
});

describePostgres("postgres row-level security: isolation", () => {
  const schema = uniqueIdentifier("credkit_rls");
  const owner = uniqueIdentifier("credkit_owner");
  const app = uniqueIdentifier("credkit_app");
  const table = `"${schema}"."credkit_credentials"`;
  const versionsTable = `"${schema}"."credkit_credentials_versions"`;
  let admin: pg.Pool;
  let appPool: pg.Pool;
  let ownerPool: pg.Pool;
  const backends: PostgresBackend[] = [];
  const open = (url: string, overrides: Partial<PostgresBackendOptions> = {}) => {
    const backend = postgresBackend({ connectionString: url, schema, rowLevelSecurity: true, ...overrides });
    backends.push(backend);
    return backend;
  };
  const managerOf = (backend: PostgresBackend) =>
    new CredentialManager({ backend, encryption: keyring(), cache: false });
  const tenantA = uniqueId("tenant-a");
  const tenantB = uniqueId("tenant-b");
  const segmentA = encodeTenantId(tenantA);
  const segmentB = encodeTenantId(tenantB);

  /** Runs `body` in a transaction whose tenant setting is `tenant` (or unset), then rolls back. */
  const asTenant = async <T>(
    pool: pg.Pool,
    tenant: string | undefined,
    body: (client: pg.PoolClient) => Promise<T>,
  ): Promise<T> => {
    const client = await pool.connect();
    try {
      await client.query("BEGIN");
      if (tenant !== undefined) await client.query("SELECT set_config('app.tenant_id', $1, true)", [tenant]);
      return await body(client);
    } finally {
      await client.query("ROLLBACK");
      client.release();
    }
  };
  const count = async (client: pg.PoolClient, sql: string, parameters: unknown[] = []) =>
    Number((await client.query<{ n: string }>(`SELECT count(*) AS n ${sql}`, parameters)).rows[0]?.n);

  beforeAll(async () => {
    admin = adminPool();
    await createRole(admin, owner);
    await createRole(admin, app);
    await admin.query(`CREATE SCHEMA "${schema}" AUTHORIZATION "${owner}"`);
    const state = await open(urlAs(owner)).migrate();
    expect(state).toMatchObject({
      version: SCHEMA_VERSION,
      rlsEnabled: true,
      rlsForced: true,
      bypassesRls: false,
    });
    // The grants docs/backends/postgres.md lists for an application role.
    await admin.query(`GRANT USAGE ON SCHEMA "${schema}" TO "${app}"`);
    await admin.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ${table}, ${versionsTable} TO "${app}"`);
    await admin.query(`GRANT SELECT ON "${schema}"."credkit_credentials_migrations" TO "${app}"`);
    appPool = testPool(urlAs(app), 2);
    ownerPool = testPool(urlAs(owner), 2);
    const manager = managerOf(open(urlAs(app)));
    await manager.storeCredentials("shared", tenantA, { apiKey: "tenant-a-value-1" });
    await manager.storeCredentials("shared", tenantB, { apiKey: "tenant-b-value-1" });
    await manager.storeCredentials("only-b", tenantB, { apiKey: "tenant-b-value-2" });
  });

  afterAll(async () => {
    for (const backend of backends) await backend.close();
    await appPool?.end();
    await ownerPool?.end();
    await dropTestObjects(admin, schema, [app, owner]);
    await admin.end();
  });

  it("a query under tenant A's setting cannot see, change or create tenant B's rows", async () => {
    await asTenant(appPool, segmentA, async (client) => {
      expect(await count(client, `FROM ${table} WHERE tenant_key = $1`, [segmentB])).toBe(0);
      expect(await count(client, `FROM ${versionsTable} WHERE tenant_key = $1`, [segmentB])).toBe(0);
      // The "bug above": a query with no tenant condition at all still sees only tenant A.
      const all = await client.query<{ tenant: string }>(`SELECT tenant FROM ${table}`);
      expect(all.rows.map((row) => row.tenant)).toEqual([tenantA]);
      const updated = await client.query(`UPDATE ${table} SET deleted_at = now() WHERE tenant_key = $1`, [
        segmentB,
      ]);
      expect(updated.rowCount).toBe(0);
      const deleted = await client.query(`DELETE FROM ${versionsTable} WHERE tenant_key = $1`, [segmentB]);
      expect(deleted.rowCount).toBe(0);
      const insert = await client
        .query(
          `INSERT INTO ${table} (tenant_key, name_key, tenant, name, credential_type, encrypted_value,
             value_encoding, version, created_at, updated_at)
           VALUES ($1, 'forged', $2, 'forged', 'api_key', '\\x00', 'base64', 1, now(), now())`,
          [segmentB, tenantB],
        )
        .catch((e: unknown) => e);
      expect((insert as { code?: string }).code).toBe("42501");
    });
    await asTenant(appPool, undefined, async (client) => {
      expect(await count(client, `FROM ${table}`)).toBe(0);
    });
    await asTenant(appPool, segmentB, async (client) => {
      expect(await count(client, `FROM ${table} WHERE tenant_key = $1`, [segmentB])).toBe(2);
    });
    const manager = managerOf(open(urlAs(app)));
    expect((await manager.getCredentials("shared", tenantB)).apiKey?.reveal()).toBe("tenant-b-value-1");
  });

  it("binds the table owner too, because the migration FORCEs it; without FORCE the owner sees all", async () => {
    await asTenant(ownerPool, segmentA, async (client) => {
      expect(await count(client, `FROM ${table} WHERE tenant_key = $1`, [segmentB])).toBe(0);
    });
    await admin.query(`ALTER TABLE ${table} NO FORCE ROW LEVEL SECURITY`);
    try {
      await asTenant(ownerPool, segmentA, async (client) => {
        expect(await count(client, `FROM ${table} WHERE tenant_key = $1`, [segmentB])).toBe(2);
      });
    } finally {
      await admin.query(`ALTER TABLE ${table} FORCE ROW LEVEL SECURITY`);
    }
  });

  it("does not bind a superuser (PostgreSQL exempts them), and the backend warns about it", async () => {
    await asTenant(admin, segmentA, async (client) => {
      expect(await count(client, `FROM ${table} WHERE tenant_key = $1`, [segmentB])).toBe(2);
    });
    const warnings: Error[] = [];
    const listener = (warning: Error) => warnings.push(warning);
    process.on("warning", listener);
    try {
      const superuser = open(POSTGRES_URL);
      await superuser.get(encodeKey(tenantA, "shared", 512));
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off("warning", listener);
    }
    expect(
      warnings.some((warning) => (warning as { code?: string }).code === "CREDKIT_PG_RLS_BYPASSED"),
    ).toBe(true);
  });

  it("lists one tenant at a time, reads batches across tenants, refuses an all-tenant listing", async () => {
    const backend = open(urlAs(app));
    const listed = await backend.list({ tenantSegment: segmentB });
    expect(listed.entries.map((entry) => entry.metadata.name).sort()).toEqual(["only-b", "shared"]);
    const results = await backend.getMany([
      encodeKey(tenantA, "shared", 512),
      encodeKey(tenantB, "shared", 512),
      encodeKey(tenantA, "only-b", 512),
    ]);
    expect(results.map((result) => (result as { metadata?: { tenant: string } })?.metadata?.tenant)).toEqual([
      tenantA,
      tenantB,
      undefined,
    ]);
    const everything = await backend.list().catch((e: unknown) => e);
    expect(UnsupportedError.isInstance(everything)).toBe(true);
  });

  it("turns itself on when the table has row-level security, even if the option is off", async () => {
    const manager = managerOf(open(urlAs(app), { rowLevelSecurity: false }));
    expect((await manager.getCredentials("shared", tenantA)).apiKey?.reveal()).toBe("tenant-a-value-1");
    await manager.rotateCredentials("shared", tenantA, { apiKey: "tenant-a-value-2" });
    expect((await manager.describeCredentials("shared", tenantA)).version).toBe(2);
  });

  it("enables row-level security on a table migrated without it", async () => {
    const later = uniqueIdentifier("credkit_rls_later");
    await admin.query(`CREATE SCHEMA "${later}" AUTHORIZATION "${owner}"`);
    try {
      const plain = postgresBackend({ connectionString: urlAs(owner), schema: later });
      backends.push(plain);
      await managerOf(plain).storeCredentials("before", tenantA, { apiKey: "before-rls-value" });
      expect(await plain.migrate()).toMatchObject({ rlsEnabled: false, rlsForced: false });
      const secured = postgresBackend({
        connectionString: urlAs(owner),
        schema: later,
        rowLevelSecurity: true,
      });
      backends.push(secured);
      expect(await secured.migrate()).toMatchObject({
        version: SCHEMA_VERSION,
        rlsEnabled: true,
        rlsForced: true,
      });
      expect((await managerOf(secured).getCredentials("before", tenantA)).apiKey?.reveal()).toBe(
        "before-rls-value",
      );
      await asTenant(ownerPool, segmentB, async (client) => {
        expect(await count(client, `FROM "${later}"."credkit_credentials"`)).toBe(0);
      });
    } finally {
      await admin.query(`DROP SCHEMA "${later}" CASCADE`);
    }
  });
});
