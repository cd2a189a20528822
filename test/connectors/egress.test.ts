/**
 * The egress guard: URLs from tenant data (a connection's `baseURL`) never reach loopback,
 * link-local, private or unique-local addresses — checked on the resolved address, at connect
 * time, for every hop — while URLs the operator passes in code stay trusted.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { type EgressLookup, EgressPolicy } from "../../src/connectors/egress.js";
import { getConnector, withConnector } from "../../src/connectors/registry.js";
import { EgressBlockedError } from "../../src/core/errors.js";
import { type LoopbackServer, refusedUrl, startLoopback } from "../servers/providers/base.js";
import { startOpenAIServer } from "../servers/providers/openai.js";
import { guardOutput } from "../support/output.js";
import { providerKey, rejection, SDK_ENV } from "./support.js";

const token = `tok-${providerKey("sk-")}`;
const openaiKey = providerKey("sk-");
guardOutput(() => [token, openaiKey]);

/** A resolver answering from a table; unknown names fail like NXDOMAIN. */
function resolver(table: Record<string, string[]>): EgressLookup & { calls: string[] } {
  const calls: string[] = [];
  const lookup = async (hostname: string) => {
    calls.push(hostname);
    const answers = table[hostname];
    if (!answers) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" });
    return answers.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
  };
  return Object.assign(lookup, { calls });
}

let listener: LoopbackServer;
let port: number;

beforeAll(async () => {
  for (const name of SDK_ENV) vi.stubEnv(name, "");
  listener = await startLoopback(
    () => undefined,
    () => ({ status: 200, body: { internal: "secret admin page" } }),
  );
  port = Number(new URL(listener.url).port);
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await listener.close();
});
afterEach(() => {
  listener.requests.length = 0;
});

describe("issue 14 item 1: address classification", () => {
  const blocked = [
    "127.0.0.1",
    "127.1",
    "2130706433",
    "0x7f.1",
    "0x7f000001",
    "017700000001",
    "0177.0.0.1",
    "0.0.0.0",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "100.64.0.1",
    "169.254.169.254",
    "::1",
    "[::1]",
    "::",
    "::ffff:127.0.0.1",
    "::ffff:7f00:1",
    "[::ffff:169.254.169.254]",
    "::ffff:10.0.0.1",
    "fe80::1",
    "fe80::1%eth0",
    "fc00::1",
    "fd12:3456::1",
    "64:ff9b::7f00:1",
    "2002:7f00:1::",
    "224.0.0.1",
    "ff02::1",
    "not-an-address",
  ];
  const allowed = ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "::ffff:93.184.216.34"];

  it.each(blocked)("refuses %s", (address) => {
    expect(new EgressPolicy().addressAllowed(address)).toBe(false);
  });
  it.each(allowed)("accepts the public address %s", (address) => {
    expect(new EgressPolicy().addressAllowed(address)).toBe(true);
  });

  it("allows the ranges and hosts an operator names, and nothing next to them", () => {
    const policy = new EgressPolicy({
      allowRanges: ["10.20.0.0/16", "fd00:1::/64", "192.168.5.5", "::ffff:172.16.0.0/108"],
      allowHosts: ["gateway.internal", "*.corp.example"],
    });
    expect(policy.addressAllowed("10.20.9.9")).toBe(true);
    expect(policy.addressAllowed("10.21.0.1")).toBe(false);
    expect(policy.addressAllowed("fd00:1::7")).toBe(true);
    expect(policy.addressAllowed("fd00:2::7")).toBe(false);
    expect(policy.addressAllowed("192.168.5.5")).toBe(true);
    expect(policy.addressAllowed("::ffff:192.168.5.5")).toBe(true);
    expect(policy.addressAllowed("192.168.5.6")).toBe(false);
    expect(policy.addressAllowed("172.16.3.3")).toBe(true);
    expect(policy.addressAllowed("127.0.0.1")).toBe(false);
    expect(policy.hostAllowed("gateway.internal")).toBe(true);
    expect(policy.hostAllowed("GATEWAY.internal.")).toBe(true);
    expect(policy.hostAllowed("api.corp.example")).toBe(true);
    expect(policy.hostAllowed("corp.example.evil")).toBe(false);
    expect(policy.hostAllowed("evilgateway.internal")).toBe(false);
    expect(() => new EgressPolicy({ allowRanges: ["ten-dot"] })).toThrow(/allowRanges/);
  });
});

describe("issue 14 item 1: DNS answers are checked", () => {
  const cases: Array<[string, string[], "blocked" | string]> = [
    ["loopback answer", ["127.0.0.1"], "blocked"],
    ["IPv6 loopback answer", ["::1"], "blocked"],
    ["IPv4-mapped metadata answer", ["::ffff:169.254.169.254"], "blocked"],
    ["private answers only", ["10.0.0.1", "fd00::1"], "blocked"],
    ["public answer", ["93.184.216.34"], "93.184.216.34"],
    ["private then public: only the public one is used", ["10.0.0.1", "93.184.216.34"], "93.184.216.34"],
  ];
  it.each(cases)("%s", async (_title, answers, expected) => {
    const policy = new EgressPolicy({ lookup: resolver({ "api.example.test": answers }) });
    const outcome = await policy.resolve("api.example.test").catch((error: unknown) => error);
    if (expected === "blocked") expect(EgressBlockedError.isInstance(outcome)).toBe(true);
    else expect(outcome).toBe(expected);
  });
});

describe("issue 14 item 1: a tenant's baseURL cannot reach internal addresses", () => {
  const forms = () => [
    `http://127.0.0.1:${port}`,
    `http://2130706433:${port}`,
    `http://0x7f.1:${port}`,
    `http://127.1:${port}`,
    `http://[::ffff:127.0.0.1]:${port}`,
    `http://[::1]:${port}`,
    `http://localhost:${port}`,
  ];

  it("testConnection gives the egress_blocked verdict and the loopback listener receives zero requests", async () => {
    for (const baseURL of forms()) {
      const connector = await getConnector("http", { token, baseURL });
      const result = await connector.testConnection();
      await connector.cleanup();
      expect(result, baseURL).toMatchObject({ success: false, status: "error", code: "egress_blocked" });
    }
    expect(listener.requests).toHaveLength(0);
  });

  it("withConnector refuses the call with EgressBlockedError; the internal body never comes back", async () => {
    const error = await rejection(
      withConnector("http", { token, baseURL: `http://127.0.0.1:${port}` }, (http) => http.get("/")),
    );
    expect(EgressBlockedError.isInstance(error)).toBe(true);
    expect((error as EgressBlockedError).code).toBe("egress_blocked");
    expect(String(error.message)).not.toContain("secret admin page");
    expect(listener.requests).toHaveLength(0);
  });

  it("the metadata address is refused before any connection", async () => {
    const lookup = resolver({});
    const connector = await getConnector(
      "http",
      { token, baseURL: "http://169.254.169.254/latest/meta-data/" },
      { egress: { lookup } },
    );
    expect(await connector.testConnection()).toMatchObject({ code: "egress_blocked" });
    await connector.cleanup();
  });

  it("an open and a closed port get the same verdict (no port scanning)", async () => {
    const closed = new URL(await refusedUrl()).port;
    const verdicts = [];
    for (const target of [port, closed]) {
      const connector = await getConnector("http", { token, baseURL: `http://127.0.0.1:${target}` });
      const { testedAt: _at, details: _details, ...verdict } = await connector.testConnection();
      verdicts.push(verdict);
      await connector.cleanup();
    }
    expect(verdicts[0]).toEqual(verdicts[1]);
    expect(verdicts[0]?.code).toBe("egress_blocked");
  });

  it("a DNS answer that changes after the check is checked again at connect time", async () => {
    let calls = 0;
    const lookup: EgressLookup = async () => {
      calls++;
      return [{ address: calls === 1 ? "93.184.216.34" : "127.0.0.1", family: 4 }];
    };
    const connector = await getConnector(
      "http",
      { token, baseURL: `http://rebind.example.test:${port}` },
      { egress: { lookup }, maxRetries: 0 },
    );
    const result = await connector.testConnection();
    await connector.cleanup();
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(result.code).toBe("egress_blocked");
    expect(listener.requests).toHaveLength(0);
  });

  it("an operator can allow a range; the operator's own baseURL is trusted", async () => {
    const allowed = await getConnector(
      "http",
      { token, baseURL: `http://127.0.0.1:${port}` },
      { egress: { allowRanges: ["127.0.0.0/8"] } },
    );
    expect((await allowed.testConnection()).success).toBe(true);
    await allowed.cleanup();
    const operator = await getConnector("http", { token }, { baseURL: `http://127.0.0.1:${port}` });
    expect((await operator.testConnection()).success).toBe(true);
    await operator.cleanup();
    expect(listener.requests).toHaveLength(2);
  });
});

describe("issue 14 item 1: redirects are checked on every hop", () => {
  let publicLooking: Server;
  let publicPort: number;
  let openai: LoopbackServer;

  beforeAll(async () => {
    openai = await startOpenAIServer({ apiKey: openaiKey });
    publicLooking = createServer((_request, response) => {
      response.writeHead(302, { location: `http://127.0.0.1:${port}/v1/models` }).end();
    });
    await new Promise<void>((resolve) => publicLooking.listen(0, "127.0.0.1", resolve));
    publicPort = (publicLooking.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await openai.close();
    await new Promise<void>((resolve) => publicLooking.close(() => resolve()));
  });

  it("a redirect from a public-looking host to loopback is blocked; the loopback listener receives nothing", async () => {
    const egress = {
      allowHosts: ["api.public.example"],
      lookup: resolver({ "api.public.example": ["127.0.0.1"] }),
    };
    const connector = await getConnector(
      "openai",
      { apiKey: openaiKey, baseURL: `http://api.public.example:${publicPort}/v1` },
      { egress, maxRetries: 0 },
    );
    const result = await connector.testConnection();
    await connector.cleanup();
    expect(result).toMatchObject({ success: false, code: "egress_blocked" });
    expect(listener.requests).toHaveLength(0);
  });

  it("an openai baseURL from the connection's data is guarded too", async () => {
    const connector = await getConnector("openai", { apiKey: openaiKey, baseURL: `${openai.url}/v1` });
    expect((await connector.testConnection()).code).toBe("egress_blocked");
    await connector.cleanup();
    expect(openai.requests).toHaveLength(0);
  });
});
