/**
 * The suite every connector passes, built-in or not. The test functions are injected (vitest's or
 * any compatible runner's), and so is the provider stand-in the connector talks to, so a connector
 * written outside this repository proves itself with the same checks: the key format check, the
 * key on the wire, the `testConnection()` verdicts, scrubbing, the egress guard and cleanup.
 *
 *   import { afterAll, beforeAll, describe, expect, it } from "vitest";
 *   runConnectorContract(
 *     { definition, startServer, credentials: (key) => ({ apiKey: key }), validKey, wrongKey, ... },
 *     { afterAll, beforeAll, describe, expect, it },
 *   );
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { ConnectorDefinition } from "../connectors/define.js";
import type { Connector, ConnectorCredentials, ConnectorOptions } from "../connectors/types.js";
import { CredkitError } from "../core/errors.js";
import { everyForm } from "./fixtures.js";
import type { TestFunctions } from "./test-functions.js";

/** What the suite reads from a request the stand-in recorded. */
export interface StandInRequest {
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The parsed body (JSON, else text), where the credential travels in it (e.g. a token request). */
  readonly body?: unknown | undefined;
}

/** A provider stand-in on 127.0.0.1 that accepts `validKey` and refuses any other. */
export interface ProviderStandIn {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly requests: readonly StandInRequest[];
  close(): Promise<void>;
}

/** Options of `runConnectorContract`. */
export interface ConnectorContractOptions {
  // biome-ignore lint/suspicious/noExplicitAny: any connector definition, whatever its client and SDK module
  readonly definition: ConnectorDefinition<string, Connector, any>;
  /** Starts the stand-in (once per suite). */
  startServer(): Promise<ProviderStandIn>;
  /** Appended to the stand-in's URL to make the SDK's base URL, e.g. `/v1`. @default "" */
  readonly basePath?: string | undefined;
  /** The connector's credentials around a key, e.g. `(key) => ({ apiKey: key })`. */
  credentials(key: string): ConnectorCredentials;
  /** A key the stand-in accepts. */
  readonly validKey: string;
  /** A well-formed key the stand-in refuses. */
  readonly wrongKey: string;
  /** A key of the wrong format; leave out when the connector declares no pattern. */
  readonly malformedKey?: string | undefined;
  /** The key a recorded request presented (header, query…), if any. */
  presentedKey(request: StandInRequest): string | undefined;
  /**
   * Requests that carry no credential by the provider's protocol (e.g. an OpenID discovery
   * document the SDK reads before the token request): left out of the key-on-the-wire check.
   * @default none
   */
  keyless?: ((request: StandInRequest) => boolean) | undefined;
  /** More connector options (`maxRetries: 0` and `baseURL` are set by the suite). */
  readonly options?: ConnectorOptions | undefined;
}

/** Errors carrying `key` where util.inspect's limits and naive scrubbers do not look. */
function plantedErrors(key: string): unknown[] {
  let deep: Record<string, unknown> = { key };
  for (let level = 0; level < 12; level++) deep = { deep };
  let chained = new Error(`root ${key}`);
  for (let level = 0; level < 12; level++) chained = new Error(`link ${level}`, { cause: chained });
  return [
    new Error(`failed with ${key}`),
    chained,
    Object.assign(new Error("HTTP 400"), { responseBody: `${"x".repeat(12_000)}${key}` }),
    Object.assign(new Error("failed"), { items: [...Array(150).fill("ok"), key], deep }),
    Object.assign(new Error("failed"), {
      map: new Map<unknown, unknown>([...Array.from({ length: 120 }, (_, i) => [i, i] as const), [key, key]]),
    }),
    Object.defineProperty(new Error("failed"), "hidden", { get: () => key }),
    new Error(`echo ${key.slice(0, Math.max(16, key.length - 4))}`),
    new Error(
      `form ${new URLSearchParams({ api_key: key })} json ${JSON.stringify(key).replace(/\//g, "\\/")}`,
    ),
    new Error(
      `hex ${Buffer.from(key).toString("hex")} basic ${Buffer.from(`user:${key}`).toString("base64")}`,
    ),
  ];
}

interface Listener {
  readonly url: string;
  readonly hits: () => number;
  close(): Promise<void>;
}

/** A loopback HTTP listener that only counts what reaches it. */
async function startListener(): Promise<Listener> {
  let hits = 0;
  const server: Server = createServer((_request, response) => {
    hits++;
    response.writeHead(200, { "content-type": "application/json" }).end("{}");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits: () => hits,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A URL whose port refuses connections. */
async function refusedURL(): Promise<string> {
  const listener = await startListener();
  await listener.close();
  return listener.url;
}

const TIMEOUT = 30_000;

/** Registers the connector contract for one connector. */
export function runConnectorContract(options: ConnectorContractOptions, test: TestFunctions): void {
  const { describe, it, expect, beforeAll, afterAll } = test;
  const { definition, validKey, wrongKey } = options;
  const { spec } = definition;
  const takesBaseURL = spec.fields.some((field) => field.name === "baseURL");

  describe(`connector contract: ${spec.id}`, () => {
    let server: ProviderStandIn;
    let listener: Listener;
    const base = () => `${server.url}${options.basePath ?? ""}`;
    const connect = (key: string, extra: ConnectorOptions = {}, credentials: ConnectorCredentials = {}) =>
      definition.create(
        { ...options.credentials(key), ...credentials },
        { baseURL: base(), maxRetries: 0, ...options.options, ...extra },
      );
    const noLeak = (value: unknown, where: string) => {
      const text = everyForm(value);
      for (const key of [validKey, wrongKey]) expect(text.includes(key), where).toBe(false);
    };

    beforeAll(async () => {
      server = await options.startServer();
      listener = await startListener();
    });
    afterAll(async () => {
      await server?.close();
      await listener?.close();
    });

    it(
      "format check: a malformed key is invalid_format, with no request made",
      async () => {
        if (options.malformedKey === undefined) {
          expect(spec.fields.some((field) => field.secret && field.pattern !== undefined)).toBe(false);
          return;
        }
        const before = server.requests.length;
        const connector = await connect(options.malformedKey);
        const result = await connector.testConnection();
        await connector.cleanup();
        expect(result).toMatchObject({ success: false, code: "invalid_format", details: { latencyMs: 0 } });
        expect(server.requests.length).toBe(before);
      },
      TIMEOUT,
    );

    it(
      "auth on the wire: the key reaches the provider, and testConnection is active",
      async () => {
        const before = server.requests.length;
        const connector = await connect(validKey);
        const result = await connector.testConnection();
        await connector.cleanup();
        expect(result).toMatchObject({ success: true, status: "active" });
        const sent = server.requests.slice(before).filter((request) => !options.keyless?.(request));
        expect(sent.length).toBeGreaterThan(0);
        expect(sent.every((request) => options.presentedKey(request) === validKey)).toBe(true);
        noLeak(result, "testConnection result");
      },
      TIMEOUT,
    );

    it(
      "testConnection verdicts: a refused key is unauthorized, a closed port unreachable; never throws",
      async () => {
        const wrong = await connect(wrongKey);
        const refused = await wrong.testConnection();
        await wrong.cleanup();
        expect(refused).toMatchObject({ success: false, status: "error", code: "unauthorized" });
        noLeak(refused, "unauthorized verdict");
        const down = await connect(validKey, { baseURL: `${await refusedURL()}${options.basePath ?? ""}` });
        const unreachable = await down.testConnection();
        await down.cleanup();
        expect(unreachable).toMatchObject({ success: false, status: "error", code: "unreachable" });
      },
      TIMEOUT,
    );

    it(
      "scrubbing: errors from call() and scrub() never carry the key, in any shape or encoding",
      async () => {
        const connector = await connect(validKey);
        for (const [index, planted] of plantedErrors(validKey).entries()) {
          let thrown: unknown;
          try {
            await connector.call(async () => {
              throw planted;
            });
          } catch (error) {
            thrown = error;
          }
          expect(CredkitError.isInstance(thrown), `call() error ${index} is typed`).toBe(true);
          noLeak(thrown, `call() error ${index}`);
          noLeak(connector.scrub(planted), `scrub() error ${index}`);
        }
        noLeak(connector, "the connector");
        await connector.cleanup();
      },
      TIMEOUT,
    );

    it(
      "egress: a baseURL in the connection's data never reaches a loopback listener",
      async () => {
        const tenantBase = { baseURL: listener.url };
        // with the operator's baseURL the tenant's is ignored; without it, it is guarded
        const operator = await connect(validKey, {}, tenantBase);
        expect((await operator.testConnection()).success).toBe(true);
        await operator.cleanup();
        if (takesBaseURL) {
          const tenantConnector = await connect(validKey, { baseURL: undefined }, tenantBase);
          const result = await tenantConnector.testConnection();
          await tenantConnector.cleanup();
          expect(result).toMatchObject({ success: false, code: "egress_blocked" });
        }
        expect(listener.hits()).toBe(0);
      },
      TIMEOUT,
    );

    it(
      "cleanup: idempotent; afterwards every method and testConnection refuse, and closed is true",
      async () => {
        const connector = await connect(validKey);
        await connector.cleanup();
        await connector.cleanup();
        expect(connector.closed).toBe(true);
        let refusal: unknown;
        try {
          await connector.testConnection();
        } catch (error) {
          refusal = error;
        }
        expect((refusal as CredkitError | undefined)?.code).toBe("unsupported");
        let callRefusal: unknown;
        try {
          await connector.call(async () => "never");
        } catch (error) {
          callRefusal = error;
        }
        expect((callRefusal as CredkitError | undefined)?.code).toBe("unsupported");
      },
      TIMEOUT,
    );
  });
}
