import { inspect } from "node:util";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { maskFields, maskSecret, Secret } from "../../src/core/secret.js";
import { assertNoLeak, canary } from "../support/fixtures.js";

describe("maskSecret", () => {
  it("gives the documented masked format for a long API key", () => {
    expect(maskSecret("sk-your-api-key-here-key123")).toBe("***key123");
  });

  it("masks short values to *** with nothing shown", () => {
    for (const value of ["", "a", "password", "fifteen-chars!!"]) expect(maskSecret(value)).toBe("***");
  });

  it("never shows more than 6 characters nor more than a quarter of the value", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 200 }), (value) => {
        const masked = maskSecret(value);
        expect(masked.startsWith("***")).toBe(true);
        const shown = Array.from(masked.slice(3));
        expect(shown.length).toBeLessThanOrEqual(6);
        expect(shown.length).toBeLessThanOrEqual(Array.from(value).length / 4);
        if (shown.length > 0) expect(value.endsWith(shown.join(""))).toBe(true);
      }),
    );
  });
});

describe("Secret", () => {
  const value = canary();
  const secret = new Secret(value);

  it("reveals the value only through reveal()", () => {
    expect(secret.reveal()).toBe(value);
  });

  it("prints masked through every other path", () => {
    expect(String(secret)).toBe(maskSecret(value));
    expect(`${secret}`).toBe(maskSecret(value));
    expect(JSON.stringify({ secret })).toBe(JSON.stringify({ secret: maskSecret(value) }));
    expect(inspect(secret)).toBe(`Secret(${maskSecret(value)})`);
    expect(inspect({ nested: { secret } }, { depth: 5, showHidden: true })).not.toContain(value);
    assertNoLeak({ a: [secret], b: secret }, value);
  });

  it("is not copied by spread, Object.assign or structuredClone", () => {
    assertNoLeak({ ...secret }, value);
    assertNoLeak(Object.assign({}, secret), value);
    assertNoLeak(structuredClone(secret), value);
  });

  it("compares without revealing, and wraps once", () => {
    expect(secret.equals(value)).toBe(true);
    expect(secret.equals(`${value}x`)).toBe(false);
    expect(secret.equals(new Secret(value))).toBe(true);
    expect(Secret.from(secret)).toBe(secret);
    expect(Secret.from("plain-value").reveal()).toBe("plain-value");
  });

  it("masks every field of a credential", () => {
    expect(maskFields({ apiKey: secret })).toEqual({ apiKey: maskSecret(value) });
  });
});
