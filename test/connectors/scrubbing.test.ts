/**
 * Scrubbing without blind spots: a random key planted in a random encoding at a random place of a
 * random error shape is found nowhere in what leaves a connector (`scrub()`, `withConnector`).
 */
import { inspect } from "node:util";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getConnector, withConnector } from "../../src/connectors/registry.js";
import type { Connector } from "../../src/connectors/types.js";
import { ValidationError } from "../../src/core/errors.js";
import { Redactor, scrubError } from "../../src/core/redact.js";
import { scrubThrown } from "../../src/core/scrub-thrown.js";
import { rejection } from "./support.js";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** Every form an output could show; all limits off. */
function printed(value: unknown): string {
  const parts = [
    inspect(value, {
      depth: Number.POSITIVE_INFINITY,
      maxStringLength: Number.POSITIVE_INFINITY,
      maxArrayLength: Number.POSITIVE_INFINITY,
      breakLength: Number.POSITIVE_INFINITY,
      showHidden: true,
      getters: true,
    }),
  ];
  try {
    parts.push(JSON.stringify(value) ?? "");
  } catch {
    // cycles and BigInts: inspect covers them
  }
  const seen = new Set<unknown>();
  for (let link = value; link instanceof Error && !seen.has(link); link = link.cause) {
    seen.add(link);
    parts.push(String(link.stack), String(link.message));
  }
  return parts.join("\n");
}

const hex4 = (code: number) => code.toString(16).padStart(4, "0");

/** The encodings a key is planted in: [name, encode(key, random)]. */
const ENCODINGS: ReadonlyArray<[string, (key: string, pick: number) => string]> = [
  ["raw", (key) => key],
  ["form-urlencoded", (key) => new URLSearchParams({ api_key: `${key} ~!` }).toString()],
  [
    "lowercase percent",
    (key) => encodeURIComponent(`${key}/+=`).replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase()),
  ],
  ["JSON \\/", (key) => JSON.stringify({ url: `https://x.test/${key}/y` }).replace(/\//g, "\\/")],
  ["JSON \\u, every character", (key) => [...key].map((c) => `\\u${hex4(c.charCodeAt(0))}`).join("")],
  [
    "JSON \\u, some characters",
    (key, pick) =>
      [...key].map((c, i) => ((i + pick) % 3 === 0 ? `\\u${hex4(c.charCodeAt(0))}` : c)).join(""),
  ],
  ["hex", (key) => Buffer.from(key).toString("hex")],
  ["base64 of user:key", (key, pick) => Buffer.from(`user${pick}:${key}`).toString("base64")],
  ["prefix run", (key, pick) => key.slice(0, 16 + (pick % (key.length - 15)))],
  ["inner run", (key, pick) => key.slice(pick % (key.length - 16), (pick % (key.length - 16)) + 16)],
];

type Shape = (planted: string, filler: string) => unknown;

/** Where the planted text goes: the error shapes util.inspect's limits used to hide. */
const SHAPES: ReadonlyArray<[string, Shape]> = [
  ["message", (p, f) => new Error(`${f} ${p} ${f}`)],
  [
    "string beyond 10,000 characters",
    (p, f) => Object.assign(new Error("failed"), { detail: `${"x".repeat(10_001)}${f}${p}` }),
  ],
  [
    "array item beyond 100",
    (p) => Object.assign(new Error("failed"), { items: [...Array(150).fill("ok"), p] }),
  ],
  [
    "Map entry beyond 100",
    (p) =>
      Object.assign(new Error("failed"), {
        map: new Map([
          ...Array.from({ length: 120 }, (_, i) => [`k${i}`, i] as [string, unknown]),
          ["last", p],
        ]),
      }),
  ],
  ["Map key", (p) => Object.assign(new Error("failed"), { map: new Map([[p, 1]]) })],
  ["Set member", (p) => Object.assign(new Error("failed"), { set: new Set([...Array(120).keys(), p]) })],
  [
    "deeper than 8 levels",
    (p) => {
      let nested: Record<string, unknown> = { value: p };
      for (let i = 0; i < 12; i++) nested = { nested };
      return Object.assign(new Error("failed"), { nested });
    },
  ],
  [
    "behind a getter",
    (p) => Object.defineProperty(new Error("failed"), "secret", { get: () => p, enumerable: false }),
  ],
  [
    "getter that throws during scrubbing",
    (p) => {
      const error = new Error(`failed ${p}`);
      Object.defineProperty(error, "message", {
        get: () => {
          throw new Error(`hostile ${p}`);
        },
      });
      return error;
    },
  ],
  [
    "cause chain deeper than 8",
    (p) => {
      let error = new Error(`root ${p}`);
      for (let i = 0; i < 12; i++) error = new Error(`link ${i}`, { cause: error });
      return error;
    },
  ],
  [
    "responseBody of 12 KB",
    (p, f) =>
      Object.assign(new Error("HTTP 400"), {
        status: 400,
        responseBody: `${"{}".repeat(3000)}${f}${p}${"a".repeat(6000)}`,
      }),
  ],
  ["property name", (p) => Object.assign(new Error("failed"), { [p]: true })],
  ["typed error's cause", (p) => new ValidationError("bad request", "field", { cause: new Error(p) })],
  ["thrown string", (p, f) => `${f}${p}`],
  [
    "class getter",
    (p) => {
      class HostileError extends Error {
        override get message() {
          return p;
        }
      }
      return new HostileError("quiet");
    },
  ],
];

describe("issue 14 item 3: scrubbing without blind spots", () => {
  let connector: Connector;
  let key: string;

  beforeAll(async () => {
    key = `tk${Array.from({ length: 40 }, (_, i) => ALPHABET[(i * 7 + 3) % ALPHABET.length]).join("")}`;
    connector = await getConnector("http", { token: key }, { baseURL: "http://127.0.0.1:9" });
  });
  afterAll(async () => {
    await connector.cleanup();
  });

  it("property: a random key planted in a random encoding and shape is found nowhere after scrub()", () => {
    const keyArb = fc
      .array(fc.constantFrom(...ALPHABET), { minLength: 24, maxLength: 64 })
      .map((chars) => `k${chars.join("")}`);
    fc.assert(
      fc.property(
        keyArb,
        fc.nat({ max: ENCODINGS.length - 1 }),
        fc.nat({ max: SHAPES.length - 1 }),
        fc.nat(),
        fc.string({ maxLength: 40 }),
        (secret, encoding, shape, pick, filler) => {
          const redactor = new Redactor([secret]);
          const [, encode] = ENCODINGS[encoding] as (typeof ENCODINGS)[number];
          const [, build] = SHAPES[shape] as (typeof SHAPES)[number];
          const planted = encode(secret, pick);
          const error = build(planted, filler.replace(/[%\\]/g, ""));
          // what a connector's scrub() does, for this key
          const out = printed(scrubThrown(redactor, error));
          expect(out.includes(secret)).toBe(false);
          expect(out.includes(planted)).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("every shape and encoding through the connector's scrub() and withConnector", async () => {
    for (const [encodingName, encode] of ENCODINGS) {
      for (const [shapeName, build] of SHAPES) {
        const planted = encode(key, 5);
        const where = `${shapeName} / ${encodingName}`;
        const scrubbed = printed(connector.scrub(build(planted, "filler")));
        expect(scrubbed.includes(key), where).toBe(false);
        expect(scrubbed.includes(planted), where).toBe(false);
      }
    }
    const [, build] = SHAPES[0] as (typeof SHAPES)[number];
    const error = await rejection(
      withConnector("http", { token: key }, () => Promise.reject(build(key, "x")), {
        baseURL: "http://127.0.0.1:9",
      }),
    );
    expect(printed(error).includes(key)).toBe(false);
  });

  it("an error with no secret leaves unchanged; a clean credkit error keeps its class", () => {
    const clean = Object.assign(new Error("rate limited"), { status: 429, body: "x".repeat(20_000) });
    expect(connector.scrub(clean)).toBe(clean);
    const typed = new ValidationError("bad", "model", { cause: new Error(`echo ${key}`) });
    const scrubbed = connector.scrub(typed) as ValidationError;
    expect(scrubbed).not.toBe(typed);
    expect(scrubbed).toBeInstanceOf(ValidationError);
    expect(scrubbed.field).toBe("model");
    expect(printed(scrubbed).includes(key)).toBe(false);
  });

  it("a Gemini-style echo of the first 30 characters of an AIza key is redacted, key known or not", () => {
    const gemini = `AIza${"Sy0123456789abcdefghijklmnopqrstu".slice(0, 35)}`;
    const echoed = new Error(`API key not valid: ${gemini.slice(0, 30)}...`);
    expect(printed(scrubError(echoed, [gemini]))).not.toContain(gemini.slice(0, 16));
    expect(printed(scrubError(echoed))).not.toContain(gemini.slice(0, 16));
  });
});
