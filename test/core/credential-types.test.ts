import { describe, expect, it } from "vitest";
import {
  CREDENTIAL_TYPES,
  describeCredentialType,
  validateCredential,
} from "../../src/core/credential-types.js";
import { ValidationError } from "../../src/core/errors.js";
import { Secret } from "../../src/core/secret.js";
import { assertNoLeak, canary } from "../support/fixtures.js";

function failure(type: string, input: unknown): ValidationError {
  try {
    validateCredential(type, input);
  } catch (error) {
    if (ValidationError.isInstance(error)) return error;
    throw error;
  }
  throw new Error("expected a ValidationError");
}

const serviceAccount = JSON.stringify({
  type: "service_account",
  project_id: "p",
  private_key: "-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n",
  client_email: "svc@p.iam.gserviceaccount.com",
});

describe("credential types", () => {
  it("accepts a valid credential of every type", () => {
    const valid: Record<(typeof CREDENTIAL_TYPES)[number], Record<string, string | Secret>> = {
      api_key: { apiKey: new Secret("sk-valid-key-123") },
      bearer_token: { token: "tok-123" },
      http_basic: { username: "u", password: "p" },
      ssh: { username: "u", privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----" },
      db_dsn: { dsn: "postgres://u:p@host/db" },
      service_account: { json: serviceAccount },
      oauth: { accessToken: "at", refreshToken: "rt", expiresAt: "2030-01-01T00:00:00Z" },
      custom: { anything: "goes" },
    };
    for (const type of CREDENTIAL_TYPES) {
      const fields = validateCredential(type, valid[type]);
      expect(Object.keys(fields).length).toBeGreaterThan(0);
      expect(Object.getPrototypeOf(fields)).toBeNull();
    }
    expect(validateCredential("api_key", valid.api_key).apiKey).toBe("sk-valid-key-123");
  });

  it("names the field and never echoes the value", () => {
    const value = canary();
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ["api_key", { apiKey: "" }, "apiKey"],
      ["http_basic", { username: "u" }, "password"],
      ["http_basic", { username: "u", password: "p", extra: value }, "#3"],
      ["http_basic", { username: "u", password: "p", [value]: "x" }, "#3"],
      ["ssh", { username: "u" }, "password"],
      ["db_dsn", { dsn: value }, "dsn"],
      ["service_account", { json: value }, "json"],
      ["service_account", { json: JSON.stringify({ type: "service_account", private_key: value }) }, "json"],
      ["oauth", { accessToken: "a", expiresAt: value }, "expiresAt"],
      ["custom", { field: 42 }, "#1"],
    ];
    for (const [type, input, field] of cases) {
      const error = failure(type, input);
      expect(error.field).toBe(field);
      expect(error.code).toBe("validation");
      assertNoLeak(error, value);
    }
  });

  it("lists the missing service-account fields", () => {
    const error = failure("service_account", { json: JSON.stringify({ type: "service_account" }) });
    expect(error.message).toContain("project_id, private_key, client_email");
  });

  it("rejects prototype-polluting keys, unknown types and non-objects", () => {
    expect(failure("custom", JSON.parse('{"__proto__": "x"}')).field).toBe("__proto__");
    expect(failure("custom", { constructor: "x" }).field).toBe("constructor");
    expect(failure("nope", { a: "b" }).field).toBe("type");
    expect(failure("custom", null).code).toBe("validation");
    expect(failure("custom", ["a"]).code).toBe("validation");
    expect(failure("custom", {}).code).toBe("validation");
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("describes each type's fields", () => {
    expect(describeCredentialType("http_basic")).toEqual({
      required: ["username", "password"],
      optional: [],
      open: false,
    });
    expect(describeCredentialType("custom").open).toBe(true);
  });
});
