/**
 * The azure connector through the official @azure/identity (MSAL underneath) against the loopback
 * Microsoft identity stand-in, served over HTTPS with a throwaway CA that only the connector's
 * `ca` option trusts (verification is never turned off). The connector contract with a client
 * secret; a certificate-signed client assertion; tenant and app reported from the token; Entra's
 * refusals as verdicts. Instance discovery is off and every environment variable the SDK could
 * fall back to points at nothing, so no request leaves loopback.
 */
import { execFileSync } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { definition as azure } from "../../src/connectors/azure/index.js";
import { getConnector } from "../../src/connectors/registry.js";
import { runConnectorContract } from "../contract/connector-contract.js";
import { startEntraServer } from "../servers/azure-identity/server.js";
import { type LoopbackServer, refusedUrl } from "../servers/providers/base.js";
import { makeCertificates } from "../support/certificates.js";
import { assertNoLeak, canary } from "../support/fixtures.js";
import { guardOutput } from "../support/output.js";

const TENANT = randomUUID();
const APP = randomUUID();
const CERT_APP = randomUUID();
const secret = () => `${randomBytes(3).toString("hex")}8Q~${randomBytes(27).toString("base64url")}`;
const SECRET = secret();
const WRONG = secret();

const folder = await mkdtemp(join(tmpdir(), "credkit-entra-"));
const tls = await makeCertificates(folder);
/** A self-signed app certificate and its RSA key in one PEM, as `az ad sp create-for-rbac --create-cert` writes it. */
async function appCertificate(name: string): Promise<string> {
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.pem`,
      "-days",
      "2",
      "-subj",
      `/CN=${name}`,
    ],
    { cwd: folder, stdio: "ignore" },
  );
  return `${await readFile(join(folder, `${name}.key`), "utf8")}${await readFile(join(folder, `${name}.pem`), "utf8")}`;
}
const APP_PEM = await appCertificate("app");
const STRANGER_PEM = await appCertificate("stranger");
const keyBody = (pem: string) => pem.split("\n")[3] ?? "";
guardOutput(() => [SECRET, WRONG, keyBody(APP_PEM), keyBody(STRANGER_PEM)]);

const apps = () => [
  { clientId: APP, secrets: [SECRET] },
  { clientId: CERT_APP, certificates: [APP_PEM] },
];

beforeAll(async () => {
  const dead = await refusedUrl();
  vi.stubEnv("AZURE_AUTHORITY_HOST", dead.replace("http:", "https:"));
  vi.stubEnv("AZURE_TENANT_ID", randomUUID());
  vi.stubEnv("AZURE_CLIENT_ID", randomUUID());
  vi.stubEnv("AZURE_CLIENT_SECRET", canary("azure-env-secret"));
  vi.stubEnv("IDENTITY_ENDPOINT", dead);
  vi.stubEnv("MSI_ENDPOINT", dead);
  delete process.env.AZURE_REGIONAL_AUTHORITY_NAME;
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await rm(folder, { recursive: true, force: true });
});

runConnectorContract({
  definition: azure,
  startServer: () => startEntraServer(TENANT, apps(), { cert: tls.serverCert, key: tls.serverKey }),
  credentials: (key) => ({ tenantId: TENANT, clientId: APP, clientSecret: key }),
  validKey: SECRET,
  wrongKey: WRONG,
  malformedKey: "short",
  options: { ca: tls.ca },
  keyless: (request) => request.path.endsWith("/.well-known/openid-configuration"),
  presentedKey: (request) => new URLSearchParams(String(request.body)).get("client_secret") ?? undefined,
});

describe("azure: tokens from the Microsoft identity platform", () => {
  let server: LoopbackServer;
  beforeAll(async () => {
    server = await startEntraServer(TENANT, apps(), { cert: tls.serverCert, key: tls.serverKey });
  });
  afterAll(async () => {
    await server.close();
  });
  const connect = (credentials: Record<string, string>, ca: string | undefined = tls.ca) =>
    getConnector(
      "azure",
      { tenantId: TENANT, clientId: APP, ...credentials },
      { baseURL: server.url, maxRetries: 0, ...(ca ? { ca } : {}) },
    );

  it("client secret: a token for Azure Resource Manager, tenant and app reported, nothing else called", async () => {
    const before = server.requests.length;
    await using connector = await connect({ clientSecret: SECRET });
    const verdict = await connector.testConnection();
    expect(verdict).toMatchObject({
      success: true,
      status: "active",
      details: { identity: { tenantId: TENANT, appId: APP } },
    });
    const sent = server.requests.slice(before);
    expect(sent.map((request) => `${request.method} ${request.path}`)).toEqual([
      `GET /${TENANT}/v2.0/.well-known/openid-configuration`,
      `POST /${TENANT}/oauth2/v2.0/token`,
    ]);
    const form = new URLSearchParams(String(sent[1]?.body));
    expect(form.get("grant_type")).toBe("client_credentials");
    expect(form.get("scope")).toBe("https://management.azure.com/.default");
    assertNoLeak(verdict, SECRET);
  });

  it("a resource URI is asked for as its /.default scope; an unknown resource is not a key problem", async () => {
    await using graph = await connect({ clientSecret: SECRET, resource: "https://graph.microsoft.com" });
    expect((await graph.testConnection()).success).toBe(true);
    const last = server.requests.at(-1);
    expect(new URLSearchParams(String(last?.body)).get("scope")).toBe("https://graph.microsoft.com/.default");
    await using unknown = await connect({
      clientSecret: SECRET,
      scope: "https://nothing.example.com/.default",
    });
    expect(await unknown.testConnection()).toMatchObject({ success: false, code: "provider_error" });
  });

  it("certificate: a client assertion signed by the registered certificate gets a token; another certificate is refused", async () => {
    await using connector = await getConnector(
      "azure",
      { tenantId: TENANT, clientId: CERT_APP, certificate: APP_PEM },
      { baseURL: server.url, maxRetries: 0, ca: tls.ca },
    );
    const verdict = await connector.testConnection();
    expect(verdict).toMatchObject({
      success: true,
      details: { identity: { tenantId: TENANT, appId: CERT_APP } },
    });
    const form = new URLSearchParams(String(server.requests.at(-1)?.body));
    expect(form.get("client_assertion_type")).toBe("urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
    expect(form.get("client_secret")).toBeNull();
    await using stranger = await getConnector(
      "azure",
      { tenantId: TENANT, clientId: CERT_APP, certificate: STRANGER_PEM },
      { baseURL: server.url, maxRetries: 0, ca: tls.ca },
    );
    const refused = await stranger.testConnection();
    expect(refused).toMatchObject({ success: false, code: "unauthorized" });
    for (const value of [verdict, refused]) assertNoLeak(value, keyBody(STRANGER_PEM));
  });

  it("an unknown app is unauthorized; an unknown tenant, which MSAL cannot tell from a dead authority, unreachable", async () => {
    await using app = await getConnector(
      "azure",
      { tenantId: TENANT, clientId: randomUUID(), clientSecret: SECRET },
      { baseURL: server.url, maxRetries: 0, ca: tls.ca },
    );
    expect(await app.testConnection()).toMatchObject({ success: false, code: "unauthorized" });
    await using tenant = await getConnector(
      "azure",
      { tenantId: randomUUID(), clientId: APP, clientSecret: SECRET },
      { baseURL: server.url, maxRetries: 0, ca: tls.ca },
    );
    expect(await tenant.testConnection()).toMatchObject({ success: false, code: "unreachable" });
  });

  it("neither secret nor certificate, or a certificate without its key: the format verdict, no request", async () => {
    const before = server.requests.length;
    await using none = await connect({});
    expect(await none.testConnection()).toMatchObject({
      code: "invalid_format",
      error: "Azure needs a client secret or a client certificate",
    });
    await using keyless = await connect({ certificate: await readFile(join(folder, "app.pem"), "utf8") });
    expect(await keyless.testConnection()).toMatchObject({
      code: "invalid_format",
      error: "Invalid client certificate for Azure: the certificate PEM holds no unencrypted private key",
    });
    expect(server.requests.length).toBe(before);
  });

  it("TLS is verified: without the stand-in's CA the authority is unreachable and no secret is sent", async () => {
    const before = server.requests.length;
    // another app, so no token cached for the first one can answer
    await using connector = await getConnector(
      "azure",
      { tenantId: TENANT, clientId: CERT_APP, certificate: APP_PEM },
      { baseURL: server.url, maxRetries: 0 },
    );
    expect(await connector.testConnection()).toMatchObject({ success: false, code: "unreachable" });
    expect(server.requests.length).toBe(before);
  });
});
