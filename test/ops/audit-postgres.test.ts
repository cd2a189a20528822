/**
 * The PostgreSQL audit sink against the real server: no event lost at 10,000 reads per second from
 * 4 concurrent callers, access counts summed across replicas, the query API with its filters and
 * cursor paging, the full-queue policy, a SIGTERM mid-run that flushes everything, and a canary
 * that reaches no row.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import type pg from "pg";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { memoryBackend } from "../../src/backends/memory/index.js";
import type { AuditEvent } from "../../src/core/audit.js";
import type { Backend } from "../../src/core/backend.js";
import { CredentialManager } from "../../src/core/credential-manager.js";
import { UnavailableError, ValidationError } from "../../src/core/errors.js";
import { checkAlerts } from "../../src/ops/alerts.js";
import { type PostgresAuditSink, postgresAuditSink } from "../../src/ops/audit/index.js";
import { assertNoLeak, canary, keyring, rejection, uniqueId } from "../support/fixtures.js";
import { childScript } from "../support/node-bundle.js";
import {
  adminPool,
  describePostgres,
  dropTestObjects,
  POSTGRES_URL,
  uniqueIdentifier,
} from "../support/postgres.js";
import { freePort } from "../support/redis-server.js";

const CHILD = join(import.meta.dirname, "../support/audit-child.ts");

describePostgres("PostgreSQL audit sink", () => {
  const schema = uniqueIdentifier("credkit_audit");
  let admin: pg.Pool;
  const sinks: PostgresAuditSink[] = [];

  beforeAll(() => {
    admin = adminPool();
  });
  afterAll(async () => {
    for (const sink of sinks) await sink.close();
    await dropTestObjects(admin, schema);
    await admin.end();
  });

  const open = (options: Parameters<typeof postgresAuditSink>[0] = {}) => {
    const sink = postgresAuditSink({ connectionString: POSTGRES_URL, schema, ...options });
    sinks.push(sink);
    return sink;
  };
  const replica = (sink: PostgresAuditSink, backend: Backend = memoryBackend()) =>
    new CredentialManager({ backend, encryption: keyring(), audit: { sinks: [sink.sink] } });
  const rowCount = async (tenant: string, action = "read") =>
    Number(
      (
        await admin.query(
          `SELECT count(*) FROM "${schema}".credkit_audit WHERE tenant = $1 AND action = $2`,
          [tenant, action],
        )
      ).rows[0].count,
    );

  it("loses no event at 10,000 reads per second from 4 callers; counts add up across replicas", async () => {
    const tenant = uniqueId("tenant");
    const backend = memoryBackend();
    const [sinkA, sinkB] = [open(), open()];
    const [replicaA, replicaB] = [replica(sinkA, backend), replica(sinkB, backend)];
    await replicaA.storeCredentials("conn", tenant, { apiKey: "sk-load-aaaaaaaaaaaa" });
    const TICKS = 20;
    const PER_TICK = 250; // per caller every 100 ms: 4 × 2,500 = 10,000 reads per second
    const caller = async () => {
      for (let tick = 0; tick < TICKS; tick++) {
        const started = Date.now();
        for (let read = 0; read < PER_TICK; read++) await replicaA.getCredentials("conn", tenant);
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, 100 - (Date.now() - started))));
      }
    };
    await Promise.all([caller(), caller(), caller(), caller()]);
    for (let read = 0; read < 10; read++) await replicaB.getCredentials("conn", tenant);
    await Promise.all([sinkA.flush(), sinkB.flush()]);

    const reads = 4 * TICKS * PER_TICK;
    expect(sinkA.stats()).toMatchObject({ received: reads + 1, written: reads + 1, dropped: 0, queued: 0 });
    expect(await rowCount(tenant)).toBe(reads + 10);
    const usage = await sinkB.usage(tenant, "conn");
    expect(usage.accessCount).toBe(reads + 10);
    expect(usage.lastUsedAt).toBeInstanceOf(Date);
  });

  it("unused-credential alerts read the roll-ups: a read on another replica counts", async () => {
    const DAY = 86_400_000;
    const tenant = uniqueId("tenant");
    const backend = memoryBackend();
    const sink = open();
    const reader = replica(sink, backend);
    const checker = new CredentialManager({ backend, encryption: keyring() });
    const created = Date.now();
    await reader.storeCredentials("conn", tenant, { apiKey: "sk-unused-aaaaaaaaaaaa" });
    vi.useFakeTimers({ toFake: ["Date"], now: created + 44 * DAY });
    try {
      await reader.getCredentials("conn", tenant); // read on day 44, on the other replica
    } finally {
      vi.useRealTimers();
    }
    await sink.flush();
    const unused = (rollups?: PostgresAuditSink) =>
      checkAlerts({
        credentials: checker,
        tenants: [tenant],
        keyCheck: false,
        expiringWithinDays: 0,
        unusedForDays: 40,
        now: () => created + 45 * DAY,
        ...(rollups ? { rollups } : {}),
      });
    // the checker never read it: alone, it sees a credential unused since its creation
    expect((await unused()).map((alert) => alert.type)).toEqual(["credential.unused"]);
    expect(await unused(sink)).toEqual([]);
  });

  it("answers queries by tenant, credential, connection, accessor, action, correlation id and time, paged", async () => {
    const sink = open();
    const credentials = replica(sink);
    const [tenant, other] = [uniqueId("tenant"), uniqueId("other")];
    const before = new Date(Date.now() - 1000);
    await credentials.storeCredentials("a", tenant, { apiKey: "sk-query-aaaaaaaaaaa" }, { actor: "admin" });
    await credentials.storeCredentials("b", tenant, { apiKey: "sk-query-bbbbbbbbbbb" }, { actor: "admin" });
    await credentials.storeCredentials("a", other, { apiKey: "sk-query-ccccccccccc" }, { actor: "admin" });
    for (let index = 0; index < 5; index++) {
      await credentials.getCredentials("a", tenant, {
        accessor: "connector_c1",
        correlationId: `req-${index}`,
      });
    }
    await credentials.getCredentials("b", tenant, { accessor: "svc" });
    await rejection(credentials.getCredentials("missing", tenant, { accessor: "svc" }));
    await sink.flush();

    // every row keeps its event's millisecond (times travel as offsets from the batch's first)
    const times = (events: AuditEvent[]) => events.map((event) => event.time).sort();
    expect(times((await sink.query({ tenantId: tenant })).events)).toEqual(
      times(credentials.audit.events({ tenant })),
    );
    const names = (events: AuditEvent[]) => events.map((event) => `${event.action}:${event.name}`);
    expect((await sink.query({ tenantId: tenant })).events).toHaveLength(9);
    expect(names((await sink.query({ tenantId: tenant, name: "b" })).events)).toEqual(["read:b", "write:b"]);
    expect((await sink.query({ tenantId: tenant, connectionId: "c1" })).events).toHaveLength(5);
    expect((await sink.query({ tenantId: tenant, accessor: "admin" })).events).toHaveLength(2);
    expect((await sink.query({ tenantId: tenant, action: ["write"] })).events).toHaveLength(2);
    expect((await sink.query({ tenantId: tenant, outcome: "failure" })).events).toMatchObject([
      { name: "missing", errorCode: "not_found", accessor: "svc" },
    ]);
    expect((await sink.query({ correlationId: "req-3" })).events).toMatchObject([{ tenant, name: "a" }]);
    expect(
      (await sink.query({ tenantId: tenant, from: before, to: new Date(Date.now() + 60_000) })).events,
    ).toHaveLength(9);
    expect((await sink.query({ tenantId: tenant, to: before })).events).toHaveLength(0);

    const seen: AuditEvent[] = [];
    let cursor: string | undefined;
    do {
      const page = await sink.query({ tenantId: tenant, limit: 2, ...(cursor ? { cursor } : {}) });
      expect(page.events.length).toBeLessThanOrEqual(2);
      seen.push(...page.events);
      cursor = page.cursor;
    } while (cursor);
    expect(seen).toEqual((await sink.query({ tenantId: tenant })).events);
    expect(seen.map((event) => event.time)).toEqual(
      [...seen.map((event) => event.time)].sort((a, b) => b - a),
    );

    const first = await sink.query({ tenantId: tenant, limit: 2 });
    expect(await rejection(sink.query({ tenantId: other, cursor: first.cursor as string }))).toBeInstanceOf(
      ValidationError,
    );
    expect(await rejection(sink.query({ from: new Date("nope") }))).toBeInstanceOf(ValidationError);
    expect(await rejection(sink.query({ limit: 5000 }))).toBeInstanceOf(ValidationError);
  });

  it("a full queue drops the new event, counts it and hands it to onDrop; a dead database is a scrubbed error", async () => {
    const password = canary("pw");
    const dropped: AuditEvent[] = [];
    const errors: UnavailableError[] = [];
    const sink = postgresAuditSink({
      connectionString: `postgres://credkit:${password}@127.0.0.1:${await freePort()}/none`,
      maxQueue: 3,
      batchSize: 100,
      onDrop: (event) => dropped.push(event),
      onError: (error) => errors.push(error),
    });
    const credentials = replica(sink);
    const tenant = uniqueId("tenant");
    await credentials.storeCredentials("conn", tenant, { apiKey: "sk-full-aaaaaaaaaaaa" });
    for (let read = 0; read < 4; read++) await credentials.getCredentials("conn", tenant);
    expect(sink.stats()).toMatchObject({ received: 3, dropped: 2, queued: 3 });
    expect(dropped.map((event) => event.action)).toEqual(["read", "read"]);
    await sink.close(); // gives up after a few attempts: the queued events go to onDrop too
    expect(dropped).toHaveLength(5);
    expect(sink.stats()).toMatchObject({ received: 3, written: 0, queued: 0 });
    expect(errors.length).toBeGreaterThan(0);
    for (const error of errors) {
      expect(error).toBeInstanceOf(UnavailableError);
      assertNoLeak(error, password);
    }
  });

  it("a SIGTERM mid-run flushes every queued event before the process ends", async () => {
    const tenant = uniqueId("tenant");
    const child = spawn(process.execPath, [await childScript(CHILD), schema, tenant], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += String(chunk);
      if (output.includes("running\n") && !child.killed) child.kill("SIGTERM");
    });
    const [, signal] = await new Promise<[number | null, string | null]>((resolve) =>
      child.on("exit", (code, exitSignal) => resolve([code, exitSignal])),
    );
    expect(signal).toBe("SIGTERM");
    const stats = JSON.parse(output.trim().split("\n").at(-1) as string);
    expect(stats.received).toBeGreaterThan(1000);
    expect(stats.queuedAtSignal).toBeGreaterThan(0); // the signal did catch events in the queue
    expect(stats).toMatchObject({ written: stats.received, queued: 0, dropped: 0 });
    expect(await rowCount(tenant)).toBe(stats.received - 1);
    expect(await rowCount(tenant, "write")).toBe(1);
  });

  it("a planted value reaches no audit row, roll-up or error", async () => {
    const secret = canary();
    const sink = open();
    const credentials = replica(sink);
    const tenant = uniqueId("tenant");
    await credentials.storeCredentials("conn", tenant, { apiKey: secret }, { correlationId: "req-canary" });
    await credentials.getCredentials("conn", tenant);
    await credentials.rotateCredentials("conn", tenant, { apiKey: `${secret}-2` });
    await credentials.describeCredentials("conn", tenant);
    await credentials
      .updateCredentials("conn", tenant, { apiKey: `${secret}-3` }, { ifVersion: 1 })
      .catch(() => undefined);
    await sink.flush();
    const rows = await admin.query(`SELECT * FROM "${schema}".credkit_audit WHERE tenant = $1`, [tenant]);
    const usage = await admin.query(`SELECT * FROM "${schema}".credkit_audit_usage WHERE tenant = $1`, [
      tenant,
    ]);
    expect(rows.rowCount).toBeGreaterThanOrEqual(4);
    assertNoLeak([rows.rows, usage.rows, await sink.query({ tenantId: tenant })], secret);
  });
});
