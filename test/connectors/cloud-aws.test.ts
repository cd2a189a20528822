/**
 * The aws connector through the official @aws-sdk/client-sts against the loopback STS stand-in
 * (query protocol, XML, SigV4 verified): the connector contract, GetCallerIdentity and AssumeRole
 * verdicts with account and principal, and a refused role named as the missing permission. The
 * SDK is pinned to loopback: no default credential chain, no instance metadata.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { definition as aws } from "../../src/connectors/aws/index.js";
import { getConnector } from "../../src/connectors/registry.js";
import { runConnectorContract } from "../contract/connector-contract.js";
import { startStsServer, stsError } from "../servers/aws-sts/server.js";
import { verifySigV4 } from "../servers/aws-sts/sigv4.js";
import { type LoopbackServer, refusedUrl } from "../servers/providers/base.js";
import { assertNoLeak, canary } from "../support/fixtures.js";
import { guardOutput } from "../support/output.js";

const secret = () => randomBytes(30).toString("base64");
const keyId = () => `AKIA${randomBytes(8).toString("hex").toUpperCase()}`;
const ALICE = { id: keyId(), secret: secret() };
const ROLE = "arn:aws:iam::123456789012:role/billing-reader";
const OTHER_ROLE = "arn:aws:iam::123456789012:role/admin";
const wrongSecret = secret();
guardOutput(() => [ALICE.secret, wrongSecret]);

const principals = () => ({
  [ALICE.id]: {
    secretAccessKey: ALICE.secret,
    arn: "arn:aws:iam::123456789012:user/alice",
    userId: "AIDACKCEVSQ6C2EXAMPLE",
    account: "123456789012",
    mayAssume: [ROLE],
  },
});

beforeAll(async () => {
  const dead = await refusedUrl();
  vi.stubEnv("AWS_EC2_METADATA_DISABLED", "true");
  vi.stubEnv("AWS_ACCESS_KEY_ID", "AKIAHOSTKEYNOTUSED00");
  vi.stubEnv("AWS_SECRET_ACCESS_KEY", "host-secret-that-must-not-be-used");
  vi.stubEnv("AWS_PROFILE", "");
  vi.stubEnv("AWS_REGION", "");
  vi.stubEnv("AWS_CONFIG_FILE", "/nonexistent/credkit-test/config");
  vi.stubEnv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credkit-test/credentials");
  vi.stubEnv("AWS_ENDPOINT_URL", dead);
  vi.stubEnv("AWS_ENDPOINT_URL_STS", dead);
  vi.stubEnv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "");
  vi.stubEnv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "");
});
afterAll(() => {
  vi.unstubAllEnvs();
});

runConnectorContract({
  definition: aws,
  startServer: () => startStsServer(principals()),
  credentials: (key) => ({ accessKeyId: ALICE.id, secretAccessKey: key }),
  validKey: ALICE.secret,
  wrongKey: wrongSecret,
  malformedKey: "not-forty-characters",
  presentedKey: (request) => (verifySigV4(request as never, ALICE.secret, "sts") ? ALICE.secret : undefined),
});

describe("aws: STS verdicts", () => {
  let server: LoopbackServer;
  beforeAll(async () => {
    server = await startStsServer(principals());
  });
  afterAll(async () => {
    await server.close();
  });
  const connect = (extra: Record<string, string> = {}) =>
    getConnector(
      "aws",
      { accessKeyId: ALICE.id, secretAccessKey: ALICE.secret, ...extra },
      { baseURL: server.url, maxRetries: 0 },
    );

  it("GetCallerIdentity: the account and the user's ARN, one signed query-protocol request", async () => {
    const before = server.requests.length;
    await using connector = await connect({ region: "eu-west-1" });
    const verdict = await connector.testConnection();
    expect(verdict).toMatchObject({
      success: true,
      status: "active",
      details: { identity: { account: "123456789012", principal: "arn:aws:iam::123456789012:user/alice" } },
    });
    const sent = server.requests.slice(before);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.body).toBe("Action=GetCallerIdentity&Version=2011-06-15");
    expect(String(sent[0]?.headers.authorization)).toContain(`/eu-west-1/sts/aws4_request`);
    assertNoLeak(verdict, ALICE.secret);
  });

  it("AssumeRole: the role session is the principal, and GetCallerIdentity runs signed by the temporary keys", async () => {
    const before = server.requests.length;
    await using connector = await connect({ roleArn: ROLE });
    const verdict = await connector.testConnection();
    expect(verdict.details.identity).toEqual({
      account: "123456789012",
      principal: "arn:aws:sts::123456789012:assumed-role/billing-reader/credkit-connection-test",
    });
    const sent = server.requests.slice(before);
    expect(sent.map((request) => new URLSearchParams(String(request.body)).get("Action"))).toEqual([
      "AssumeRole",
      "GetCallerIdentity",
    ]);
    expect(sent[1]?.headers["x-amz-security-token"]).toBeTruthy();
    expect(await connector.callerIdentity()).toMatchObject({ account: "123456789012" });
  });

  it("a role the user may not assume: forbidden, naming sts:AssumeRole", async () => {
    await using connector = await connect({ roleArn: OTHER_ROLE });
    expect(await connector.testConnection()).toMatchObject({
      success: false,
      code: "forbidden",
      error: "Service account lacks required permissions: sts:AssumeRole",
      details: { httpStatus: 403 },
    });
  });

  it("an unknown access key id is unauthorized; a malformed key id is invalid_format with no request", async () => {
    await using unknown = await getConnector(
      "aws",
      { accessKeyId: keyId(), secretAccessKey: ALICE.secret },
      { baseURL: server.url, maxRetries: 0 },
    );
    expect(await unknown.testConnection()).toMatchObject({ success: false, code: "unauthorized" });
    const before = server.requests.length;
    await using malformed = await connect({ accessKeyId: "AKIA-lowercase-bad" });
    expect(await malformed.testConnection()).toMatchObject({
      code: "invalid_format",
      error: "Invalid Access key id format for AWS",
    });
    expect(server.requests.length).toBe(before);
  });
});

describe("aws: the AssumeRole temporary credentials are scrubbed like the connection's own keys", () => {
  const temporarySecret = canary("aws-temporary-secret");
  const temporaryToken = canary("aws-session-token");
  let server: LoopbackServer;
  beforeAll(async () => {
    server = await startStsServer(principals(), {
      temporary: () => ({ secretAccessKey: temporarySecret, sessionToken: temporaryToken }),
      // a provider (or a proxy) echoing the credentials it was sent in its error
      answerTemporary: (principal) =>
        stsError(
          400,
          "ValidationError",
          `Rejected secret ${principal.secretAccessKey} token ${principal.sessionToken}`,
        ),
    });
  });
  afterAll(async () => {
    await server.close();
  });

  it("an error echoing the temporary secret and session token is redacted", async () => {
    await using connector = await getConnector(
      "aws",
      { accessKeyId: ALICE.id, secretAccessKey: ALICE.secret, roleArn: ROLE },
      { baseURL: server.url, maxRetries: 0 },
    );
    let thrown: unknown;
    try {
      await connector.callerIdentity();
    } catch (error) {
      thrown = error;
    }
    expect((thrown as { code?: string } | undefined)?.code).toBe("validation");
    assertNoLeak(thrown, temporarySecret);
    assertNoLeak(thrown, temporaryToken);
    const verdict = await connector.testConnection();
    expect(verdict).toMatchObject({ success: false });
    assertNoLeak(verdict, temporarySecret);
  });
});
