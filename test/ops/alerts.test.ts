/**
 * Alerts from metadata: expiring, rotation due (by type and by connector), unused, undecryptable;
 * published as events, with no value read into any of them.
 */
import { describe, expect, it } from "vitest";
import { memoryBackend } from "../../src/backends/memory/index.js";
import { ConnectorService } from "../../src/connectors/service.js";
import { CredentialManager } from "../../src/core/credential-manager.js";
import { type CheckAlertsOptions, checkAlerts } from "../../src/ops/alerts.js";
import { type CredkitEvent, createEventStream } from "../../src/ops/events.js";
import { expectNowhere } from "../connectors/service-support.js";
import { canary, keyring, TEST_KEY_A, TEST_KEY_B, uniqueId } from "../support/fixtures.js";
import { probeRegistry } from "./support.js";

const DAY = 86_400_000;

async function world() {
  const backend = memoryBackend({ env: {} });
  const credentials = new CredentialManager({ backend, encryption: keyring(TEST_KEY_A), cache: false });
  const tenantId = uniqueId("tenant");
  const probe = probeRegistry();
  const service = new ConnectorService({ credentials, tenantId, registry: probe.registry });
  const value = canary();
  const start = Date.now();
  await credentials.storeCredentials(
    "expiring",
    tenantId,
    { apiKey: value },
    { expiresAt: new Date(start + 50 * DAY) },
  );
  await credentials.storeCredentials(
    "later",
    tenantId,
    { apiKey: value },
    { expiresAt: new Date(start + 400 * DAY) },
  );
  await credentials.storeCredentials("token", tenantId, { token: value }, { type: "bearer_token" });
  const connection = await service.create({
    connector: "probe",
    instanceName: "P",
    configuration: { apiKey: value },
  });
  await credentials.getCredentials("later", tenantId);
  const events = createEventStream();
  const seen: CredkitEvent[] = [];
  events.on("*", (event) => void seen.push(event));
  const run = (options: Partial<CheckAlertsOptions> = {}) =>
    checkAlerts({
      credentials,
      tenants: [tenantId],
      events,
      service: () => service,
      keyCheck: false,
      now: () => start + 45 * DAY,
      ...options,
    });
  return { backend, credentials, tenantId, connection, value, start, seen, run };
}

const summary = (alerts: CredkitEvent[]) =>
  alerts.map((alert) => `${alert.type} ${"connectionId" in alert ? alert.connectionId : ""}`).sort();

describe("alerts", () => {
  it("expiring within N days: the credential whose expiry is near, with the date and a message", async () => {
    const w = await world();
    const alerts = await w.run({ expiringWithinDays: 7 });
    expect(summary(alerts)).toEqual(["credential.expiring expiring"]);
    expect(alerts[0]).toMatchObject({
      tenantId: w.tenantId,
      version: 1,
      at: new Date(w.start + 50 * DAY).toISOString(),
      message: "expires in 5 days",
    });
    const later = await w.run({ expiringWithinDays: 7, now: () => w.start + 52 * DAY });
    expect(later[0]).toMatchObject({ type: "credential.expiring", message: "expired 2 days ago" });
  });

  it("rotation due: the strictest of the type's and the connector's maximum age, naming the connections", async () => {
    const w = await world();
    const alerts = await w.run({
      expiringWithinDays: 0,
      rotationMaxAgeDays: { bearer_token: 30, "*": 90 },
      connectorRotationMaxAgeDays: { probe: 40 },
    });
    const due = alerts.filter((alert) => alert.type === "credential.rotation_due");
    expect(due).toHaveLength(2);
    const owned = due.find((alert) => alert.connectionId.startsWith("~"));
    expect(owned).toMatchObject({
      connections: [w.connection.id],
      message: "last rotated 45 days ago (maximum 40 days)",
    });
    const token = due.find((alert) => alert.connectionId === "token");
    expect(Date.parse(token?.at as string) - w.start).toBeGreaterThanOrEqual(30 * DAY);
    expect(Date.parse(token?.at as string) - w.start).toBeLessThan(31 * DAY);
    const none = await w.run({ expiringWithinDays: 0, rotationMaxAgeDays: { "*": 90 } });
    expect(none).toEqual([]);
  });

  it("unused for N days: by last read, or since creation when never read; a durable last-used source wins", async () => {
    const w = await world();
    const alerts = await w.run({ expiringWithinDays: 0, unusedForDays: 40 });
    const unused = alerts.filter((alert) => alert.type === "credential.unused");
    expect(
      summary(unused)
        .map((line) => line.split(" ")[1]?.replace(/^~.*/, "owned"))
        .sort(),
    ).toEqual(["expiring", "later", "owned", "token"]);
    expect(unused.find((alert) => alert.connectionId === "later")).toMatchObject({
      message: "not used for 45 days",
    });
    expect(unused.find((alert) => alert.connectionId === "token")?.message).toMatch(
      /^never used since it was created 45 days ago$/,
    );
    const durable = await w.run({
      expiringWithinDays: 0,
      unusedForDays: 40,
      lastUsed: (_tenant, name) => (name === "token" ? new Date(w.start + 44 * DAY) : undefined),
    });
    expect(durable.some((alert) => alert.connectionId === "token")).toBe(false);
  });

  it("undecryptable: a version under a key the keyring does not hold, found by key ids alone", async () => {
    const w = await world();
    const other = new CredentialManager({ backend: w.backend, encryption: keyring(TEST_KEY_B) });
    await other.storeCredentials("foreign", w.tenantId, { apiKey: w.value });
    const alerts = await w.run({ expiringWithinDays: 0, keyCheck: undefined });
    const broken = alerts.filter((alert) => alert.type === "credential.undecryptable");
    expect(broken).toHaveLength(1);
    expect(broken[0]).toMatchObject({ connectionId: "foreign", version: 1, reason: "integrity" });
    expect(typeof broken[0]?.keyId).toBe("string");
  });

  it("every alert is published on the stream, and no value appears in any of them", async () => {
    const w = await world();
    const alerts = await w.run({
      expiringWithinDays: 7,
      unusedForDays: 1,
      rotationMaxAgeDays: { "*": 1 },
      keyCheck: { latestOnly: false },
    });
    expect(alerts.length).toBeGreaterThan(5);
    expect(w.seen).toEqual(alerts);
    for (const alert of alerts) expect(alert.id).toMatch(/^evt_/);
    expectNowhere(w.value, alerts);
  });
});
