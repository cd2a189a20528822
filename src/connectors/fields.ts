/**
 * Field specs several connectors share: the provider API key and the default model.
 */
import type { CredentialFieldSpec } from "./types.js";

/** The provider API key field (`apiKey`, also accepted as `key` or `token`). */
export const apiKeyField = (pattern: string, example: string, description: string): CredentialFieldSpec => ({
  name: "apiKey",
  label: "API key",
  secret: true,
  required: true,
  aliases: ["key", "token"],
  pattern,
  example,
  description,
});

/** The default model setting (`model`, also accepted as `defaultModel`). */
export const modelField: CredentialFieldSpec = {
  name: "model",
  label: "Default model",
  secret: false,
  required: false,
  aliases: ["defaultModel"],
  description: "Model used when a call does not name one.",
};

/**
 * The API base URL from the connection's data (e.g. a self-hosted or compatible endpoint). It is
 * tenant data: the egress guard keeps it off loopback, link-local and private addresses. A
 * `baseURL` the operator passes in code takes precedence.
 */
export const baseURLField: CredentialFieldSpec = {
  name: "baseURL",
  label: "Base URL",
  secret: false,
  required: false,
  aliases: ["baseUrl", "url"],
  description: "API base URL, when not the provider's public endpoint (http:// or https://).",
};
