/**
 * The gcp connector through the official @google-cloud/bigquery (and google-auth-library's JWT
 * flow) against the loopback Google stand-in: OAuth token endpoint verifying the assertion's
 * signature with the account's public key, BigQuery datasets.list and dry-run jobs.query with
 * Google's error bodies. The connector contract; the permissions verdict naming each missing
 * permission; malformed keys refused with no request; the private key in no output. Every
 * endpoint is pinned and the environment points Application Default Credentials and the
 * metadata server at nothing, so no request can leave loopback.
 */
import { createPublicKey, generateKeyPairSync, randomBytes, verify } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { definition as gcp } from "../../src/connectors/gcp/index.js";
import { getConnector } from "../../src/connectors/registry.js";
import { runConnectorContract } from "../contract/connector-contract.js";
import {
  type BigQueryStandIn,
  GOOGLE_TOKEN_AUDIENCE,
  type StandInAccount,
  startBigQueryServer,
} from "../servers/gcp-bigquery/server.js";
import { refusedUrl } from "../servers/providers/base.js";
import { assertNoLeak, everyForm } from "../support/fixtures.js";
import { guardOutput } from "../support/output.js";

const PROJECT = "billing-project-42";
const ALL = ["bigquery.datasets.get", "bigquery.jobs.create", "bigquery.tables.getData"];

function keyPair() {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return {
    privateKey: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    publicKey: publicKey.export({ type: "spki", format: "pem" }).toString(),
  };
}

/** A service account key file as IAM writes it. */
function keyFile(clientEmail: string, privateKey: string): string {
  return JSON.stringify({
    type: "service_account",
    project_id: PROJECT,
    private_key_id: randomBytes(20).toString("hex"),
    private_key: privateKey,
    client_email: clientEmail,
    client_id: "104729384756102938475",
    auth_uri: "https://accounts.google.com/o/oauth2/auth",
    token_uri: "https://oauth2.googleapis.com/token",
    auth_provider_x509_cert_url: "https://www.googleapis.com/oauth2/v1/certs",
    client_x509_cert_url: `https://www.googleapis.com/robot/v1/metadata/x509/${encodeURIComponent(clientEmail)}`,
    universe_domain: "googleapis.com",
  });
}

const alice = { email: `billing-reader@${PROJECT}.iam.gserviceaccount.com`, ...keyPair() };
const impostor = keyPair();
const ALICE_JSON = keyFile(alice.email, alice.privateKey);
const WRONG_JSON = keyFile(alice.email, impostor.privateKey);
/** A run of the private key's body: what a leak of the key alone would contain. */
const keyBody = (pem: string) => pem.split("\n")[3] ?? "";
guardOutput(() => [ALICE_JSON, WRONG_JSON, keyBody(alice.privateKey), keyBody(impostor.privateKey)]);

const account = (email: string, publicKey: string, permissions: readonly string[]): StandInAccount => ({
  clientEmail: email,
  publicKey,
  permissions,
});
const DATASETS = { billing_export: ["gcp_billing_export_v1_01A2B3_C4D5E6_F7G8H9"], analytics: ["events"] };

beforeAll(async () => {
  const dead = await refusedUrl();
  vi.stubEnv("GOOGLE_APPLICATION_CREDENTIALS", "/nonexistent/credkit-test/adc.json");
  vi.stubEnv("GCE_METADATA_HOST", dead.replace("http://", ""));
  vi.stubEnv("GCE_METADATA_IP", dead.replace("http://", ""));
  vi.stubEnv("METADATA_SERVER_DETECTION", "none");
  vi.stubEnv("GOOGLE_CLOUD_PROJECT", "project-from-the-environment");
  vi.stubEnv("GCLOUD_PROJECT", "project-from-the-environment");
  vi.stubEnv("CLOUDSDK_CONFIG", "/nonexistent/credkit-test/gcloud");
  delete process.env.BIGQUERY_EMULATOR_HOST;
});
afterAll(() => {
  vi.unstubAllEnvs();
});

let contractServer: BigQueryStandIn;
runConnectorContract({
  definition: gcp,
  startServer: async () => {
    contractServer = await startBigQueryServer(
      PROJECT,
      [account(alice.email, alice.publicKey, ALL)],
      DATASETS,
    );
    return contractServer;
  },
  credentials: (key) => ({ serviceAccountJson: key }),
  validKey: ALICE_JSON,
  wrongKey: WRONG_JSON,
  malformedKey: '{"type": "service_account", "project_id": ',
  presentedKey: (request) => {
    if (request.path === "/token") {
      const [header, payload, signature] = (
        new URLSearchParams(String(request.body)).get("assertion") ?? ""
      ).split(".");
      const signed = verify(
        "RSA-SHA256",
        Buffer.from(`${header}.${payload}`),
        createPublicKey(alice.publicKey),
        Buffer.from(signature ?? "", "base64url"),
      );
      return signed ? ALICE_JSON : undefined;
    }
    const bearer = String(request.headers.authorization ?? "").replace(/^Bearer /, "");
    return contractServer.tokens.get(bearer)?.clientEmail === alice.email ? ALICE_JSON : undefined;
  },
});

describe("gcp: BigQuery verdicts", () => {
  const bob = { email: `no-bigquery@${PROJECT}.iam.gserviceaccount.com`, ...keyPair() };
  const carol = { email: `lister@${PROJECT}.iam.gserviceaccount.com`, ...keyPair() };
  const dave = { email: `no-table-read@${PROJECT}.iam.gserviceaccount.com`, ...keyPair() };
  let server: BigQueryStandIn;
  beforeAll(async () => {
    server = await startBigQueryServer(
      PROJECT,
      [
        account(alice.email, alice.publicKey, ALL),
        account(bob.email, bob.publicKey, []),
        account(carol.email, carol.publicKey, ["bigquery.datasets.get"]),
        account(dave.email, dave.publicKey, ["bigquery.datasets.get", "bigquery.jobs.create"]),
      ],
      DATASETS,
    );
  });
  afterAll(async () => {
    await server.close();
  });
  const connect = (json: string, extra: Record<string, string> = {}) =>
    getConnector("gcp", { serviceAccountJson: json, ...extra }, { baseURL: server.url, maxRetries: 0 });

  it("a signed token request, datasets listed, the billing export dry-run through jobs.query: active", async () => {
    const before = server.requests.length;
    await using connector = await connect(ALICE_JSON, { billing_dataset_id: "billing_export" });
    const verdict = await connector.testConnection();
    expect(verdict).toMatchObject({
      success: true,
      status: "active",
      details: { identity: { projectId: PROJECT, principal: alice.email } },
    });
    const sent = server.requests.slice(before);
    expect(sent.map((request) => `${request.method} ${request.path}`)).toEqual([
      "POST /token",
      `GET /bigquery/v2/projects/${PROJECT}/datasets`,
      `POST /bigquery/v2/projects/${PROJECT}/queries`,
    ]);
    const assertion = new URLSearchParams(String(sent[0]?.body)).get("assertion") ?? "";
    const claims = JSON.parse(Buffer.from(assertion.split(".")[1] ?? "", "base64url").toString());
    expect(claims).toMatchObject({ iss: alice.email, aud: GOOGLE_TOKEN_AUDIENCE });
    expect(sent[2]?.body).toMatchObject({
      dryRun: true,
      useLegacySql: false,
      query: `SELECT cost FROM \`${PROJECT}.billing_export.gcp_billing_export_*\` LIMIT 1`,
    });
    expect(await connector.listDatasets()).toEqual(["billing_export", "analytics"]);
    for (const text of [ALICE_JSON, keyBody(alice.privateKey)]) assertNoLeak(verdict, text);
  });

  it("a key with no BigQuery permission: the permissions verdict naming bigquery.datasets.get", async () => {
    await using connector = await connect(keyFile(bob.email, bob.privateKey));
    expect(await connector.testConnection()).toMatchObject({
      success: false,
      code: "forbidden",
      error: "Service account lacks required permissions: bigquery.datasets.get",
      details: { httpStatus: 403 },
    });
  });

  it("listing allowed but no query jobs, or no read of the export table: each names its permission", async () => {
    await using lister = await connect(keyFile(carol.email, carol.privateKey), {
      billingDatasetId: "billing_export",
    });
    expect(await lister.testConnection()).toMatchObject({
      code: "forbidden",
      error: "Service account lacks required permissions: bigquery.jobs.create",
    });
    await using noRead = await connect(keyFile(dave.email, dave.privateKey), {
      billingDatasetId: "billing_export",
    });
    expect(await noRead.testConnection()).toMatchObject({
      code: "forbidden",
      error: "Service account lacks required permissions: bigquery.tables.getData",
    });
    // without a billing dataset configured, listing is all the integration needs
    await using listerOnly = await connect(keyFile(carol.email, carol.privateKey));
    expect((await listerOnly.testConnection()).success).toBe(true);
  });

  it("a billing dataset that does not exist is reported with BigQuery's 404", async () => {
    await using connector = await connect(ALICE_JSON, { billingDatasetId: "no_such_dataset" });
    expect(await connector.testConnection()).toMatchObject({
      success: false,
      code: "provider_error",
      details: { httpStatus: 404 },
    });
  });

  it("malformed keys get the format verdict with no request, and the verdict echoes nothing", async () => {
    const planted = `planted-${randomBytes(12).toString("hex")}`;
    const parsed = JSON.parse(ALICE_JSON) as Record<string, string>;
    const cases: Array<[string, string]> = [
      [`{"type": "service_account", "private_key": "${planted}`, "it is not valid JSON"],
      [JSON.stringify([planted]), "it is not a JSON object"],
      [
        JSON.stringify({ ...parsed, type: "authorized_user", refresh_token: planted }),
        'its "type" is not "service_account"',
      ],
      [
        JSON.stringify({ ...parsed, project_id: `Bad ${planted}` }),
        '"project_id" is missing or not a project id',
      ],
      [
        JSON.stringify({ ...parsed, client_email: planted }),
        '"client_email" is missing or not a service account email',
      ],
      [
        JSON.stringify({
          ...parsed,
          private_key: `-----BEGIN PRIVATE KEY-----\n${planted}\n-----END PRIVATE KEY-----\n`,
        }),
        '"private_key" is missing or not a PEM private key',
      ],
    ];
    const before = server.requests.length;
    for (const [json, problem] of cases) {
      await using connector = await connect(json, { billingDatasetId: "billing_export" });
      const verdict = await connector.testConnection();
      expect(verdict).toMatchObject({
        success: false,
        code: "invalid_format",
        error: `Invalid service account JSON for Google Cloud: ${problem}`,
        details: { latencyMs: 0 },
      });
      assertNoLeak(verdict, planted);
      // call() on a malformed key is refused by the SDK locally, never sent anywhere
      await expect(connector.listDatasets()).rejects.toMatchObject({ name: expect.any(String) });
    }
    expect(server.requests.length).toBe(before);
  });

  it("the private key appears in no error, verdict or printed connector", async () => {
    const wrongPort = await refusedUrl();
    await using connector = await connect(WRONG_JSON);
    const refused = await connector.testConnection();
    expect(refused).toMatchObject({
      code: "unauthorized",
      error: "Google Cloud API key is invalid or expired",
    });
    await using down = await getConnector(
      "gcp",
      { serviceAccountJson: ALICE_JSON },
      { baseURL: wrongPort, maxRetries: 0 },
    );
    expect(await down.testConnection()).toMatchObject({ code: "unreachable" });
    let thrown: unknown;
    try {
      await connector.call(async () => {
        throw new Error(`SDK echo: ${JSON.parse(WRONG_JSON).private_key}`);
      });
    } catch (error) {
      thrown = error;
    }
    for (const value of [
      refused,
      thrown,
      connector,
      connector.scrub(new Error(keyBody(impostor.privateKey))),
    ]) {
      const text = everyForm(value);
      expect(text.includes(keyBody(impostor.privateKey))).toBe(false);
      expect(text.includes(keyBody(alice.privateKey))).toBe(false);
    }
  });
});
