/**
 * The bounded data-key cache: every bound evicts, an evicted key's bytes are zeroed (whichever
 * bound evicted it, and on clear), and callers only ever get copies.
 */
import { describe, expect, it } from "vitest";
import { DataKeyCache } from "../../src/core/data-key-cache.js";

const key = (fill: number) => new Uint8Array(32).fill(fill);
const zeroed = (bytes: Uint8Array) => bytes.every((byte) => byte === 0);

describe("data-key cache", () => {
  it("zeroes a key evicted by count, by uses, by age and by clear", async () => {
    const byCount = new DataKeyCache({ maxEntries: 2 });
    const first = key(1);
    byCount.put("a", first);
    byCount.put("b", key(2));
    expect(zeroed(first)).toBe(false);
    byCount.put("c", key(3));
    expect(zeroed(first)).toBe(true);
    expect(byCount.take("a")).toBeUndefined();

    const byUses = new DataKeyCache({ maxUses: 2 });
    const used = key(4);
    byUses.put("a", used);
    expect(byUses.take("a")?.dataKey).toEqual(key(4));
    expect(zeroed(used)).toBe(false);
    expect(byUses.take("a")?.dataKey).toEqual(key(4));
    expect(zeroed(used)).toBe(true);
    expect(byUses.take("a")).toBeUndefined();

    const byAge = new DataKeyCache({ maxAgeMs: 1 });
    const old = key(5);
    byAge.put("a", old);
    await new Promise((resolve) => setTimeout(resolve, 10));
    byAge.put("b", key(6)); // expired entries are swept (and zeroed) when another key comes in
    expect(zeroed(old)).toBe(true);
    expect(byAge.size).toBe(1);

    const cleared = new DataKeyCache();
    const held = key(7);
    cleared.put("a", held);
    cleared.clear();
    expect(zeroed(held)).toBe(true);
  });

  it("hands out copies with the wrapped form they were put with", () => {
    const cache = new DataKeyCache();
    const wrapped = new Uint8Array([9, 9, 9]);
    cache.put("a", key(8), wrapped);
    const taken = cache.take("a");
    expect(taken?.wrapped).toEqual(wrapped);
    taken?.dataKey.fill(0);
    expect(cache.take("a")?.dataKey).toEqual(key(8));
  });
});
