/**
 * The webhook sink against a receiver on 127.0.0.1: every delivery carries a valid Standard
 * Webhooks signature (checked by `verifyWebhook` and again by hand with node:crypto), a failing
 * receiver gets retries with the same webhook-id, the queue is bounded with the oldest dropped,
 * and no canary reaches a body or the delivery log.
 */
import { createHmac } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { memoryBackend } from "../../src/backends/memory/index.js";
import { ConnectorService } from "../../src/connectors/service.js";
import { CredentialManager } from "../../src/core/credential-manager.js";
import { type CredkitEvent, createEventStream } from "../../src/ops/events.js";
import { auditEvents, statusEvents } from "../../src/ops/events-publishers.js";
import { createWebhookSink, type WebhookSinkOptions } from "../../src/ops/webhooks.js";
import { generateWebhookSecret, verifyWebhook } from "../../src/ops/webhooks-signing.js";
import { expectNowhere } from "../connectors/service-support.js";
import { canary, keyring, rejection, uniqueId } from "../support/fixtures.js";
import { type Answer, startReceiver } from "./receiver.js";
import { probeRegistry } from "./support.js";

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function harness(script?: (index: number) => Answer, options: Partial<WebhookSinkOptions> = {}) {
  const secret = generateWebhookSecret();
  const receiver = await startReceiver(secret, script);
  const sink = createWebhookSink({
    url: receiver.url,
    secret,
    egress: { allowRanges: ["127.0.0.1"] },
    retryBaseMs: 5,
    retryMaxMs: 40,
    ...options,
  });
  closers.push(receiver.close, () => sink.close());
  return { secret, receiver, sink };
}

function statusEvent(connectionId: string): CredkitEvent {
  return createEventStream().emit({
    type: "connection.status_changed",
    tenantId: "t1",
    connectionId,
    from: "active",
    to: "error",
    reason: "validation_failed",
  });
}

/** The signature computed by hand from the spec: v1,base64(HMAC-SHA256(key, "id.timestamp.body")). */
function expectedSignature(secret: string, id: string, timestamp: string, body: string): string {
  const key = Buffer.from(secret.slice("whsec_".length), "base64");
  return `v1,${createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64")}`;
}

describe("webhook sink", () => {
  it("delivers the manager's and the service's events, each signed and verified, with no canary", async () => {
    const { secret, receiver, sink } = await harness();
    const events = createEventStream();
    sink.subscribe(events);
    const credentials = new CredentialManager({
      backend: memoryBackend({ env: {} }),
      encryption: keyring(),
      audit: { sinks: [auditEvents(events)] },
    });
    const tenantId = uniqueId("tenant");
    const probe = probeRegistry();
    const service = new ConnectorService({
      credentials,
      tenantId,
      registry: probe.registry,
      onStatusChange: statusEvents(events),
    });
    const value = canary();
    await credentials.storeCredentials("openai", tenantId, { apiKey: value });
    const created = await service.create({
      connector: "probe",
      instanceName: "P",
      configuration: { apiKey: value },
    });
    probe.failing.add(value);
    await service.testConnectorConnection(created.id);
    probe.failing.delete(value);
    await service.testConnectorConnection(created.id, { background: true });
    await sink.idle();

    const types = receiver.received.map((request) => (JSON.parse(request.body) as { type: string }).type);
    expect(types).toContain("credential.stored");
    expect(types).toContain("connection.recovered");
    expect(receiver.received).toHaveLength(6);
    for (const request of receiver.received) {
      expect(request.verified).toBe(true);
      const {
        "webhook-id": id,
        "webhook-timestamp": timestamp,
        "webhook-signature": signature,
      } = request.headers as Record<string, string>;
      expect(signature).toBe(expectedSignature(secret, String(id), String(timestamp), request.body));
      const payload = JSON.parse(request.body) as { type: string; timestamp: string; data: CredkitEvent };
      expect(payload.data.id).toBe(id);
      expect(payload.timestamp).toBe(payload.data.time);
      expect(request.headers["content-type"]).toBe("application/json");
    }
    expect(sink.stats()).toMatchObject({
      delivered: receiver.received.length,
      failed: 0,
      dropped: 0,
      queued: 0,
    });
    expect(sink.deliveries().every((entry) => entry.outcome === "delivered" && entry.status === 204)).toBe(
      true,
    );
    expectNowhere(
      value,
      receiver.received.map((request) => request.body),
      sink.deliveries(),
    );
  });

  it("retries a failing receiver with backoff, keeping the webhook-id, until it answers 2xx", async () => {
    const answers: Answer[] = [
      { status: 503 },
      { status: 429, headers: { "retry-after": "0" } },
      { status: 500 },
    ];
    const { receiver, sink } = await harness((index) => answers[index] ?? { status: 200 });
    const event = statusEvent("c1");
    sink.send(event);
    await sink.idle();
    expect(receiver.received).toHaveLength(4);
    expect(new Set(receiver.received.map((request) => request.headers["webhook-id"]))).toEqual(
      new Set([event.id]),
    );
    expect(receiver.received.every((request) => request.verified)).toBe(true);
    expect(sink.deliveries().map((entry) => [entry.attempt, entry.outcome, entry.status])).toEqual([
      [1, "retrying", 503],
      [2, "retrying", 429],
      [3, "retrying", 500],
      [4, "delivered", 200],
    ]);
    const retrying = sink.deliveries().filter((entry) => entry.outcome === "retrying");
    for (const entry of retrying)
      expect(Date.parse(entry.nextAttemptAt as string)).toBeGreaterThanOrEqual(Date.parse(entry.at));
  });

  it("gives up after maxAttempts and logs the failure; a network failure is retried too", async () => {
    const { receiver, sink } = await harness(() => ({ status: 500 }), { maxAttempts: 3 });
    sink.send(statusEvent("c1"));
    await sink.idle();
    expect(receiver.received).toHaveLength(3);
    expect(sink.deliveries().map((entry) => entry.outcome)).toEqual(["retrying", "retrying", "failed"]);
    expect(sink.stats()).toMatchObject({ failed: 1, delivered: 0 });

    const closed = await harness();
    await closed.receiver.close();
    const unreachable = createWebhookSink({
      url: closed.receiver.url,
      secret: closed.secret,
      egress: false,
      retryBaseMs: 5,
      maxAttempts: 2,
    });
    unreachable.send(statusEvent("c2"));
    await unreachable.idle();
    expect(unreachable.deliveries().map((entry) => [entry.outcome, entry.error])).toEqual([
      ["retrying", "ECONNREFUSED"],
      ["failed", "ECONNREFUSED"],
    ]);
  });

  it("a full queue drops the oldest waiting event and logs it; the newest are delivered", async () => {
    const { receiver, sink } = await harness((index) => (index === 0 ? "hold" : { status: 204 }), {
      maxQueue: 2,
      concurrency: 1,
    });
    const sent = ["c1", "c2", "c3", "c4", "c5"].map(statusEvent);
    sink.send(sent[0] as CredkitEvent);
    await expect.poll(() => receiver.held()).toBe(1);
    for (const event of sent.slice(1)) sink.send(event);
    expect(sink.stats()).toMatchObject({ queued: 2, inFlight: 1, dropped: 2 });
    receiver.release();
    await sink.idle();
    const delivered = receiver.received.map((request) => request.headers["webhook-id"]);
    expect(delivered).toEqual([sent[0]?.id, sent[3]?.id, sent[4]?.id]);
    const dropped = sink.deliveries().filter((entry) => entry.outcome === "dropped");
    expect(dropped.map((entry) => [entry.eventId, entry.error])).toEqual([
      [sent[1]?.id, "queue_full"],
      [sent[2]?.id, "queue_full"],
    ]);
  });

  it("refuses a loopback receiver unless the egress guard allows it, and filters by type", async () => {
    const { receiver, secret } = await harness();
    const guarded = createWebhookSink({ url: receiver.url, secret, maxAttempts: 1 });
    closers.push(() => guarded.close());
    guarded.send(statusEvent("c1"));
    await guarded.idle();
    expect(guarded.deliveries()[0]).toMatchObject({ outcome: "failed", error: "egress_blocked" });
    expect(receiver.received).toHaveLength(0);

    const filtered = createWebhookSink({
      url: receiver.url,
      secret,
      egress: { allowRanges: ["127.0.0.1"] },
      types: ["connection.recovered"],
    });
    closers.push(() => filtered.close());
    filtered.send(statusEvent("c1"));
    await filtered.idle();
    expect(receiver.received).toHaveLength(0);
  });

  it("verifyWebhook refuses a tampered body, a wrong secret, a stale timestamp and missing headers", async () => {
    const { receiver, secret, sink } = await harness();
    sink.send(statusEvent("c1"));
    await sink.idle();
    const [request] = receiver.received;
    const { body, headers } = request as { body: string; headers: Record<string, string> };
    await expect(verifyWebhook(body, headers, secret)).resolves.toMatchObject({
      type: "connection.status_changed",
    });
    const failures = [
      verifyWebhook(body.replace("c1", "c9"), headers, secret),
      verifyWebhook(body, headers, generateWebhookSecret()),
      verifyWebhook(
        body,
        { ...headers, "webhook-timestamp": String(Math.floor(Date.now() / 1000) - 3600) },
        secret,
      ),
      verifyWebhook(body, { "webhook-id": headers["webhook-id"] as string }, secret),
    ];
    for (const failure of failures) {
      const error = (await rejection(failure)) as { code: string; message: string };
      expect(error.code).toBe("auth");
      expect(error.message).toContain("Webhook verification failed");
    }
    const fetchHeaders = new Headers(headers);
    await expect(verifyWebhook(Buffer.from(body), fetchHeaders, secret)).resolves.toBeDefined();
  });

  it("refuses a malformed secret or a URL with credentials, naming neither value", () => {
    const bad = "whsec_c2hvcnQ=";
    expect(() => createWebhookSink({ url: "https://example.com/h", secret: bad })).toThrow(
      /webhook secret must be/,
    );
    try {
      createWebhookSink({ url: "https://example.com/h", secret: bad });
    } catch (error) {
      expectNowhere("c2hvcnQ", error);
    }
    expect(() =>
      createWebhookSink({ url: "https://user:pw-canary@example.com/h", secret: generateWebhookSecret() }),
    ).toThrow(/user name or password/);
    expect(() => createWebhookSink({ url: "ftp://example.com/h", secret: generateWebhookSecret() })).toThrow(
      /http: or https:/,
    );
  });

  it("close drops what still waits for a retry and logs it", async () => {
    const { sink } = await harness(() => ({ status: 503 }), { retryBaseMs: 60_000, retryMaxMs: 60_000 });
    sink.send(statusEvent("c1"));
    await expect.poll(() => sink.stats().queued === 1 && sink.stats().inFlight === 0).toBe(true);
    await sink.close();
    expect(sink.deliveries().map((entry) => [entry.outcome, entry.error])).toEqual([
      ["retrying", "HTTP 503"],
      ["dropped", "closed"],
    ]);
    sink.send(statusEvent("c2"));
    expect(sink.stats()).toMatchObject({ queued: 0, dropped: 1 });
  });
});
