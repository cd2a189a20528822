import type { ConnectorSpec } from "../types.js";

/** The scope `testConnection()` asks a token for when the connection names none: Azure Resource Manager. */
export const AZURE_DEFAULT_SCOPE = "https://management.azure.com/.default";

/** The azure connector's catalog entry: pure data, loads no SDK. */
export const azureSpec = {
  id: "azure",
  displayName: "Azure",
  category: "cloud",
  description:
    "An Azure service principal (app registration): proves it by acquiring a Microsoft Entra token for the configured resource, reporting tenant and app.",
  fields: [
    {
      name: "tenantId",
      label: "Directory (tenant) id",
      secret: false,
      required: true,
      aliases: ["tenant_id", "tenant", "AZURE_TENANT_ID"],
      example: "00000000-0000-0000-0000-000000000000",
      description: "The Microsoft Entra tenant of the app registration (Overview → Directory (tenant) ID).",
    },
    {
      name: "clientId",
      label: "Application (client) id",
      secret: false,
      required: true,
      aliases: ["client_id", "appId", "AZURE_CLIENT_ID"],
      example: "00000000-0000-0000-0000-000000000000",
      description: "The app registration's Application (client) ID.",
    },
    {
      name: "clientSecret",
      label: "Client secret",
      secret: true,
      required: false,
      aliases: ["client_secret", "AZURE_CLIENT_SECRET"],
      pattern: "^[A-Za-z0-9._~+/=-]{16,}$",
      example: "abc8Q~...",
      description:
        "A client secret's Value (Certificates & secrets), not its Secret ID. Or give a certificate.",
    },
    {
      name: "certificate",
      label: "Client certificate (PEM)",
      secret: true,
      required: false,
      aliases: ["clientCertificate", "client_certificate", "certificatePem"],
      example: "-----BEGIN PRIVATE KEY----- ... -----BEGIN CERTIFICATE----- ...",
      description:
        "The certificate uploaded to the app registration, with its unencrypted private key, in one PEM. Or give a client secret.",
    },
    {
      name: "scope",
      label: "Resource scope",
      secret: false,
      required: false,
      aliases: ["resource", "audience"],
      example: AZURE_DEFAULT_SCOPE,
      description:
        "The resource the integration needs a token for, e.g. https://graph.microsoft.com/.default (a resource URI gets /.default appended).",
    },
  ],
  sdk: { package: "@azure/identity", versions: "^4" },
  baseURL: "https://login.microsoftonline.com",
  verification: {
    method: "POST",
    path: "/{tenantId}/oauth2/v2.0/token",
    description:
      "Client credentials grant for the configured resource scope (no call to the resource itself).",
  },
  docsUrl: "https://learn.microsoft.com/entra/identity-platform/howto-create-service-principal-portal",
} as const satisfies ConnectorSpec<"azure">;
