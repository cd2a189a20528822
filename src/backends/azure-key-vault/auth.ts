/**
 * The Azure credential the backend authenticates with.
 *
 * - `default`: `DefaultAzureCredential` (environment, workload identity, managed identity, Azure
 *   CLI, …). Convenient in development; in production it pays for probing the chain.
 * - `client-secret`: `ClientSecretCredential` from a service principal's tenant, client id and
 *   secret (`AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`).
 * - `managed-identity`: `ManagedIdentityCredential`, system-assigned, or user-assigned with a
 *   client id (`AZURE_CLIENT_ID`).
 * - Or any `TokenCredential` object, passed in as is.
 *
 * Every token the credential hands out is added to the backend's redactor, so it is scrubbed
 * from any error that could carry it.
 */
import type * as Identity from "@azure/identity";
import type { SecretClient } from "@azure/keyvault-secrets";
import { ConfigurationError } from "../../core/errors.js";
import { importOptional, type LibOption } from "../../core/import-optional.js";
import type { Redactor } from "../../core/redact.js";

/** Anything that issues Azure access tokens (`@azure/core-auth` `TokenCredential`). */
export type TokenCredential = ConstructorParameters<typeof SecretClient>[1];

/** The credential choices by name. */
export type AzureCredentialKind = "default" | "client-secret" | "managed-identity";

/** How to authenticate, for `azureKeyVaultBackend`. */
export interface AzureAuthOptions {
  /**
   * A credential kind, or any `TokenCredential` (from `@azure/identity` or your own).
   * @default process.env.CREDKIT_AZURE_CREDENTIAL ?? "default"
   */
  credential?: AzureCredentialKind | TokenCredential | undefined;
  /**
   * Microsoft Entra tenant id, for `client-secret`.
   * @default process.env.AZURE_TENANT_ID
   */
  tenantId?: string | undefined;
  /**
   * Application (client) id: the service principal for `client-secret`, or a user-assigned
   * identity for `managed-identity` (omit it for the system-assigned identity).
   * @default process.env.AZURE_CLIENT_ID
   */
  clientId?: string | undefined;
  /**
   * The service principal's client secret, for `client-secret`. Never logged; scrubbed from errors.
   * @default process.env.AZURE_CLIENT_SECRET
   */
  clientSecret?: string | undefined;
}

export const CREDENTIAL_KINDS: readonly AzureCredentialKind[] = [
  "default",
  "client-secret",
  "managed-identity",
];

/** The variables a credential kind requires. */
export function requiredFor(kind: AzureCredentialKind): string[] {
  return kind === "client-secret" ? ["AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"] : [];
}

export function isCredentialKind(value: string): value is AzureCredentialKind {
  return (CREDENTIAL_KINDS as readonly string[]).includes(value);
}

function isTokenCredential(value: unknown): value is TokenCredential {
  return (
    typeof value === "object" && value !== null && typeof (value as TokenCredential).getToken === "function"
  );
}

/** Builds the credential, loading `@azure/identity` only when a named kind needs it. */
export async function createCredential(
  options: AzureAuthOptions,
  env: Readonly<Record<string, string | undefined>>,
  lib: LibOption<typeof Identity> | undefined,
): Promise<TokenCredential> {
  const chosen = options.credential ?? env.CREDKIT_AZURE_CREDENTIAL ?? "default";
  if (isTokenCredential(chosen)) return chosen;
  if (typeof chosen !== "string" || !isCredentialKind(chosen)) {
    throw new ConfigurationError(
      `Unknown Azure credential kind; use one of ${CREDENTIAL_KINDS.join(", ")}, or pass a TokenCredential.`,
      { missing: ["CREDKIT_AZURE_CREDENTIAL"], available: CREDENTIAL_KINDS },
    );
  }
  const identity = await importOptional(
    "@azure/identity",
    "the Azure Key Vault backend",
    () => import("@azure/identity"),
    lib,
  );
  const tenantId = options.tenantId ?? env.AZURE_TENANT_ID;
  const clientId = options.clientId ?? env.AZURE_CLIENT_ID;
  switch (chosen) {
    case "client-secret": {
      const clientSecret = options.clientSecret ?? env.AZURE_CLIENT_SECRET;
      const missing = [
        tenantId ? undefined : "AZURE_TENANT_ID",
        clientId ? undefined : "AZURE_CLIENT_ID",
        clientSecret ? undefined : "AZURE_CLIENT_SECRET",
      ].filter((name): name is string => name !== undefined);
      if (missing.length > 0 || !tenantId || !clientId || !clientSecret) {
        throw new ConfigurationError(
          `The client-secret credential needs ${missing.join(", ")} (or the tenantId, clientId and clientSecret options).`,
          { missing },
        );
      }
      return new identity.ClientSecretCredential(tenantId, clientId, clientSecret);
    }
    case "managed-identity":
      return clientId
        ? new identity.ManagedIdentityCredential({ clientId })
        : new identity.ManagedIdentityCredential();
    default:
      return new identity.DefaultAzureCredential();
  }
}

/** Wraps a credential so every token it issues is known to the redactor. */
export function scrubbingCredential(inner: TokenCredential, redactor: Redactor): TokenCredential {
  return {
    async getToken(scopes, options) {
      const token = await inner.getToken(scopes, options);
      if (token) redactor.add(token.token);
      return token;
    },
  };
}
