import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  encodeKey,
  encodeTenantId,
  escapeComponent,
  MIN_KEY_LENGTH,
  unescapeComponent,
} from "../../src/core/key-encoding.js";

const anyId = fc.oneof(
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.constantFrom(
    "",
    "-",
    "--",
    "a--b",
    "../",
    "..",
    "a:b",
    "a/b",
    "A",
    "a",
    "-z",
    "-h00",
    "Ωmega",
    "\uD800",
    "\uFFFD",
    "x\uDC00y",
  ),
  fc.string({ unit: "grapheme-ascii", minLength: 100, maxLength: 400 }),
);

describe("key encoding", () => {
  it("escapes into [a-z0-9-] without '--', never empty, and reverses exactly", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: "binary", maxLength: 80 }),
          fc.string({
            unit: fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)),
            maxLength: 20,
          }),
        ),
        (value) => {
          const escaped = escapeComponent(value);
          expect(escaped).toMatch(/^[a-z0-9-]+$/);
          expect(escaped).not.toContain("--");
          expect(escaped.endsWith("-")).toBe(false);
          expect(unescapeComponent(escaped)).toBe(value);
        },
      ),
    );
  });

  it("maps distinct (tenant, name) pairs to distinct keys, within the length limit", () => {
    for (const maxLength of [MIN_KEY_LENGTH, 127, 200, 512]) {
      fc.assert(
        fc.property(anyId, anyId, anyId, anyId, (tenantA, nameA, tenantB, nameB) => {
          const a = encodeKey(tenantA, nameA, maxLength);
          const b = encodeKey(tenantB, nameB, maxLength);
          expect(a.id.length).toBeLessThanOrEqual(maxLength);
          expect(a.id).toMatch(/^[a-z0-9-]+$/);
          if (tenantA !== tenantB || nameA !== nameB) expect(a.id).not.toBe(b.id);
          else expect(a.id).toBe(b.id);
        }),
        { numRuns: 300 },
      );
    }
  });

  it("splits back into its segments at the first '--'", () => {
    fc.assert(
      fc.property(anyId, anyId, (tenant, name) => {
        const key = encodeKey(tenant, name, 512);
        const at = key.id.indexOf("--");
        expect(key.id.slice(0, at)).toBe(key.tenantSegment);
        expect(key.id.slice(at + 2)).toBe(key.connectionSegment);
      }),
    );
  });

  it("keeps a lone surrogate apart from the replacement character UTF-8 would turn it into", () => {
    expect(encodeKey("\uD800", "n", 200).id).not.toBe(encodeKey("\uFFFD", "n", 200).id);
    const long = (tail: string) => encodeKey("t", "n".repeat(300) + tail, 200).id;
    expect(long("\uDFFF")).not.toBe(long("\uFFFD"));
  });

  it("keeps the classic collisions apart and case distinct", () => {
    const ids = [
      encodeKey("a:b", "c", 200).id,
      encodeKey("a", "b:c", 200).id,
      encodeKey("a/b", "c", 200).id,
      encodeKey("a", "b/c", 200).id,
      encodeKey("A", "x", 200).id,
      encodeKey("a", "x", 200).id,
      encodeKey("", "", 200).id,
    ];
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("gives a tenant the same segment whatever the name, so tenants list by prefix", () => {
    const tenant = "t".repeat(500);
    expect(encodeKey(tenant, "a", 200).tenantSegment).toBe(encodeTenantId(tenant));
    expect(encodeKey(tenant, "b".repeat(900), 200).tenantSegment).toBe(encodeTenantId(tenant));
  });

  it("refuses a limit with no room for a name", () => {
    expect(() => encodeKey("t".repeat(100), "n", 50)).toThrow(RangeError);
  });
});
