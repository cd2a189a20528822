import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { memoryBackend } from "../../src/backends/memory/index.js";
import { type AuditEvent, AuditRing, AuditTrail, jsonLinesSink, loggerSink } from "../../src/core/audit.js";
import { CredentialManager } from "../../src/core/credential-manager.js";
import { UnavailableError } from "../../src/core/errors.js";
import { assertNoLeak, canary, keyring } from "../support/fixtures.js";

describe("audit", () => {
  it("records every action with its outcome, accessor and version, and never a value", async () => {
    const key = canary();
    const seen: AuditEvent[] = [];
    const manager = new CredentialManager({
      backend: memoryBackend({ env: {} }),
      encryption: keyring(),
      audit: { sinks: [(event) => seen.push(event)] },
    });
    await manager.storeCredentials("c", "t", { apiKey: key }, { actor: "admin" });
    await manager.getCredentials("c", "t", { accessor: "connector_42" });
    await manager.getCredentials("c", "t", { accessor: "connector_42" });
    await manager.rotateCredentials("c", "t", { apiKey: `${key}-2` });
    await manager.getCredentials("missing", "t").catch(() => undefined);
    await manager.deleteCredentials("c", "t");
    manager.recordTest("t", "c", "connector_42", false);
    expect(seen.map((event) => [event.action, event.outcome])).toEqual([
      ["write", "success"],
      ["read", "success"],
      ["read", "success"],
      ["rotate", "success"],
      ["read", "failure"],
      ["delete", "success"],
      ["test", "failure"],
    ]);
    expect(seen[0]).toMatchObject({ tenant: "t", name: "c", accessor: "admin", version: 1 });
    expect(seen[1]).toMatchObject({ accessor: "connector_42", cache: "miss", version: 1 });
    expect(seen[2]).toMatchObject({ cache: "hit" });
    expect(seen[4]).toMatchObject({ errorCode: "not_found" });
    expect(typeof seen[0]?.time).toBe("number");
    assertNoLeak(seen, key);
    expect(manager.audit.events()).toEqual(seen);
  });

  it("keeps a bounded ring of the latest events", () => {
    const ring = new AuditRing(3);
    for (let index = 0; index < 5; index++) {
      ring.sink({ time: index, tenant: "t", accessor: "a", action: "read", outcome: "success" });
    }
    expect(ring.events().map((event) => event.time)).toEqual([2, 3, 4]);
  });

  it("derives access count and last access from reads", async () => {
    const manager = new CredentialManager({ backend: memoryBackend({ env: {} }), encryption: keyring() });
    await manager.storeCredentials("c", "t", { apiKey: "usage-value-1234" });
    expect((await manager.describeCredentials("c", "t")).accessCount).toBe(0);
    for (let index = 0; index < 3; index++) await manager.getCredentials("c", "t");
    const info = await manager.describeCredentials("c", "t");
    expect(info.accessCount).toBe(3);
    expect(info.lastAccessAt?.getTime()).toBeLessThanOrEqual(Date.now());
  });

  it("writes JSON lines to a 0600 file", async () => {
    const directory = await mkdtemp(join(tmpdir(), "credkit-audit-"));
    const path = join(directory, "audit.jsonl");
    const sink = jsonLinesSink(path);
    const key = canary();
    const manager = new CredentialManager({
      backend: memoryBackend({ env: {} }),
      encryption: keyring(),
      audit: { sinks: [sink] },
    });
    await manager.storeCredentials("c", "t", { apiKey: key });
    await manager.getCredentials("c", "t", { accessor: "job" });
    await sink.flush();
    const lines = (await readFile(path, "utf8"))
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(lines.map((line) => line.action)).toEqual(["write", "read"]);
    expect(lines[1].time).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readFile(path, "utf8")).not.toContain(key);
    await rm(directory, { recursive: true, force: true });
  });

  it("logs through a pino logger: info for successes, warn for failures", async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = pino({}, stream);
    const key = canary();
    const manager = new CredentialManager({
      backend: memoryBackend({ env: {} }),
      encryption: keyring(),
      audit: { sinks: [loggerSink(logger)] },
    });
    await manager.storeCredentials("c", "t", { apiKey: key });
    await manager.getCredentials("nope", "t").catch(() => undefined);
    const records = lines.map((line) => JSON.parse(line));
    expect(records.map((record) => [record.level, record.msg])).toEqual([
      [30, "credkit write success"],
      [40, "credkit read failure"],
    ]);
    expect(lines.join("")).not.toContain(key);
  });

  it("a throwing sink never breaks a read", async () => {
    const manager = new CredentialManager({
      backend: memoryBackend({ env: {} }),
      encryption: keyring(),
      audit: {
        sinks: [
          () => {
            throw new Error("sink down");
          },
        ],
      },
    });
    await manager.storeCredentials("c", "t", { apiKey: "sink-failure-value" });
    expect((await manager.getCredentials("c", "t")).apiKey?.reveal()).toBe("sink-failure-value");
  });

  it("a sink with recordRead takes successful reads field by field, the others as events", async () => {
    const events: AuditEvent[] = [];
    const reads: unknown[][] = [];
    const fieldSink = Object.assign((event: AuditEvent) => void events.push(event), {
      recordRead: (...fields: unknown[]) => void reads.push(fields),
    });
    const plain: AuditEvent[] = [];
    const manager = new CredentialManager({
      backend: memoryBackend({ env: {} }),
      encryption: keyring(),
      audit: { sinks: [fieldSink, (event) => plain.push(event)] },
    });
    await manager.storeCredentials("c", "t", { apiKey: "field-sink-value" });
    await manager.getCredentials("c", "t", { accessor: "svc", correlationId: "req-1" });
    await manager.getCredentials("c", "t");
    await manager.getCredentials("missing", "t").catch(() => undefined);
    expect(events.map((event) => `${event.action}:${event.outcome}`)).toEqual([
      "write:success",
      "read:failure",
    ]);
    expect(reads).toEqual([
      [expect.any(Number), "t", "c", "svc", 1, "miss", "req-1"],
      [expect.any(Number), "t", "c", "unknown", 1, "hit", undefined],
    ]);
    // a sink without recordRead still gets every read as an event object
    expect(plain.map((event) => `${event.action}:${event.outcome}`)).toEqual([
      "write:success",
      "read:success",
      "read:success",
      "read:failure",
    ]);
  });

  it("a sink whose recordRead throws never breaks a read, and the other sinks still get it", async () => {
    const reads: unknown[][] = [];
    const broken = Object.assign(() => undefined, {
      recordRead: () => {
        throw new Error("sink down");
      },
    });
    const working = Object.assign(() => undefined, {
      recordRead: (...fields: unknown[]) => void reads.push(fields),
    });
    const manager = new CredentialManager({
      backend: memoryBackend({ env: {} }),
      encryption: keyring(),
      audit: { sinks: [broken, working] },
    });
    await manager.storeCredentials("c", "t", { apiKey: "field-sink-failure-value" });
    expect((await manager.getCredentials("c", "t")).apiKey?.reveal()).toBe("field-sink-failure-value");
    expect(reads).toEqual([[expect.any(Number), "t", "c", "unknown", 1, "miss", undefined]]);
  });

  it("a sink added later takes reads by its own kind, and none once removed", () => {
    const trail = new AuditTrail(new AuditRing(), []);
    const reads: unknown[][] = [];
    const events: AuditEvent[] = [];
    const removeFieldSink = trail.addSink(
      Object.assign(() => undefined, { recordRead: (...fields: unknown[]) => void reads.push(fields) }),
    );
    const removeEventSink = trail.addSink((event) => void events.push(event));
    trail.read("t/c", 1, "t", "c", "svc", 1, "hit", undefined);
    removeFieldSink();
    removeEventSink();
    trail.read("t/c", 2, "t", "c", "svc", 1, "hit", undefined);
    expect(reads).toEqual([[1, "t", "c", "svc", 1, "hit", undefined]]);
    expect(events).toEqual([
      {
        time: 1,
        tenant: "t",
        name: "c",
        accessor: "svc",
        action: "read",
        outcome: "success",
        version: 1,
        cache: "hit",
      },
    ]);
  });

  it("audits a failed batch read once for every credential in it", async () => {
    const inner = memoryBackend({ env: {} });
    const backend = {
      ...inner,
      capabilities: inner.capabilities,
      getMany: async () => {
        throw new UnavailableError("batch endpoint down");
      },
    };
    const manager = new CredentialManager({ backend, encryption: keyring(), cache: false });
    const results = await manager.getManyCredentials([
      { connectionId: "a", userId: "t" },
      { connectionId: "b", userId: "t" },
    ]);
    expect(results.map((result) => !result.ok && result.error.code)).toEqual(["unavailable", "unavailable"]);
    const failures = manager.audit.events({ action: "read" }).filter((event) => event.outcome === "failure");
    expect(failures.map((event) => event.name)).toEqual(["a", "b"]);
  });
});
