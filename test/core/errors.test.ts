import { describe, expect, it } from "vitest";
import {
  AuthError,
  ConflictError,
  CredkitError,
  DeletedError,
  isTransientError,
  NotFoundError,
  ThrottledError,
  UnavailableError,
} from "../../src/core/errors.js";
import { Redactor, ScrubbedError, scrubError } from "../../src/core/redact.js";
import { assertNoLeak, canary } from "../support/fixtures.js";

describe("errors", () => {
  it("have stable codes and a cross-copy-safe isInstance", () => {
    const error = new DeletedError("gone", "scheduled_for_deletion");
    expect(error.code).toBe("deleted");
    expect(error.state).toBe("scheduled_for_deletion");
    expect(error.name).toBe("DeletedError");
    expect(NotFoundError.isInstance(error)).toBe(true);
    expect(DeletedError.isInstance(new NotFoundError("x"))).toBe(false);
    // An error made by another copy of credkit: same marker, different class.
    const foreign = Object.assign(new Error("x"), { code: "conflict" });
    Object.defineProperty(foreign, Symbol.for("credkit.error"), { value: true });
    expect(ConflictError.isInstance(foreign)).toBe(true);
    expect(CredkitError.isInstance(new Error("plain"))).toBe(false);
  });

  it("marks throttling and unavailability as transient only", () => {
    expect(isTransientError(new ThrottledError("slow down"))).toBe(true);
    expect(isTransientError(new UnavailableError("down"))).toBe(true);
    expect(isTransientError(new AuthError("no"))).toBe(false);
    expect(isTransientError(new Error("plain"))).toBe(false);
  });
});

describe("scrubbing", () => {
  it("rebuilds SDK errors without secrets: values, encodings, headers, query keys, cause chain", () => {
    const key = canary();
    const sdkError = Object.assign(new Error(`Request failed for https://api.example/v1?key=${key}`), {
      name: "ApiError",
      status: 401,
      config: { headers: { Authorization: `Bearer ${key}` } },
      request: { body: JSON.stringify({ apiKey: key }) },
      cause: new Error(
        `inner: x-api-key: ${key} and ${Buffer.from(key).toString("base64")} and ${encodeURIComponent(key)}`,
      ),
    });
    const scrubbed = scrubError(sdkError, [key]);
    expect(scrubbed).toBeInstanceOf(ScrubbedError);
    expect((scrubbed as ScrubbedError).status).toBe(401);
    expect(scrubbed.message).toContain("[REDACTED]");
    assertNoLeak(scrubbed, key);
    assertNoLeak(scrubbed, Buffer.from(key).toString("base64"));
    expect(scrubbed.cause).toBeInstanceOf(ScrubbedError);
  });

  it("removes credential-looking patterns even for unknown values", () => {
    const redactor = new Redactor();
    expect(redactor.redact("Authorization: Bearer abcdef123456")).not.toContain("abcdef123456");
    expect(redactor.redact("GET /v1/models?key=AIzaSyUNKNOWN123&alt=json")).not.toContain("AIzaSyUNKNOWN123");
    expect(redactor.redact('{"api_key":"sk-proj-unknownvalue"}')).not.toContain("unknownvalue");
    expect(redactor.redact("plain words stay")).toBe("plain words stay");
  });

  it("keeps credkit errors' messages and wraps non-errors", () => {
    expect(scrubError("oops secret-value-123", ["secret-value-123"]).message).toBe("oops [REDACTED]");
    const circular: Record<string, unknown> = { message: "loop" };
    circular.cause = circular;
    expect(() => scrubError(circular)).not.toThrow();
  });
});
