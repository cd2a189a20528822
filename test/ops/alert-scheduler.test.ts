/**
 * Alerts on a schedule, with an injected clock: the first check at start, the next after the
 * jittered interval; a finding published once until it changes or clears; two replicas sharing
 * one store publish it once between them; stop leaves no timer; no value in any event.
 */
import { afterEach, describe, expect, it } from "vitest";
import { memoryBackend } from "../../src/backends/memory/index.js";
import { CredentialManager } from "../../src/core/credential-manager.js";
import {
  type AlertScheduler,
  type AlertSchedulerOptions,
  createAlertScheduler,
} from "../../src/ops/alert-scheduler.js";
import { type CredkitEvent, createEventStream } from "../../src/ops/events.js";
import { manualClock } from "../../src/testing/clock.js";
import { assertNoLeak, canary, keyring, uniqueId } from "../support/fixtures.js";

const DAY = 86_400_000;
const schedulers: AlertScheduler[] = [];
afterEach(async () => {
  for (const scheduler of schedulers.splice(0)) await scheduler.stop();
});

async function world() {
  const backend = memoryBackend({ env: {} });
  const clock = manualClock(Date.now());
  const tenantId = uniqueId("tenant");
  const manager = () => new CredentialManager({ backend, encryption: keyring(), cache: false });
  const credentials = manager();
  const value = canary();
  await credentials.storeCredentials(
    "key",
    tenantId,
    { apiKey: value },
    { expiresAt: new Date(clock.now() + 10 * DAY) },
  );
  const events = createEventStream({ now: clock.now });
  const seen: CredkitEvent[] = [];
  events.on("*", (event) => void seen.push(event));
  const scheduler = (options: Partial<AlertSchedulerOptions> = {}) => {
    const created = createAlertScheduler({
      credentials: manager(),
      tenants: [tenantId],
      events,
      clock,
      keyCheck: false,
      expiringWithinDays: 14,
      intervalMs: DAY,
      jitter: 0,
      ...options,
    });
    schedulers.push(created);
    return created;
  };
  /** Moves the clock one interval on and waits for the run it starts. */
  const nextRun = async (...running: AlertScheduler[]) => {
    const runs = running.map((each) => each.stats().runs);
    clock.advance(DAY);
    await expect
      .poll(() => running.every((each, index) => each.stats().runs > (runs[index] as number)))
      .toBe(true);
  };
  const messages = () => seen.map((event) => ("message" in event ? event.message : event.type));
  return { clock, tenantId, credentials, value, seen, scheduler, nextRun, messages };
}

describe("alert scheduler", () => {
  it("publishes a finding once, again when it changes (new expiry, now expired) or comes back after clearing", async () => {
    const w = await world();
    const scheduler = w.scheduler();
    await scheduler.start();
    expect(w.messages()).toEqual(["expires in 10 days"]);
    await w.nextRun(scheduler);
    await w.nextRun(scheduler);
    expect(w.messages()).toHaveLength(1); // unchanged: not sent every run
    expect(scheduler.stats()).toMatchObject({ runs: 3, checks: 3, published: 1, repeated: 2 });

    await w.credentials.updateCredentials(
      "key",
      w.tenantId,
      { apiKey: `${w.value}-2` },
      { expiresAt: new Date(w.clock.now() + 5 * DAY) },
    );
    await w.nextRun(scheduler);
    expect(w.messages().at(-1)).toBe("expires in 4 days"); // another version and expiry: sent again
    for (let day = 0; day < 4; day++) await w.nextRun(scheduler);
    expect(w.messages().slice(1)).toEqual(["expires in 4 days", "expired 0 days ago"]);

    await w.credentials.updateCredentials(
      "key",
      w.tenantId,
      { apiKey: `${w.value}-3` },
      { expiresAt: new Date(w.clock.now() + 100 * DAY) },
    );
    await w.nextRun(scheduler);
    expect(w.seen).toHaveLength(3); // cleared: nothing to send
    await w.credentials.updateCredentials(
      "key",
      w.tenantId,
      { apiKey: `${w.value}-4` },
      { expiresAt: new Date(w.clock.now() + 3 * DAY) },
    );
    await w.nextRun(scheduler);
    expect(w.messages().at(-1)).toBe("expires in 2 days"); // came back: sent again
    assertNoLeak(w.seen, w.value);
  });

  it("two replicas over one store check a tenant once per interval and publish a finding once between them", async () => {
    const w = await world();
    const [a, b] = [w.scheduler({ replicaId: "a" }), w.scheduler({ replicaId: "b" })];
    await Promise.all([a.start(), b.start()]);
    for (let run = 0; run < 3; run++) await w.nextRun(a, b);
    expect(w.seen).toHaveLength(1);
    const [statsA, statsB] = [a.stats(), b.stats()];
    expect(statsA.checks + statsB.checks).toBe(4); // once per interval for the fleet
    expect(statsA.deferred + statsB.deferred).toBe(4);
    expect(statsA.published + statsB.published).toBe(1);
  });

  it("runs after the interval jittered within bounds; stop leaves no timer", async () => {
    for (const [random, factor] of [
      [0, 0.8],
      [0.999_999, 1.2],
    ] as const) {
      const w = await world();
      const scheduler = w.scheduler({ jitter: 0.2, random: () => random });
      const started = w.clock.now();
      await scheduler.start();
      expect(((w.clock.nextDue() as number) - started) / DAY).toBeCloseTo(factor, 4);
      await scheduler.stop();
      expect(w.clock.pending()).toBe(0);
    }
  });
});
