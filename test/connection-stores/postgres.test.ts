/**
 * The PostgreSQL table connection store on the real server: the connection store contract (plain
 * and with row-level security as an ordinary role), the org_integrations columns, isolation enforced by the
 * policy itself, and records that outlive the store instance.
 */
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresConnectionStore } from "../../src/connectors/connection-stores/postgres.js";
import { runConnectionStoreContract, sampleRecord } from "../contract/connection-store-contract.js";
import {
  adminPool,
  createRole,
  describePostgres,
  dropTestObjects,
  POSTGRES_URL,
  uniqueIdentifier,
  urlAs,
} from "../support/postgres.js";

describePostgres("postgres connection store", () => {
  const schema = uniqueIdentifier("credkit_conn");
  let admin: pg.Pool;
  beforeAll(async () => {
    admin = adminPool();
    await admin.query(`CREATE SCHEMA "${schema}"`);
  });
  afterAll(async () => {
    await dropTestObjects(admin, schema);
    await admin.end();
  });

  runConnectionStoreContract(
    {
      name: "postgres table",
      create: () => postgresConnectionStore({ connectionString: POSTGRES_URL, schema, table: "contract" }),
    },
    { describe, it, beforeAll, afterAll },
  );

  it("keeps the org_integrations columns, readable with plain SQL", async () => {
    const store = postgresConnectionStore({ connectionString: POSTGRES_URL, schema, actor: "alice" });
    try {
      const record = {
        ...sampleRecord("acme", "openai"),
        status: "error" as const,
        errorMessage: "OpenAI API key is invalid or expired",
      };
      await store.put(record, 0);
      const { rows } = await admin.query(
        `SELECT id, tenant, provider, status, config, validated_at, error_message, created_at, updated_at, created_by, updated_by FROM "${schema}".org_integrations`,
      );
      expect(rows).toEqual([
        expect.objectContaining({
          id: "openai",
          tenant: "acme",
          provider: "openai",
          status: "error",
          config: record.configuration,
          error_message: "OpenAI API key is invalid or expired",
          created_by: "alice",
          updated_by: "alice",
        }),
      ]);
      expect(store.schemaSql()).toContain("org_integrations");
    } finally {
      await store.close();
    }
  });

  it("a new store instance (a restart) reads every record back", async () => {
    const first = postgresConnectionStore({ connectionString: POSTGRES_URL, schema, table: "restart" });
    const records = Array.from({ length: 3 }, (_, index) => sampleRecord("acme", `conn-${index}`));
    for (const record of records) await first.put(record, 0);
    await first.close();
    const second = postgresConnectionStore({ connectionString: POSTGRES_URL, schema, table: "restart" });
    try {
      expect((await second.list("acme")).items).toEqual(records);
    } finally {
      await second.close();
    }
  });
});

describePostgres("postgres connection store with row-level security (ordinary role)", () => {
  const schema = uniqueIdentifier("credkit_conn_rls");
  const owner = uniqueIdentifier("credkit_conn_owner");
  let admin: pg.Pool;
  beforeAll(async () => {
    admin = adminPool();
    await createRole(admin, owner);
    await admin.query(`CREATE SCHEMA "${schema}" AUTHORIZATION "${owner}"`);
  });
  afterAll(async () => {
    await dropTestObjects(admin, schema, [owner]);
    await admin.end();
  });

  runConnectionStoreContract(
    {
      name: "postgres table (row-level security)",
      create: () =>
        postgresConnectionStore({ connectionString: urlAs(owner), schema, rowLevelSecurity: true }),
    },
    { describe, it, beforeAll, afterAll },
  );

  it("the policy hides other tenants' rows from the role itself, outside the store", async () => {
    const store = postgresConnectionStore({
      connectionString: urlAs(owner),
      schema,
      rowLevelSecurity: true,
      table: "isolated",
    });
    const { default: pgModule } = await import("pg");
    const raw = new pgModule.Client({ connectionString: urlAs(owner) });
    try {
      await store.put(sampleRecord("acme", "a"), 0);
      await store.put(sampleRecord("globex", "b"), 0);
      await raw.connect();
      expect((await raw.query(`SELECT id FROM "${schema}".isolated`)).rows).toEqual([]);
      await raw.query("BEGIN");
      await raw.query("SELECT set_config('app.tenant_id', 'acme', true)");
      expect((await raw.query(`SELECT id FROM "${schema}".isolated`)).rows).toEqual([{ id: "a" }]);
      await expect(
        raw.query(`UPDATE "${schema}".isolated SET tenant = 'globex' WHERE id = 'a'`),
      ).rejects.toThrow(/row-level security/);
      await raw.query("ROLLBACK");
    } finally {
      await raw.end();
      await store.close();
    }
  });
});
