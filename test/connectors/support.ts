/** Helpers for the connector tests: provider-shaped canary keys and rejections. */
import { randomBytes } from "node:crypto";
import { expect } from "vitest";

/** A key of the provider's format that must never appear anywhere. */
export function providerKey(prefix: "sk-" | "sk-ant-" | "fc-" | "AIza"): string {
  if (prefix === "AIza") return `AIza${randomBytes(27).toString("base64url").slice(0, 35)}`;
  return `${prefix}canary${randomBytes(16).toString("hex")}`;
}

/** A key of `length` random letters and digits after `prefix` (e.g. Mistral's 32, Cohere's 40). */
export function alphanumericKey(length: number, prefix = ""): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  return prefix + Array.from(randomBytes(length), (byte) => alphabet[byte % alphabet.length]).join("");
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
  "AZURE_OPENAI_API_KEY",
  "AZURE_OPENAI_ENDPOINT",
  "OPENAI_API_VERSION",
  "MISTRAL_API_KEY",
  "MISTRAL_DEBUG",
  "CO_API_KEY",
];
