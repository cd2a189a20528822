/**
 * The event stream: the manager (through an audit sink), the connector service and OAuth (through
 * the status listener) and rewrap (through onProgress) publish typed events; none carries a value.
 */
import { describe, expect, it } from "vitest";
import { memoryBackend } from "../../src/backends/memory/index.js";
import { ConnectorService } from "../../src/connectors/service.js";
import { CredentialManager } from "../../src/core/credential-manager.js";
import { type CredkitEvent, createEventStream } from "../../src/ops/events.js";
import { auditEvents, rewrapEvents, statusEvents } from "../../src/ops/events-publishers.js";
import { expectNowhere } from "../connectors/service-support.js";
import { canary, keyring, TEST_KEY_A, TEST_KEY_B, uniqueId } from "../support/fixtures.js";
import { probeRegistry } from "./support.js";

function setup() {
  const events = createEventStream();
  const seen: CredkitEvent[] = [];
  events.on("*", (event) => void seen.push(event));
  const backend = memoryBackend({ env: {} });
  const credentials = new CredentialManager({
    backend,
    encryption: keyring(TEST_KEY_A),
    audit: { sinks: [auditEvents(events)] },
  });
  const probe = probeRegistry();
  const tenantId = uniqueId("tenant");
  const service = new ConnectorService({
    credentials,
    tenantId,
    registry: probe.registry,
    onStatusChange: statusEvents(events),
  });
  return { events, seen, backend, credentials, probe, tenantId, service };
}

describe("event stream", () => {
  it("publishes stored, rotated and deleted from the manager, with versions and actors", async () => {
    const { seen, credentials, tenantId } = setup();
    const secret = canary();
    await credentials.storeCredentials("openai", tenantId, { apiKey: secret }, { actor: "alice" });
    await credentials.rotateCredentials("openai", tenantId, { apiKey: `${secret}-2` });
    await credentials.getCredentials("openai", tenantId);
    await credentials.deleteCredentials("openai", tenantId, { purge: true, actor: "bob" });
    expect(seen.map((event) => event.type)).toEqual([
      "credential.stored",
      "credential.rotated",
      "credential.deleted",
    ]);
    expect(seen[0]).toMatchObject({ tenantId, connectionId: "openai", version: 1, actor: "alice" });
    expect(seen[1]).toMatchObject({ version: 2, actor: "unknown" });
    expect(seen[2]).toMatchObject({ purged: true, actor: "bob" });
    expect(new Set(seen.map((event) => event.id)).size).toBe(3);
    for (const event of seen) expect(Number.isNaN(Date.parse(event.time))).toBe(false);
    expectNowhere(secret, seen);
  });

  it("publishes status changes, recovered and refresh_failed from the connector service", async () => {
    const { seen, service, probe, tenantId } = setup();
    const secret = canary();
    const created = await service.create({
      connector: "probe",
      instanceName: "Probe",
      configuration: { apiKey: secret },
    });
    probe.failing.add(secret);
    expect((await service.testConnectorConnection(created.id)).success).toBe(false);
    probe.failing.delete(secret);
    expect((await service.testConnectorConnection(created.id, { background: true })).success).toBe(true);
    await service.reportStatus(
      created.id,
      "error",
      "refresh_failed",
      "The provider refused the refresh token.",
    );
    const statuses = seen.filter((event) => event.type.startsWith("connection."));
    expect(
      statuses.map((event) => [event.type, "from" in event ? event.from : "", "to" in event ? event.to : ""]),
    ).toEqual([
      ["connection.status_changed", null, "pending"],
      ["connection.status_changed", "pending", "validating"],
      ["connection.status_changed", "validating", "error"],
      ["connection.status_changed", "error", "active"],
      ["connection.recovered", "error", "active"],
      ["connection.status_changed", "active", "error"],
      ["connection.refresh_failed", "active", "error"],
    ]);
    expect(statuses[4]).toMatchObject({ tenantId, connectionId: created.id, reason: "recovered" });
    // the connection's own records and owned secret (reserved names) publish no credential events
    expect(seen.filter((event) => event.type.startsWith("credential."))).toEqual([]);
    expect(statuses[2]).toMatchObject({
      reason: "validation_failed",
      message: "Probe API key is invalid or expired",
    });
    expectNowhere(secret, seen);
  });

  it("publishes changes of reserved names (credkit's own records) only when asked", async () => {
    const events = createEventStream();
    const seen: CredkitEvent[] = [];
    events.on("*", (event) => void seen.push(event));
    const credentials = new CredentialManager({
      backend: memoryBackend({ env: {} }),
      encryption: keyring(),
      audit: { sinks: [auditEvents(events, { includeReserved: true })] },
    });
    const probe = probeRegistry();
    const service = new ConnectorService({ credentials, tenantId: uniqueId("t"), registry: probe.registry });
    await service.create({ connector: "probe", instanceName: "P", configuration: { apiKey: canary() } });
    const names = seen.map((event) => ("connectionId" in event ? event.connectionId : ""));
    expect(names.length).toBeGreaterThan(0);
    expect(names.every((name) => name.startsWith("~"))).toBe(true);
  });

  it("a background check makes no validating step and no transition when the status holds", async () => {
    const { seen, service } = setup();
    const created = await service.create({
      connector: "probe",
      instanceName: "Probe",
      configuration: { apiKey: canary() },
    });
    await service.testConnectorConnection(created.id, { background: true });
    await service.testConnectorConnection(created.id, { background: true });
    const moves = seen.filter((event) => event.type === "connection.status_changed");
    expect(moves.map((event) => ("to" in event ? event.to : ""))).toEqual(["pending", "active"]);
    expect((await service.get(created.id)).status).toBe("active");
  });

  it("publishes rewrap progress with counts and checkpoints", async () => {
    const { events, seen, backend, credentials, tenantId } = setup();
    const secret = canary();
    await credentials.storeCredentials("a", tenantId, { apiKey: secret });
    await credentials.storeCredentials("b", tenantId, { apiKey: `${secret}-b` });
    const rotated = new CredentialManager({ backend, encryption: keyring(TEST_KEY_B, TEST_KEY_A) });
    await rotated.rewrap({ userId: tenantId, onProgress: rewrapEvents(events, tenantId) });
    const progress = seen.filter((event) => event.type === "rewrap.progress");
    expect(progress).toHaveLength(2);
    expect(progress[1]).toMatchObject({ tenantId, credentials: 2, rewrapped: 2, current: 0, notMoved: 0 });
    expect(typeof (progress[1] as { checkpoint: string }).checkpoint).toBe("string");
    expectNowhere(secret, seen);
  });

  it("a listener that throws or rejects breaks neither the manager nor other listeners", async () => {
    const { events, seen, credentials, tenantId } = setup();
    events.on("credential.stored", () => {
      throw new Error("listener bug");
    });
    events.on("credential.stored", async () => {
      throw new Error("async listener bug");
    });
    await credentials.storeCredentials("x", tenantId, { apiKey: canary() });
    await expect.poll(() => events.listenerErrors).toBe(2);
    expect(seen.map((event) => event.type)).toEqual(["credential.stored"]);
  });

  it("type subscriptions receive only their type and can unsubscribe", () => {
    const events = createEventStream({ now: () => Date.UTC(2030, 0, 2) });
    const got: string[] = [];
    const off = events.on("connection.recovered", (event) => void got.push(event.connectionId));
    const base = {
      tenantId: "t",
      connectionId: "c1",
      from: "error",
      to: "active",
      reason: "recovered",
    } as const;
    events.emit({ type: "connection.status_changed", ...base });
    const emitted = events.emit({ type: "connection.recovered", ...base });
    off();
    events.emit({ type: "connection.recovered", ...base, connectionId: "c2" });
    expect(got).toEqual(["c1"]);
    expect(emitted.time).toBe("2030-01-02T00:00:00.000Z");
    expect(emitted.id).toMatch(/^evt_[A-Za-z0-9_-]{16}$/);
  });
});
