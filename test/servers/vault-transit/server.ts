/**
 * A loopback HashiCorp Vault transit engine, speaking Vault's HTTP API as the real server does:
 * `POST /v1/<mount>/encrypt/:key` (creates the key on first use, like Vault's upsert; a
 * `key_version` chooses the version, refused above the latest or below `min_encryption_version`),
 * `decrypt`, `rewrap`, `GET /v1/<mount>/keys/:key`, `POST .../keys/:key/rotate` and
 * `.../keys/:key/config` (`min_decryption_version`); ciphertexts `vault:v<N>:<base64>`;
 * `associated_data` authenticated with AES-256-GCM; `{"errors":[...]}` bodies with Vault's
 * statuses and messages (403 permission denied, 400 for bad or too-old ciphertexts, 429 rate limit
 * quota, 500 internal error); `X-Vault-Token` checked on every request.
 *
 * Test controls: `fault(kind, times)`, `calls` (paths seen), `rotate(key)`,
 * `setMinDecryptionVersion(key, n)`, `setMinEncryptionVersion(key, n)`.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

interface TransitKey {
  readonly versions: Buffer[];
  minDecryptionVersion: number;
  /** 0 (any version) or the lowest version `encrypt` may use. */
  minEncryptionVersion: number;
  readonly created: string[];
}

class VaultError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export type VaultTransitFault = "rate-limit" | "error500" | "flip-plaintext";

export interface VaultTransitServer {
  readonly endpoint: string;
  readonly token: string;
  /** `operation key` of every request, e.g. `decrypt credkit`. */
  readonly calls: string[];
  fault(kind: VaultTransitFault, times?: number): void;
  rotate(key: string): void;
  setMinDecryptionVersion(key: string, version: number): void;
  setMinEncryptionVersion(key: string, version: number): void;
  close(): Promise<void>;
}

const AAD_REQUIRED = "associated_data";

function encrypt(material: Buffer, plaintext: Buffer, aad: Buffer): Buffer {
  const nonce = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", material, nonce);
  cipher.setAAD(aad);
  return Buffer.concat([nonce, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

function decrypt(material: Buffer, sealed: Buffer, aad: Buffer): Buffer {
  const decipher = createDecipheriv("aes-256-gcm", material, sealed.subarray(0, 12));
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  return Buffer.concat([decipher.update(sealed.subarray(12, sealed.length - 16)), decipher.final()]);
}

async function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

/** Starts the server on 127.0.0.1 and a free port, with the transit engine at `mount`. */
export async function startVaultTransitServer(mount = "transit"): Promise<VaultTransitServer> {
  const token = `hvs.${randomBytes(12).toString("hex")}`;
  const keys = new Map<string, TransitKey>();
  const faults: VaultTransitFault[] = [];
  const calls: string[] = [];

  const keyOf = (name: string, create: boolean): TransitKey => {
    let key = keys.get(name);
    if (!key && create) {
      key = {
        versions: [randomBytes(32)],
        minDecryptionVersion: 1,
        minEncryptionVersion: 0,
        created: [new Date().toISOString()],
      };
      keys.set(name, key);
    }
    if (!key) throw new VaultError(400, "encryption key not found");
    return key;
  };

  const open = (key: TransitKey, ciphertext: unknown, aad: Buffer): Buffer => {
    const match = /^vault:v(\d+):([A-Za-z0-9+/=]+)$/.exec(String(ciphertext ?? ""));
    if (!match) throw new VaultError(400, "invalid ciphertext: no prefix");
    const version = Number(match[1]);
    if (version < key.minDecryptionVersion) {
      throw new VaultError(400, "ciphertext or signature version is disallowed by policy (too old)");
    }
    const material = key.versions[version - 1];
    if (!material) throw new VaultError(400, "invalid ciphertext: version is too new");
    try {
      return decrypt(material, Buffer.from(match[2] as string, "base64"), aad);
    } catch {
      throw new VaultError(400, "cipher: message authentication failed");
    }
  };

  /** Vault's `key_version` rules: 0 or absent is the latest; never above it nor below the minimum. */
  const seal = (key: TransitKey, plaintext: Buffer, aad: Buffer, requested?: unknown) => {
    const asked = requested === undefined ? 0 : Number(requested);
    if (!Number.isInteger(asked)) throw new VaultError(400, "invalid key version");
    const version = asked === 0 ? key.versions.length : asked;
    if (version < 0) throw new VaultError(400, "requested version for encryption is negative");
    if (version > key.versions.length) {
      throw new VaultError(400, "requested version for encryption is higher than the latest key version");
    }
    if (version < key.minEncryptionVersion) {
      throw new VaultError(
        400,
        "requested version for encryption is less than the minimum encryption key version",
      );
    }
    const sealed = encrypt(key.versions[version - 1] as Buffer, plaintext, aad);
    return { ciphertext: `vault:v${version}:${sealed.toString("base64")}`, key_version: version };
  };

  const aadOf = (body: Record<string, unknown>) => Buffer.from(String(body[AAD_REQUIRED] ?? ""), "base64");

  const routes: Record<string, (name: string, body: Record<string, unknown>) => unknown> = {
    "POST encrypt": (name, body) =>
      seal(
        keyOf(name, true),
        Buffer.from(String(body.plaintext ?? ""), "base64"),
        aadOf(body),
        body.key_version,
      ),
    "POST decrypt": (name, body) => {
      const plaintext = open(keyOf(name, false), body.ciphertext, aadOf(body));
      if (faults[0] === "flip-plaintext") {
        faults.shift();
        plaintext[0] = (plaintext[0] as number) ^ 0x01;
      }
      return { plaintext: plaintext.toString("base64") };
    },
    "POST rewrap": (name, body) => {
      const key = keyOf(name, false);
      return seal(key, open(key, body.ciphertext, aadOf(body)), aadOf(body), body.key_version);
    },
    "GET keys": (name) => {
      if (!keys.has(name)) throw new VaultError(404, "");
      const key = keyOf(name, false);
      return {
        name,
        type: "aes256-gcm96",
        latest_version: key.versions.length,
        min_decryption_version: key.minDecryptionVersion,
        min_encryption_version: key.minEncryptionVersion,
        supports_encryption: true,
        supports_decryption: true,
        keys: Object.fromEntries(
          key.created.map((time, index) => [String(index + 1), Math.floor(Date.parse(time) / 1000)]),
        ),
      };
    },
  };

  const handle = async (request: IncomingMessage): Promise<unknown> => {
    const match = new RegExp(`^/v1/${mount}/(encrypt|decrypt|rewrap|keys)/([A-Za-z0-9_-]+)$`).exec(
      (request.url ?? "").split("?")[0] as string,
    );
    const body = await readJson(request);
    if (request.headers["x-vault-token"] !== token) throw new VaultError(403, "permission denied");
    const route = match ? routes[`${request.method} ${match[1]}`] : undefined;
    if (!match || !route) throw new VaultError(404, `no handler for route "${request.url}"`);
    calls.push(`${match[1]} ${match[2]}`);
    if (faults[0] === "rate-limit") {
      faults.shift();
      throw new VaultError(429, `request path "${mount}/${match[1]}/${match[2]}": rate limit quota exceeded`);
    }
    if (faults[0] === "error500") {
      faults.shift();
      throw new VaultError(500, "internal error");
    }
    return route(match[2] as string, body);
  };

  const respond = (response: ServerResponse, status: number, body: unknown) => {
    response.writeHead(status, { "content-type": "application/json" });
    response.end(JSON.stringify(body));
  };

  const server = createServer((request, response) => {
    handle(request).then(
      (data) => respond(response, 200, { request_id: "00000000-0000-0000-0000-000000000000", data }),
      (error: unknown) => {
        const status = error instanceof VaultError ? error.status : 500;
        const message = error instanceof VaultError ? error.message : "internal error";
        respond(response, status, { errors: message ? [message] : [] });
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    token,
    calls,
    fault: (kind, times = 1) => faults.push(...Array.from({ length: times }, () => kind)),
    rotate(name) {
      const key = keyOf(name, false);
      key.versions.push(randomBytes(32));
      key.created.push(new Date().toISOString());
    },
    setMinDecryptionVersion(name, version) {
      keyOf(name, false).minDecryptionVersion = version;
    },
    setMinEncryptionVersion(name, version) {
      keyOf(name, false).minEncryptionVersion = version;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
