import { baseURLField } from "../fields.js";
import type { ConnectorSpec } from "../types.js";

/** The http connector's catalog entry: pure data, loads no SDK. */
export const httpSpec = {
  id: "http",
  displayName: "HTTP",
  category: "http",
  description:
    "Any REST API: applies a bearer token, basic auth, or an API key in a header or query parameter to every request.",
  fields: [
    {
      name: "token",
      label: "Bearer token",
      secret: true,
      required: false,
      aliases: ["bearerToken", "accessToken"],
    },
    { name: "username", label: "Username", secret: false, required: false, aliases: ["user"] },
    { name: "password", label: "Password", secret: true, required: false },
    { name: "apiKey", label: "API key", secret: true, required: false, aliases: ["key"] },
    baseURLField,
  ],
  docsUrl: "https://github.com/credkit/credkit/blob/main/docs/connectors.md#http",
} as const satisfies ConnectorSpec<"http">;
