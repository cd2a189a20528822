/**
 * `azure`: a Microsoft Entra service principal, proven through the official `@azure/identity`,
 * imported on first use. `testConnection()` acquires a token with the client credentials grant
 * (client secret, or certificate) for the configured resource scope and reports the tenant and
 * app the token was issued to. The credential gets its authority explicitly with instance
 * discovery off, so it talks to that authority only (never login.microsoftonline.com's discovery
 * endpoint when `baseURL` points elsewhere, never managed identity or the environment's
 * `AZURE_*` credentials).
 */
import type { TokenCredential } from "@azure/identity";
import { defineConnector } from "../define.js";
import type { ConnectorOptions } from "../types.js";
import { certificateProblem } from "./certificate.js";
import { classifyAzure } from "./classify.js";
import { AZURE_DEFAULT_SCOPE, azureSpec } from "./spec.js";
import type { AzureMethods, AzureTokenInfo } from "./types.js";

export type { AzureConnector, AzureTokenInfo } from "./types.js";

declare global {
  namespace Credkit {
    /** The SDK client type this connector's `client` has (see `OptionalType`). */
    interface OptionalTypes {
      "@azure/identity:TokenCredential": TokenCredential;
    }
  }
}

/** The `@azure/identity` module (for the `lib` option). */
export type IdentityModule = typeof import("@azure/identity");

/** The credential the connector holds: a `ClientSecretCredential` or `ClientCertificateCredential`. */
export type AzureCredential = TokenCredential;

/** Options of the azure connector (`baseURL` is the authority host; `ca` is trusted for its TLS). */
export type AzureConnectorOptions = ConnectorOptions<IdentityModule>;

/** `resource` → `resource/.default`; a scope stays as it is. */
export function scopeOf(value: string | undefined): string {
  if (!value) return AZURE_DEFAULT_SCOPE;
  return value.endsWith("/.default") || value.includes(" ") ? value : `${value.replace(/\/+$/, "")}/.default`;
}

function claimsOf(token: string): Record<string, unknown> {
  try {
    return JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) ?? {};
  } catch {
    return {};
  }
}

export const definition = defineConnector<"azure", AzureCredential, AzureMethods, IdentityModule>({
  spec: azureSpec,
  checkFormat(secret) {
    const certificate = secret("certificate")?.reveal();
    if (!secret("clientSecret")?.length && !certificate) {
      return "Azure needs a client secret or a client certificate";
    }
    const problem = certificate ? certificateProblem(certificate) : undefined;
    return problem === undefined ? undefined : `Invalid client certificate for Azure: ${problem}`;
  },
  async setup(context) {
    const identity = await context.load("@azure/identity", () => import("@azure/identity"));
    const { options } = context;
    const tenantId = context.setting("tenantId") ?? "";
    const clientId = context.setting("clientId") ?? "";
    const settings = {
      authorityHost: context.baseURL ?? azureSpec.baseURL,
      disableInstanceDiscovery: true,
      ...(options.ca !== undefined ? { tlsOptions: { ca: options.ca } } : {}),
      ...(options.maxRetries !== undefined ? { retryOptions: { maxRetries: options.maxRetries } } : {}),
    };
    const certificate = context.optionalSecret("certificate")?.reveal();
    const build = (): AzureCredential =>
      certificate
        ? new identity.ClientCertificateCredential(tenantId, clientId, { certificate }, settings)
        : new identity.ClientSecretCredential(
            tenantId,
            clientId,
            context.optionalSecret("clientSecret")?.reveal() ?? "",
            settings,
          );
    let client: AzureCredential;
    try {
      client = build();
    } catch (error) {
      // a setting the SDK refuses (an http:// authority, no secret) fails the first token request
      client = { getToken: () => Promise.reject(error) };
    }
    const tokenInfo = context.withCallSignal(async (abortSignal, scope?: string): Promise<AzureTokenInfo> => {
      const token = await client.getToken(scopeOf(scope ?? context.setting("scope")), {
        abortSignal,
        ...(options.timeout !== undefined ? { requestOptions: { timeout: options.timeout } } : {}),
      });
      if (!token) throw new Error("The Microsoft identity platform returned no token.");
      context.redact(token.token);
      const claims = claimsOf(token.token);
      const text = (value: unknown, fallback: string) => (typeof value === "string" ? value : fallback);
      return {
        tenantId: text(claims.tid, tenantId),
        appId: text(claims.appid ?? claims.azp, clientId),
        expiresOnTimestamp: token.expiresOnTimestamp,
      };
    });
    return {
      client,
      methods: { tokenInfo },
      async verify() {
        const { tenantId: tokenTenantId, appId } = await tokenInfo();
        return { identity: { tenantId: tokenTenantId, appId } };
      },
      classify: classifyAzure,
    };
  },
});

/** `getConnector("azure", credentials, options)` without the registry. */
export const createAzureConnector = definition.create;
