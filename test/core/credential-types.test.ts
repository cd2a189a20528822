import { describe, expect, it } from "vitest";
import {
  CREDENTIAL_TYPES,
  describeCredentialType,
  mergeCredentialFields,
  validateCredential,
} from "../../src/core/credential-types.js";
import { ValidationError } from "../../src/core/errors.js";
import { foldFieldName } from "../../src/core/field-names.js";
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

  it("issue 13 item 8: closed types accept only their own fields, never inherited names such as toString", () => {
    for (const inherited of ["toString", "valueOf", "hasOwnProperty", "isPrototypeOf"]) {
      const error = failure("http_basic", { username: "u", password: "p", [inherited]: "x" });
      expect(error.field).toBe("#3");
    }
  });

  it("issue 13 item 8: a value passed as type is never echoed", () => {
    const value = canary();
    const error = failure(value, { apiKey: "k" });
    expect(error.field).toBe("type");
    assertNoLeak(error, value);
    assertNoLeak(error, value.slice(0, 12));
  });

  it("issue 13 item 8: size errors name schema fields, and number only the unknown ones", () => {
    const big = "x".repeat(64 * 1024 + 1);
    expect(failure("api_key", { apiKey: big }).field).toBe("apiKey");
    expect(failure("api_key", { api_key: big }).field).toBe("apiKey");
    expect(failure("api_key", { apiKey: "k", extra: big }).field).toBe("#2");
    expect(failure("http_basic", { username: "u", password: big }).message).toContain('"password"');
  });

  it("issue 13 item 8: one folding rule: api_key, apiKey, API-KEY and ApiKey are the same field", () => {
    for (const spelling of ["api_key", "apiKey", "API-KEY", "ApiKey", "APIKEY"]) {
      expect(foldFieldName(spelling)).toBe("apikey");
      const fields = validateCredential("api_key", { [spelling]: "sk-1" });
      expect(Object.keys(fields)).toEqual(["apiKey"]);
      expect(fields.apiKey).toBe("sk-1");
    }
    expect(validateCredential("http_basic", { UserName: "u", PASSWORD: "p" })).toEqual(
      Object.assign(Object.create(null), { username: "u", password: "p" }),
    );
    expect(failure("api_key", { apiKey: "a", api_key: "b" }).field).toBe("apiKey");
  });

  it("issue 13 item 8: an update in another spelling replaces the stored field", () => {
    const merged = mergeCredentialFields("api_key", { apiKey: "old", note: "n" }, { API_KEY: "new" });
    expect(validateCredential("api_key", merged)).toEqual(
      Object.assign(Object.create(null), { note: "n", apiKey: "new" }),
    );
  });
});
