/**
 * A loopback Azure Key Vault keys data plane for the official `@azure/keyvault-keys` SDK: the
 * bearer challenge (a request without a token gets 401 with `WWW-Authenticate`), RSA keys with
 * versions (`GET /keys/{name}/{version?}` returns the public JWK), `POST .../wrapkey` and
 * `.../unwrapkey` with RSA-OAEP-256 (base64url values, versioned `kid` in answers), disabled
 * versions (403 `Forbidden` with inner `KeyDisabled`), unknown keys (404 `KeyNotFound`), undecryptable
 * values (400 `BadParameter`), throttling (429 with `Retry-After`) and Key Vault's error bodies
 * `{"error":{"code","message","innererror"}}`.
 *
 * Test controls: `createKey(name)`, `rotate(name)`, `setEnabled(name, version, enabled)`,
 * `fault(kind, times)`, `calls`.
 */
import {
  constants,
  generateKeyPairSync,
  type KeyObject,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
} from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

interface KeyVersion {
  readonly id: string;
  readonly publicKey: KeyObject;
  readonly privateKey: KeyObject;
  enabled: boolean;
}

class VaultError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly inner?: string,
  ) {
    super(message);
  }
}

export type AzureKeysFault = "throttle" | "error503" | "flip-unwrap";

export interface AzureKeysServer {
  readonly endpoint: string;
  /** `operation name` of every authenticated call, e.g. `unwrapkey credkit`. */
  readonly calls: string[];
  /** The Bearer token it accepts. */
  readonly token: string;
  createKey(name: string): void;
  rotate(name: string): void;
  setEnabled(name: string, version: number, enabled: boolean): void;
  fault(kind: AzureKeysFault, times?: number): void;
  close(): Promise<void>;
}

const b64url = (data: Buffer) => data.toString("base64url");

function newVersion(): KeyVersion {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return { id: randomBytes(16).toString("hex"), publicKey, privateKey, enabled: true };
}

async function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

/** Starts the server on 127.0.0.1 and a free port. */
export async function startAzureKeysServer(): Promise<AzureKeysServer> {
  const token = `aad-${randomBytes(12).toString("hex")}`;
  const keys = new Map<string, KeyVersion[]>();
  const faults: AzureKeysFault[] = [];
  const calls: string[] = [];
  let endpoint = "";

  const versionOf = (name: string, version: string | undefined): KeyVersion => {
    const versions = keys.get(name.toLowerCase());
    const found = version ? versions?.find((entry) => entry.id === version) : versions?.at(-1);
    if (!found)
      throw new VaultError(
        404,
        "KeyNotFound",
        `A key with (name/id) ${name} was not found in this key vault.`,
      );
    return found;
  };
  const usable = (name: string, entry: KeyVersion, operation: string) => {
    if (!entry.enabled) {
      throw new VaultError(
        403,
        "Forbidden",
        `Operation "${operation}" is not allowed on a disabled key.`,
        "KeyDisabled",
      );
    }
    return `${endpoint}/keys/${name}/${entry.id}`;
  };
  const bundle = (name: string, entry: KeyVersion) => {
    const jwk = entry.publicKey.export({ format: "jwk" });
    return {
      key: {
        kid: `${endpoint}/keys/${name}/${entry.id}`,
        kty: "RSA",
        key_ops: ["wrapKey", "unwrapKey", "encrypt", "decrypt"],
        n: jwk.n,
        e: jwk.e,
      },
      attributes: {
        enabled: entry.enabled,
        created: 1_700_000_000,
        updated: 1_700_000_000,
        recoveryLevel: "Recoverable+Purgeable",
      },
    };
  };

  const operations: Record<
    string,
    (name: string, version: string | undefined, body: Record<string, unknown>) => unknown
  > = {
    "GET ": (name, version) => {
      const entry = versionOf(name, version);
      return bundle(name, entry);
    },
    "POST wrapkey": (name, version, body) => {
      const entry = versionOf(name, version);
      const kid = usable(name, entry, "wrapKey");
      if (body.alg !== "RSA-OAEP-256") throw new VaultError(400, "BadParameter", "Invalid algorithm.");
      const value = publicEncrypt(
        { key: entry.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" },
        Buffer.from(String(body.value), "base64url"),
      );
      return { kid, value: b64url(value) };
    },
    "POST unwrapkey": (name, version, body) => {
      const entry = versionOf(name, version);
      const kid = usable(name, entry, "unwrapKey");
      let value: Buffer;
      try {
        value = privateDecrypt(
          { key: entry.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" },
          Buffer.from(String(body.value), "base64url"),
        );
      } catch {
        throw new VaultError(400, "BadParameter", "Error occurred while decrypting the value.");
      }
      if (faults[0] === "flip-unwrap") {
        faults.shift();
        value[0] = (value[0] as number) ^ 0x01;
      }
      return { kid, value: b64url(value) };
    },
  };

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? "/", endpoint);
    const match = /^\/keys\/([0-9a-zA-Z-]{1,127})(?:\/([0-9a-f]{32})?)?(?:\/(wrapkey|unwrapkey))?\/?$/.exec(
      url.pathname,
    );
    const body = await readJson(request);
    if (!new URLSearchParams(url.search).get("api-version"))
      throw new VaultError(
        400,
        "BadParameter",
        "The api-version query parameter (?api-version=) is required for all requests.",
      );
    if (request.headers.authorization !== `Bearer ${token}`) {
      response.setHeader(
        "www-authenticate",
        'Bearer authorization="https://login.microsoftonline.com/72f988bf-0000-0000-0000-000000000000", resource="https://vault.azure.net"',
      );
      throw new VaultError(401, "Unauthorized", "AKV10000: Request is missing a Bearer or PoP token.");
    }
    const run = match ? operations[`${request.method} ${match[3] ?? ""}`] : undefined;
    if (!match || !run) throw new VaultError(404, "NotFound", "The requested resource was not found.");
    calls.push(`${match[3] ?? "get"} ${match[1]}`);
    if (faults[0] === "throttle") {
      faults.shift();
      response.setHeader("retry-after", "0");
      throw new VaultError(
        429,
        "Throttled",
        "Request was not processed because too many requests were received.",
      );
    }
    if (faults[0] === "error503") {
      faults.shift();
      throw new VaultError(503, "ServiceUnavailable", "The service is unavailable.");
    }
    return run(match[1] as string, match[2], body);
  };

  const server = createServer((request, response) => {
    handle(request, response).then(
      (result) => {
        response.writeHead(200, { "content-type": "application/json; charset=utf-8" });
        response.end(JSON.stringify(result));
      },
      (error: unknown) => {
        const failure =
          error instanceof VaultError ? error : new VaultError(500, "InternalServerError", "Internal error.");
        response.writeHead(failure.status, { "content-type": "application/json; charset=utf-8" });
        const inner = failure.inner ? { innererror: { code: failure.inner } } : {};
        response.end(JSON.stringify({ error: { code: failure.code, message: failure.message, ...inner } }));
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    calls,
    token,
    createKey: (name) => void keys.set(name.toLowerCase(), [newVersion()]),
    rotate: (name) => void keys.get(name.toLowerCase())?.push(newVersion()),
    setEnabled(name, version, enabled) {
      const entry = keys.get(name.toLowerCase())?.[version - 1];
      if (entry) entry.enabled = enabled;
    },
    fault: (kind, times = 1) => faults.push(...Array.from({ length: times }, () => kind)),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
