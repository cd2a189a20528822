/**
 * Values at dotted paths of a JSON object's text, scanned: the same values `JSON.parse` gives at
 * those paths, for texts with escapes, nesting, arrays, duplicates and whitespace; undefined for
 * texts that are not a JSON object.
 */
import { describe, expect, it } from "vitest";
import { valuesAt } from "../../src/connectors/brokered/json-scan.js";

/** The value at a dotted path of `JSON.parse(text)`, for comparison. */
function parsedAt(text: string, path: string): unknown {
  let current: unknown = JSON.parse(text);
  for (const step of path.split(".")) {
    if (typeof current !== "object" || current === null || Array.isArray(current)) return undefined;
    if (!Object.hasOwn(current, step)) return undefined;
    current = (current as Record<string, unknown>)[step];
  }
  return current;
}

const paths = ["model", "max_tokens", "generationConfig.maxOutputTokens", "a.b.c"];

describe("valuesAt", () => {
  const texts = [
    JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Hello!" }] }),
    JSON.stringify({ messages: [{ content: 'say "model": "x", {[}]' }], max_tokens: 32, model: "m" }),
    JSON.stringify({ contents: [{ parts: [{ text: '\\\\"}' }] }], generationConfig: { maxOutputTokens: 7 } }),
    JSON.stringify({ generationConfig: { temperature: 0.5, nested: { maxOutputTokens: 1 } }, model: null }),
    JSON.stringify({ a: { b: { c: [1, { d: true }] } }, "mo\u0064el": "escaped-key", tools: [] }),
    '{"model":"first","model":"second","generationConfig":{"maxOutputTokens":1},"generationConfig":{}}',
    '{"a":{"b":{"c":1}},"a":5}',
    ' {\n  "model" : "spaced" ,\t"max_tokens" :\r\n 1e3 , "x": -0.5e-2 }\n',
    '{"m\\u006fdel":"unicode escape","max_tokens":false}',
    "{}",
  ];
  it.each(texts.map((text) => [text]))("gives what JSON.parse gives: %s", (text) => {
    const found = valuesAt(text, paths);
    expect(found).toBeDefined();
    for (const path of paths) expect(found?.get(path), path).toEqual(parsedAt(text, path));
  });

  it.each([
    ["not JSON", "model=gpt-4o"],
    ["an array", '[{"model":"m"}]'],
    ["unterminated", '{"model":"m","messages":[{"content":"x"}'],
    ["trailing text", '{"model":"m"} extra'],
    ["a bad value at a path", '{"model":nope}'],
    ["missing colon", '{"model" "m"}'],
    ["empty", ""],
  ])("is undefined for %s", (_name, text) => {
    expect(valuesAt(text, paths)).toBeUndefined();
  });
});
