/**
 * The Microsoft identity platform (Entra ID) v2.0 endpoints MSAL uses for the client credentials
 * grant, on loopback over HTTPS (MSAL refuses an http:// authority), from the public protocol
 * reference: `GET /{tenant}/v2.0/.well-known/openid-configuration` and
 * `POST /{tenant}/oauth2/v2.0/token` with a client secret or a certificate-signed client
 * assertion (RS256 or PS256, verified with the certificate's public key, `aud` the token
 * endpoint). Refusals carry Entra's JSON error body and AADSTS codes: 401 `invalid_client`
 * (AADSTS7000215 wrong secret, AADSTS700027 bad assertion), 400 `unauthorized_client`
 * (AADSTS700016 unknown app), 400 `invalid_tenant` (AADSTS90002), 400 `invalid_scope`.
 */
import { constants, createPublicKey, randomBytes, randomUUID, verify, X509Certificate } from "node:crypto";
import { type LoopbackServer, type RecordedRequest, type Reply, startLoopback } from "../providers/base.js";

/** An app registration the stand-in knows. */
export interface StandInApp {
  readonly clientId: string;
  /** Accepted client secret values. */
  readonly secrets?: readonly string[];
  /** PEM certificates whose keys may sign a client assertion. */
  readonly certificates?: readonly string[];
}

/** Resources (scope prefixes before `/.default`) the tenant has service principals for. */
const RESOURCES = ["https://management.azure.com", "https://graph.microsoft.com", "https://vault.azure.net"];

export function entraError(status: number, error: string, code: number, description: string): Reply {
  const traceId = randomUUID();
  return {
    status,
    body: {
      error,
      error_description: `AADSTS${code}: ${description} Trace ID: ${traceId} Correlation ID: ${randomUUID()} Timestamp: ${new Date().toISOString().replace("T", " ").slice(0, 19)}Z`,
      error_codes: [code],
      timestamp: new Date().toISOString(),
      trace_id: traceId,
      correlation_id: randomUUID(),
      error_uri: `https://login.microsoftonline.com/error?code=${code}`,
    },
  };
}

const part = (text: string | undefined) => {
  try {
    return JSON.parse(Buffer.from(text ?? "", "base64url").toString("utf8")) as Record<string, unknown>;
  } catch {
    return undefined;
  }
};

/** Whether a client assertion is signed by one of the app's certificates and names the app and endpoint. */
function assertionValid(app: StandInApp, assertion: string, endpoint: string): boolean {
  const [header, payload, signature] = assertion.split(".");
  const head = part(header);
  const claims = part(payload);
  if (!head || !claims || signature === undefined) return false;
  if (claims.iss !== app.clientId || claims.sub !== app.clientId || claims.aud !== endpoint) return false;
  if (typeof claims.exp !== "number" || claims.exp < Date.now() / 1000) return false;
  const data = Buffer.from(`${header}.${payload}`);
  return (app.certificates ?? []).some((pem) => {
    const key = createPublicKey(new X509Certificate(pem).publicKey.export({ type: "spki", format: "pem" }));
    const sig = Buffer.from(signature, "base64url");
    if (head.alg === "RS256") return verify("RSA-SHA256", data, key, sig);
    if (head.alg === "PS256") {
      return verify("sha256", data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, sig);
    }
    return false;
  });
}

/** An access token shaped like Entra's v1 tokens for a resource (not signed by anything real). */
function accessToken(tenant: string, clientId: string, resource: string): string {
  const now = Math.floor(Date.now() / 1000);
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return [
    encode({ typ: "JWT", alg: "RS256", kid: "stand-in" }),
    encode({
      aud: resource,
      iss: `https://sts.windows.net/${tenant}/`,
      iat: now,
      nbf: now,
      exp: now + 3599,
      appid: clientId,
      idtyp: "app",
      oid: randomUUID(),
      tid: tenant,
      ver: "1.0",
    }),
    randomBytes(64).toString("base64url"),
  ].join(".");
}

/** Starts the stand-in serving HTTPS with `tls`, for one tenant and its apps. */
export async function startEntraServer(
  tenant: string,
  apps: readonly StandInApp[],
  tls: { readonly cert: string; readonly key: string },
): Promise<LoopbackServer> {
  const known = new Map(apps.map((app) => [app.clientId, app]));
  let url = "";
  const token = (request: RecordedRequest): Reply => {
    const form = new URLSearchParams(typeof request.body === "string" ? request.body : "");
    if (form.get("grant_type") !== "client_credentials") {
      return entraError(400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type.");
    }
    const clientId = form.get("client_id") ?? "";
    const app = known.get(clientId);
    if (!app) {
      return entraError(
        400,
        "unauthorized_client",
        700016,
        `Application with identifier '${clientId}' was not found in the directory '${tenant}'.`,
      );
    }
    const assertion = form.get("client_assertion");
    const endpoint = `${url}/${tenant}/oauth2/v2.0/token`;
    if (assertion !== null) {
      if (!assertionValid(app, assertion, endpoint)) {
        return entraError(401, "invalid_client", 700027, "Client assertion failed signature validation.");
      }
    } else if (!(app.secrets ?? []).includes(form.get("client_secret") ?? "")) {
      return entraError(
        401,
        "invalid_client",
        7000215,
        `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
      );
    }
    const scope = (form.get("scope") ?? "").split(" ").find((item) => item.endsWith("/.default")) ?? "";
    const resource = scope.replace(/\/\.default$/, "");
    if (!RESOURCES.includes(resource)) {
      return entraError(
        400,
        "invalid_resource",
        500011,
        `The resource principal named ${resource} was not found in the tenant named ${tenant}.`,
      );
    }
    return {
      status: 200,
      body: {
        token_type: "Bearer",
        expires_in: 3599,
        ext_expires_in: 3599,
        access_token: accessToken(tenant, clientId, resource),
      },
    };
  };
  const server = await startLoopback(
    () => undefined,
    (request) => {
      const [, requested, rest] = /^\/([^/]+)(\/.*)$/.exec(request.path) ?? [];
      if (requested !== tenant) {
        return entraError(
          400,
          "invalid_tenant",
          90002,
          `Tenant '${requested}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
        );
      }
      if (request.method === "GET" && rest === "/v2.0/.well-known/openid-configuration") {
        const base = `${url}/${tenant}`;
        return {
          status: 200,
          body: {
            token_endpoint: `${base}/oauth2/v2.0/token`,
            token_endpoint_auth_methods_supported: [
              "client_secret_post",
              "private_key_jwt",
              "client_secret_basic",
            ],
            jwks_uri: `${url}/${tenant}/discovery/v2.0/keys`,
            response_modes_supported: ["query", "fragment", "form_post"],
            subject_types_supported: ["pairwise"],
            id_token_signing_alg_values_supported: ["RS256"],
            response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
            scopes_supported: ["openid", "profile", "email", "offline_access"],
            issuer: `${base}/v2.0`,
            request_uri_parameter_supported: false,
            userinfo_endpoint: "https://graph.microsoft.com/oidc/userinfo",
            authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
            device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
            http_logout_supported: true,
            frontchannel_logout_supported: true,
            end_session_endpoint: `${base}/oauth2/v2.0/logout`,
            tenant_region_scope: "EU",
            cloud_instance_name: "microsoftonline.com",
            cloud_graph_host_name: "graph.windows.net",
            msgraph_host: "graph.microsoft.com",
            rbac_url: "https://pas.windows.net",
          },
        };
      }
      if (request.method === "POST" && rest === "/oauth2/v2.0/token") return token(request);
      return undefined;
    },
    tls,
  );
  url = server.url;
  return server;
}
