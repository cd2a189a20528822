/**
 * The shared error ladder and the record guard, on their own: each rung, the overrides, the
 * scrubbed cause, and every metadata field the guard checks.
 */
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import type { RecordMetadata } from "../../src/core/backend.js";
import {
  AuthError,
  ConfigurationError,
  ConflictError,
  CredkitError,
  IntegrityError,
  NotFoundError,
  ThrottledError,
  UnavailableError,
  ValidationError,
} from "../../src/core/errors.js";
import { withRetry } from "../../src/core/retry.js";
import { errorLadder, isNetworkError, parseRetryAfter } from "../../src/kit/error-ladder.js";
import { guardMetadata, guardVersion, isRecordMetadata } from "../../src/kit/record-guard.js";
import { assertNoLeak, canary } from "../support/fixtures.js";

const withStatus = (status: number, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(`HTTP ${status}`), { status, ...extra });

const ladder = errorLadder({
  source: "test-store",
  service: "Test Store",
  status: (error) => (error as { status?: number }).status,
  retryAfterMs: (error) => (error as { retryAfter?: number }).retryAfter,
  override: (error, { options }) =>
    (error as { special?: boolean }).special ? new ConfigurationError("special", {}, options) : undefined,
  authHint: "Grant the role.",
});

describe("error ladder", () => {
  it("puts each status on its rung", () => {
    const cases: Array<[number, (error: unknown) => boolean]> = [
      [401, AuthError.isInstance],
      [403, AuthError.isInstance],
      [404, NotFoundError.isInstance],
      [409, ConflictError.isInstance],
      [412, ConflictError.isInstance],
      [429, ThrottledError.isInstance],
      [408, UnavailableError.isInstance],
      [500, UnavailableError.isInstance],
      [503, UnavailableError.isInstance],
      [400, ValidationError.isInstance],
      [422, ValidationError.isInstance],
    ];
    for (const [status, check] of cases) {
      const mapped = ladder(withStatus(status), "read credential");
      expect([status, check(mapped), mapped.source]).toEqual([status, true, "test-store"]);
    }
    expect(ladder(withStatus(403), "read").message).toContain("Grant the role.");
  });

  it("connection errors, by code, name or cause, are UnavailableError", () => {
    for (const error of [
      Object.assign(new Error("refused"), { code: "ECONNREFUSED" }),
      Object.assign(new Error("timed out"), { name: "TimeoutError" }),
      new Error("fetch failed", { cause: Object.assign(new Error("reset"), { code: "UND_ERR_SOCKET" }) }),
    ]) {
      expect(isNetworkError(error)).toBe(true);
      expect(UnavailableError.isInstance(ladder(error, "list"))).toBe(true);
    }
    expect(isNetworkError(new Error("something else"))).toBe(false);
  });

  it("429 carries the retryAfterMs the service asked for", () => {
    const throttled = ladder(withStatus(429, { retryAfter: 1500 }), "write");
    expect(ThrottledError.isInstance(throttled)).toBe(true);
    expect(throttled.retryAfterMs).toBe(1500);
    expect(parseRetryAfter("2")).toBe(2000);
    expect(parseRetryAfter("250", 1)).toBe(250);
    expect(parseRetryAfter("soon")).toBeUndefined();
  });

  it("overrides run first; credkit errors pass through unchanged", () => {
    expect(ConfigurationError.isInstance(ladder(withStatus(404, { special: true }), "read"))).toBe(true);
    const own = new IntegrityError("tampered");
    expect(ladder(own, "read")).toBe(own);
  });

  it("keeps the original as a cause scrubbed of the store's own secrets", () => {
    const token = canary("store-token");
    const mapped = ladder(withStatus(500, { message: `failed with token ${token}` }), "read", [token]);
    expect(CredkitError.isInstance(mapped)).toBe(true);
    expect(mapped.cause).toBeInstanceOf(Error);
    assertNoLeak(mapped, token);
    expect(inspect(mapped, { depth: Number.POSITIVE_INFINITY })).toContain("[REDACTED]");
  });

  it("withRetry retries transient failures only while the retryable hook allows, reporting each retry", async () => {
    let calls = 0;
    const retried: number[] = [];
    const failure = await withRetry(
      async () => {
        calls++;
        throw withStatus(503, { attempt: calls });
      },
      (error) => ladder(error, "read"),
      { attempts: 5, baseDelayMs: 0, maxDelayMs: 0 },
      {
        retryable: (error) => (error as { attempt: number }).attempt < 3,
        onRetry: (_, attempt) => retried.push(attempt),
      },
    ).catch((error: unknown) => error);
    expect(UnavailableError.isInstance(failure)).toBe(true);
    expect(calls).toBe(3);
    expect(retried).toEqual([0, 1]);
  });
});

const metadata: RecordMetadata = {
  tenant: "t",
  name: "n",
  type: "api_key",
  fingerprints: { apiKey: "0123abcd" },
  masked: { apiKey: "sk-***wxyz" },
  keyId: "k1",
  createdAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-02T00:00:00.000Z",
  createdBy: "ops",
  expiresAt: "2027-01-01T00:00:00.000Z",
};

describe("record guard", () => {
  it("accepts well-formed metadata, with or without the optional fields, and returns it unchanged", () => {
    expect(guardMetadata(metadata, "s", "a record")).toBe(metadata);
    const { masked: _m, createdBy: _c, expiresAt: _e, ...required } = metadata;
    expect(isRecordMetadata({ ...required, keyId: null })).toBe(true);
    expect(isRecordMetadata({ ...metadata, futureField: 1 })).toBe(true);
  });

  it("rejects each malformed field with an IntegrityError naming it", () => {
    const broken: Array<[keyof RecordMetadata | "metadata", unknown]> = [
      ["tenant", { ...metadata, tenant: 1 }],
      ["name", { ...metadata, name: undefined }],
      ["type", { ...metadata, type: "" }],
      ["fingerprints", { ...metadata, fingerprints: { apiKey: 1 } }],
      ["fingerprints", { ...metadata, fingerprints: ["x"] }],
      ["masked", { ...metadata, masked: "***" }],
      ["masked", { ...metadata, masked: { apiKey: null } }],
      ["keyId", { ...metadata, keyId: 7 }],
      ["createdAt", { ...metadata, createdAt: "yesterday" }],
      ["updatedAt", { ...metadata, updatedAt: undefined }],
      ["createdBy", { ...metadata, createdBy: 5 }],
      ["expiresAt", { ...metadata, expiresAt: "never" }],
      ["metadata", null],
      ["metadata", "{}"],
    ];
    for (const [field, value] of broken) {
      const error = (() => {
        try {
          guardMetadata(value, "s", "A stored record");
        } catch (thrown) {
          return thrown;
        }
        return undefined;
      })();
      expect([field, IntegrityError.isInstance(error)]).toEqual([field, true]);
      expect((error as Error).message).toContain(`\`${field}\``);
    }
  });

  it("a stored version number is a positive safe integer", () => {
    expect(guardVersion(3, "s", "x")).toBe(3);
    for (const bad of [0, -1, 1.5, "2", Number.NaN, 2 ** 60]) {
      expect(() => guardVersion(bad, "s", "x")).toThrow(IntegrityError);
    }
  });
});
