/** Helpers for the connector tests: provider-shaped canary keys and output capture. */
import { randomBytes } from "node:crypto";
import { afterEach, beforeEach, expect } from "vitest";
import { assertNoLeak } from "../support/fixtures.js";

/** A key of the provider's format that must never appear anywhere. */
export function providerKey(prefix: "sk-" | "sk-ant-" | "fc-" | "AIza"): string {
  if (prefix === "AIza") return `AIza${randomBytes(27).toString("base64url").slice(0, 35)}`;
  return `${prefix}canary${randomBytes(16).toString("hex")}`;
}

/**
 * Captures everything written to stdout and stderr (console included) while a test runs, and
 * checks after each test that none of the planted keys was printed.
 */
export function captureOutput(secrets: () => string[]): { text(): string } {
  let chunks: string[] = [];
  const originals = { out: process.stdout.write, err: process.stderr.write };
  beforeEach(() => {
    chunks = [];
    const tap = (original: typeof process.stdout.write) =>
      function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) {
        chunks.push(typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8"));
        return (original as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
      } as typeof process.stdout.write;
    process.stdout.write = tap(originals.out);
    process.stderr.write = tap(originals.err);
  });
  afterEach(() => {
    process.stdout.write = originals.out;
    process.stderr.write = originals.err;
    for (const secret of secrets()) assertNoLeak(chunks.join(""), secret);
  });
  return { text: () => chunks.join("") };
}

/** Awaits a promise that must reject, and returns the error. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  expect.fail("expected a rejection");
}

/** Environment variables the SDKs read as fallbacks; cleared so nothing leaks in from the host. */
export const SDK_ENV = [
  "OPENAI_API_KEY",
  "OPENAI_BASE_URL",
  "OPENAI_ORG_ID",
  "OPENAI_PROJECT_ID",
  "ANTHROPIC_API_KEY",
  "ANTHROPIC_AUTH_TOKEN",
  "ANTHROPIC_BASE_URL",
  "GEMINI_API_KEY",
  "GOOGLE_API_KEY",
  "GOOGLE_GENAI_USE_VERTEXAI",
  "GOOGLE_GENAI_USE_ENTERPRISE",
  "FIRECRAWL_API_KEY",
  "FIRECRAWL_API_URL",
];
