/** Helpers for the connector service tests: a service on a chosen backend, and unlimited leak checks. */
import { inspect } from "node:util";
import { expect } from "vitest";
import { memoryBackend } from "../../src/backends/memory/index.js";
import type { ConnectionStore } from "../../src/connectors/connection-store.js";
import { defineConnector } from "../../src/connectors/define.js";
import { ConnectorService, type ConnectorServiceOptions } from "../../src/connectors/service.js";
import type { Backend } from "../../src/core/backend.js";
import { CredentialManager } from "../../src/core/credential-manager.js";
import { ValidationError } from "../../src/core/errors.js";
import { keyring, uniqueId } from "../support/fixtures.js";

/** Every form of a value with no inspection limit: inspect, JSON, and each error's stack and causes. */
export function unlimitedForms(value: unknown): string {
  const parts = [
    inspect(value, {
      depth: Number.POSITIVE_INFINITY,
      maxStringLength: Number.POSITIVE_INFINITY,
      maxArrayLength: Number.POSITIVE_INFINITY,
      breakLength: Number.POSITIVE_INFINITY,
      getters: true,
      showHidden: true,
    }),
  ];
  try {
    parts.push(JSON.stringify(value) ?? "");
  } catch {
    // circular: inspect above covers it
  }
  for (let error = value, depth = 0; error instanceof Error && depth < 100; error = error.cause, depth++) {
    parts.push(error.stack ?? "", error.message);
  }
  return parts.join("\n");
}

/** Asserts that `secret` appears in no form of any of `values` (says where, never what). */
export function expectNowhere(secret: string, ...values: unknown[]): void {
  values.forEach((value, index) => {
    const text = unlimitedForms(value);
    const at = text.indexOf(secret);
    expect(at, `canary found in output #${index} at character ${at}`).toBe(-1);
  });
}

/** A manager on `backend` (memory by default) and a service for one tenant over it. */
export function serviceOn(
  options: {
    backend?: Backend;
    store?: ConnectionStore;
    tenantId?: string;
  } & Partial<ConnectorServiceOptions> = {},
) {
  const backend = options.backend ?? memoryBackend({ env: {} });
  const manager =
    options.credentials ?? new CredentialManager({ backend, encryption: keyring(), cache: false });
  const tenantId = options.tenantId ?? uniqueId("tenant");
  const service = new ConnectorService({ ...options, credentials: manager, tenantId });
  return { backend, manager, tenantId, service };
}

/** A connector whose setup fails with a typed error naming the key it was given. */
export const carelessConnector = defineConnector({
  spec: {
    id: "careless",
    displayName: "Careless",
    category: "data",
    description: "Echoes its key when it refuses it",
    fields: [{ name: "apiKey", label: "API key", secret: true, required: true }],
    docsUrl: "https://example.com/keys",
  },
  async setup(context) {
    throw new ValidationError(`Key ${context.secret("apiKey").reveal()} is not for this region.`, "apiKey");
  },
});
