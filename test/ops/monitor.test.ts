/**
 * The health monitor with a manual clock: first checks spread over the first interval, intervals
 * within the jitter bounds, exponential backoff after failures, recovery with a `recovered` event,
 * the concurrency and per-provider limits, and two replicas sharing one store never testing one
 * connection at once (nor twice per interval).
 */
import { afterEach, describe, expect, it } from "vitest";
import { memoryBackend } from "../../src/backends/memory/index.js";
import { ConnectorService } from "../../src/connectors/service.js";
import type { Backend } from "../../src/core/backend.js";
import { CredentialManager } from "../../src/core/credential-manager.js";
import { type CredkitEvent, createEventStream } from "../../src/ops/events.js";
import { createHealthMonitor, type HealthMonitor, type HealthMonitorOptions } from "../../src/ops/monitor.js";
import { credentialStoreLeases } from "../../src/ops/monitor-leases.js";
import { manualClock } from "../../src/testing/clock.js";
import { expectNowhere } from "../connectors/service-support.js";
import { canary, keyring, uniqueId } from "../support/fixtures.js";
import { probeRegistry } from "./support.js";

const MINUTE = 60_000;
const monitors: HealthMonitor[] = [];
afterEach(async () => {
  for (const monitor of monitors.splice(0)) await monitor.stop();
});

function world() {
  const backend = memoryBackend({ env: {} });
  const clock = manualClock();
  const probe = probeRegistry();
  const tenantId = uniqueId("tenant");
  const events = createEventStream({ now: clock.now });
  const seen: CredkitEvent[] = [];
  events.on("*", (event) => void seen.push(event));
  const manager = (store: Backend = backend) =>
    new CredentialManager({ backend: store, encryption: keyring(), cache: false });
  const admin = new ConnectorService({ credentials: manager(), tenantId, registry: probe.registry });
  /** Creates an active connection whose api key is returned. */
  const connection = async (connector = "probe") => {
    const apiKey = canary();
    const record = await admin.create({ connector, instanceName: "P", configuration: { apiKey } });
    await admin.testConnectorConnection(record.id);
    return { id: record.id, apiKey };
  };
  const monitor = (options: Partial<HealthMonitorOptions> = {}) => {
    const created = createHealthMonitor({
      credentials: manager(),
      tenants: [tenantId],
      serviceOptions: { registry: probe.registry },
      events,
      clock,
      intervalMs: 10 * MINUTE,
      jitter: 0,
      backoffBaseMs: MINUTE,
      backoffMaxMs: 8 * MINUTE,
      scanIntervalMs: 1e12,
      ...options,
    });
    monitors.push(created);
    return created;
  };
  return { backend, clock, probe, tenantId, events, seen, admin, connection, monitor, manager };
}

/** Waits until no check runs on any of the monitors. */
async function settle(...running: HealthMonitor[]): Promise<void> {
  await expect
    .poll(() => running.every((monitor) => monitor.stats().running === 0), { timeout: 15_000, interval: 2 })
    .toBe(true);
}

/** Advances to each next due timer and lets the checks finish, until `done` or `limit` steps. */
async function runUntil(
  clock: ReturnType<typeof manualClock>,
  running: HealthMonitor[],
  done: () => boolean,
  limit = 200,
): Promise<void> {
  for (let step = 0; step < limit && !done(); step++) {
    const due = clock.nextDue();
    if (due === undefined) throw new Error("no timer pending");
    clock.advance(due - clock.now());
    await settle(...running);
  }
}

/** The times at which `key` was tested, recorded as the checks happen. */
function testTimes(w: ReturnType<typeof world>, key: string): number[] {
  const times: number[] = [];
  const original = w.probe.tested.push.bind(w.probe.tested);
  w.probe.tested.push = (...items: string[]) => {
    for (const item of items) if (item === key) times.push(w.clock.now());
    return original(...items);
  };
  return times;
}

describe("health monitor", () => {
  it("spreads the first check over the first interval, then checks every interval within the jitter", async () => {
    const w = world();
    const { apiKey } = await w.connection();
    const times = testTimes(w, apiKey);
    const start = w.clock.now();
    const monitor = w.monitor({ jitter: 0.2, random: Math.random });
    await monitor.start();
    await runUntil(w.clock, [monitor], () => times.length >= 12);
    expect(times.length).toBe(12);
    expect((times[0] as number) - start).toBeGreaterThanOrEqual(0);
    expect((times[0] as number) - start).toBeLessThan(10 * MINUTE);
    const gaps = times.slice(1).map((time, index) => time - (times[index] as number));
    for (const gap of gaps) {
      expect(gap).toBeGreaterThanOrEqual(8 * MINUTE);
      expect(gap).toBeLessThanOrEqual(12 * MINUTE);
    }
    expect(new Set(gaps).size).toBeGreaterThan(1);
  });

  it("uses the injected random for the exact jitter: factor 1 − jitter at 0, 1 + jitter near 1", async () => {
    const w = world();
    const { apiKey } = await w.connection();
    const times = testTimes(w, apiKey);
    const draws = [0.5, 0, 0.999999, 0];
    let next = 0;
    const monitor = w.monitor({ jitter: 0.25, random: () => draws[next++ % draws.length] as number });
    const start = w.clock.now();
    await monitor.start();
    await runUntil(w.clock, [monitor], () => times.length >= 4);
    expect(times[0]! - start).toBe(5 * MINUTE); // first check: 0.5 of the interval
    expect(times[1]! - times[0]!).toBe(7.5 * MINUTE); // 10 min × 0.75
    expect(times[2]! - times[1]!).toBe(Math.round(10 * MINUTE * (1 + 0.25 * (2 * 0.999999 - 1))));
    expect(times[3]! - times[2]!).toBe(5 * MINUTE * 1.5); // first check's draw again: 0.5 → factor 1
  });

  it("backs off after failures, moves the connection to error once, and recovers with a recovered event", async () => {
    const w = world();
    const { id, apiKey } = await w.connection();
    const times = testTimes(w, apiKey);
    const monitor = w.monitor({ random: () => 0 });
    await monitor.start();
    await runUntil(w.clock, [monitor], () => times.length >= 1);
    w.probe.failing.add(apiKey);
    await runUntil(w.clock, [monitor], () => times.length >= 7);
    expect((await w.admin.get(id)).status).toBe("error");
    w.probe.failing.delete(apiKey);
    await runUntil(w.clock, [monitor], () => times.length >= 9);
    const gaps = times.slice(1).map((time, index) => (time - (times[index] as number)) / MINUTE);
    // ok, then six failures: 1, 2, 4, 8 (capped), 8 min after each; the success; the interval again.
    expect(gaps).toEqual([10, 1, 2, 4, 8, 8, 8, 10]);
    expect((await w.admin.get(id)).status).toBe("active");
    const kinds = w.seen.map(
      (event) => `${event.type}:${"from" in event ? event.from : ""}>${"to" in event ? event.to : ""}`,
    );
    expect(kinds).toEqual([
      "connection.status_changed:active>error",
      "connection.status_changed:error>active",
      "connection.recovered:error>active",
    ]);
    expect(monitor.stats()).toMatchObject({ checks: 9, failed: 6 });
    expectNowhere(apiKey, w.seen);
  });

  it("runs at most `concurrency` checks at once", async () => {
    const w = world();
    for (let index = 0; index < 6; index++) await w.connection();
    const monitor = w.monitor({ concurrency: 2, random: () => 0 });
    const release = w.probe.hold();
    await monitor.start();
    w.clock.advance(0);
    await expect.poll(() => monitor.stats().running).toBe(2);
    expect(monitor.stats().queued).toBe(4);
    release();
    await expect.poll(() => monitor.stats().checks).toBe(6);
    await settle(monitor);
    expect(w.probe.maxActive()).toBe(2);
  });

  it("limits checks per provider with a token bucket; other providers are not held back", async () => {
    const w = world();
    const slow: string[] = [];
    for (let index = 0; index < 3; index++) slow.push((await w.connection("probe")).apiKey);
    const fast: string[] = [];
    for (let index = 0; index < 3; index++) fast.push((await w.connection("probe-b")).apiKey);
    const before = w.probe.tested.length;
    const monitor = w.monitor({ random: () => 0, rateLimit: { probe: { tests: 1, perMs: MINUTE } } });
    await monitor.start();
    w.clock.advance(0);
    await settle(monitor);
    const first = w.probe.tested.slice(before);
    expect(first.filter((key) => fast.includes(key))).toHaveLength(3);
    expect(first.filter((key) => slow.includes(key))).toHaveLength(1);
    w.clock.advance(MINUTE - 1);
    await settle(monitor);
    expect(w.probe.tested.length - before).toBe(4);
    w.clock.advance(1);
    await settle(monitor);
    expect(w.probe.tested.length - before).toBe(5);
    w.clock.advance(MINUTE);
    await settle(monitor);
    expect(w.probe.tested.length - before).toBe(6);
  });

  it('a rate limit under "*" applies to every provider not named, each with its own bucket', async () => {
    const w = world();
    for (const connector of ["probe", "probe", "probe-b", "probe-b"]) await w.connection(connector);
    const before = w.probe.tested.length;
    const monitor = w.monitor({ random: () => 0, rateLimit: { "*": { tests: 1, perMs: MINUTE } } });
    await monitor.start();
    w.clock.advance(0);
    await settle(monitor);
    expect(w.probe.tested.length - before).toBe(2);
    expect(monitor.stats().queued).toBe(2);
    w.clock.advance(MINUTE);
    await settle(monitor);
    expect(w.probe.tested.length - before).toBe(4);
  });

  it("two replicas on one store never test a connection at once, and test it once per interval", async () => {
    const w = world();
    const keys: string[] = [];
    for (let index = 0; index < 3; index++) keys.push((await w.connection()).apiKey);
    const before = w.probe.tested.length;
    // why: the same draws make both replicas' timers fire at the same instants: the worst case.
    const a = w.monitor({ replicaId: "a", random: () => 0.3 });
    const b = w.monitor({ replicaId: "b", random: () => 0.3 });
    await a.start();
    await b.start();
    const end = w.clock.now() + 10 * 10 * MINUTE;
    while (w.clock.now() < end) {
      w.clock.advance(Math.min((w.clock.nextDue() as number) - w.clock.now(), end - w.clock.now()));
      await settle(a, b);
    }
    for (const key of keys) expect(w.probe.maxInFlight.get(key)).toBe(1);
    const tested = w.probe.tested.slice(before);
    for (const key of keys) {
      const count = tested.filter((item) => item === key).length;
      expect(count).toBeGreaterThanOrEqual(9);
      expect(count).toBeLessThanOrEqual(11);
    }
    expect(a.stats().checks + b.stats().checks).toBe(tested.length);
    expect(a.stats().deferred + b.stats().deferred).toBeGreaterThan(0);
  });

  it("a replica that died holding a lease blocks the connection only until the lease runs out", async () => {
    const w = world();
    const { id, apiKey } = await w.connection();
    const times = testTimes(w, apiKey);
    const leases = credentialStoreLeases(w.manager());
    const start = w.clock.now();
    const dead = await leases.claim(w.tenantId, id, "dead-replica", start, 5 * MINUTE);
    expect(dead.claimed).toBe(true);
    const monitor = w.monitor({ random: () => 0, leaseMs: 5 * MINUTE });
    await monitor.start();
    await runUntil(w.clock, [monitor], () => times.length >= 1);
    expect(times[0]! - start).toBeGreaterThanOrEqual(5 * MINUTE);
    expect(monitor.stats().deferred).toBeGreaterThan(0);
  });

  it("forgets a deleted or disabled connection, picks up a new one at the next scan, and stops cleanly", async () => {
    const w = world();
    const one = await w.connection();
    const two = await w.connection();
    const monitor = w.monitor({ random: () => 0.5, scanIntervalMs: MINUTE });
    await monitor.start();
    expect(monitor.stats().watched).toBe(2);
    await w.admin.delete(one.id);
    await w.admin.disable(two.id);
    const three = await w.connection();
    w.clock.advance(MINUTE);
    await expect.poll(() => monitor.stats().watched).toBe(1);
    const times = testTimes(w, three.apiKey);
    await runUntil(w.clock, [monitor], () => times.length >= 1);
    expect(times).toHaveLength(1);
    await monitor.stop();
    expect(w.clock.pending()).toBe(0);
    expect(monitor.stats()).toMatchObject({ watched: 0, running: 0 });
  });

  it("refuses bad options with a ConfigurationError naming them", () => {
    const w = world();
    expect(() => w.monitor({ intervalMs: 0 })).toThrow(/intervalMs must be a positive number/);
    expect(() => w.monitor({ jitter: 2 })).toThrow(/jitter must be a fraction/);
    expect(() => w.monitor({ rateLimit: { tests: -1, perMs: 10 } })).toThrow(/rateLimit.tests/);
  });
});
