/**
 * A loopback AWS KMS speaking the JSON 1.1 protocol as the real service does: `POST /` dispatched
 * on `x-amz-target: TrentService.<Operation>`, base64 blobs, `{"__type","message"}` errors with the
 * real codes (400; 500 for KMSInternalException), symmetric keys addressed by id, ARN, alias name or
 * alias ARN, Encrypt and GenerateDataKey (KeySpec or NumberOfBytes, exactly one), an encryption
 * context that must match byte for byte on Decrypt (InvalidCiphertextException otherwise), key
 * states (Enabled, Disabled → DisabledException, PendingDeletion → KMSInvalidStateException),
 * DescribeKey (in any state), rotation (new key material; old ciphertexts still decrypt), and
 * refusal of unknown access keys (UnrecognizedClientException).
 *
 * Test controls: `fault(kind, times)` (throttle, 500, flip a byte of the next Decrypt plaintext),
 * `calls` (operations seen), `disable/enable/scheduleDeletion/rotate(keyId)`, `updateAlias(alias,
 * keyId)`, `deny(keyId)`.
 */
import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

const REGION = "us-east-1";
const ACCOUNT = "123456789012";

type KeyState = "Enabled" | "Disabled" | "PendingDeletion";

interface StoredKey {
  readonly id: string;
  readonly arn: string;
  state: KeyState;
  readonly materials: Buffer[];
}

class KmsError extends Error {
  constructor(
    readonly type: string,
    message: string | undefined,
    readonly status = 400,
  ) {
    super(message);
  }
}

export type AwsKmsFault = "throttle" | "error500" | "flip-plaintext";

export interface AwsKmsServer {
  readonly endpoint: string;
  /** Operation names received, in order. */
  readonly calls: string[];
  /** Creates a symmetric key; returns its ARN. `alias` is the alias name without `alias/`. */
  createKey(alias?: string): string;
  fault(kind: AwsKmsFault, times?: number): void;
  disable(keyId: string): void;
  enable(keyId: string): void;
  scheduleDeletion(keyId: string): void;
  /** New key material: new ciphertexts use it, old ones still decrypt. */
  rotate(keyId: string): void;
  /** Points `alias` (without `alias/`) at another key, as UpdateAlias does. */
  updateAlias(alias: string, keyId: string): void;
  /** Refuses every request for this key with AccessDeniedException. */
  deny(keyId: string): void;
  close(): Promise<void>;
}

function seal(material: Buffer, plaintext: Buffer, aad: Buffer): Buffer {
  const nonce = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", material, nonce);
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([nonce, body, cipher.getAuthTag()]);
}

function open(material: Buffer, sealed: Buffer, aad: Buffer): Buffer {
  const decipher = createDecipheriv("aes-256-gcm", material, sealed.subarray(0, 12));
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  return Buffer.concat([decipher.update(sealed.subarray(12, sealed.length - 16)), decipher.final()]);
}

/** The encryption context as the service canonicalises it: sorted keys. */
function contextBytes(context: unknown): Buffer {
  const entries = Object.entries((context ?? {}) as Record<string, string>).sort(([a], [b]) =>
    a < b ? -1 : 1,
  );
  return Buffer.from(JSON.stringify(entries), "utf8");
}

async function readBody(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

/** Starts the server on 127.0.0.1 and a free port. `accessKeyId` is the only key it accepts. */
export async function startAwsKmsServer(accessKeyId = "AKIDKMSTEST"): Promise<AwsKmsServer> {
  const keys = new Map<string, StoredKey>();
  const aliases = new Map<string, string>();
  const denied = new Set<string>();
  const faults: AwsKmsFault[] = [];
  const calls: string[] = [];

  /** The key `keyId` names (id, ARN, alias or alias ARN) if the caller may use it, in any state. */
  const resolve = (keyId: unknown): StoredKey => {
    const text = String(keyId ?? "");
    const aliasName =
      text.startsWith("arn:") && text.includes(":alias/") ? text.slice(text.indexOf(":alias/") + 1) : text;
    const id = aliasName.startsWith("alias/") ? aliases.get(aliasName) : text.split("/").pop();
    const key = id === undefined ? undefined : keys.get(id);
    if (!key) {
      throw new KmsError(
        "NotFoundException",
        aliasName.startsWith("alias/")
          ? `Alias arn:aws:kms:${REGION}:${ACCOUNT}:${aliasName} is not found.`
          : `Key '${text}' does not exist`,
      );
    }
    if (denied.has(key.id)) {
      throw new KmsError(
        "AccessDeniedException",
        `User: arn:aws:iam::${ACCOUNT}:user/credkit-test is not authorized to perform this operation on resource: ${key.arn}`,
      );
    }
    return key;
  };

  /** The key `keyId` names, usable for cryptographic operations. */
  const find = (keyId: unknown): StoredKey => {
    const key = resolve(keyId);
    if (key.state === "Disabled") throw new KmsError("DisabledException", `${key.arn} is disabled.`);
    if (key.state === "PendingDeletion")
      throw new KmsError("KMSInvalidStateException", `${key.arn} is pending deletion.`);
    return key;
  };

  /** The ciphertext blob of `plaintext` under the key's newest material, bound to the context. */
  const wrapUnder = (key: StoredKey, plaintext: Buffer, context: unknown): Buffer => {
    const materialIndex = key.materials.length - 1;
    const header = Buffer.concat([
      Buffer.from([1]),
      Buffer.from(key.id, "ascii"),
      Buffer.from([materialIndex]),
    ]);
    return Buffer.concat([
      header,
      seal(key.materials[materialIndex] as Buffer, plaintext, contextBytes(context)),
    ]);
  };

  const operations: Record<string, (body: Record<string, unknown>) => Record<string, unknown>> = {
    Encrypt(body) {
      const key = find(body.KeyId);
      const plaintext = Buffer.from(String(body.Plaintext ?? ""), "base64");
      if (plaintext.length < 1 || plaintext.length > 4096) {
        throw new KmsError(
          "ValidationException",
          "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096",
        );
      }
      return {
        CiphertextBlob: wrapUnder(key, plaintext, body.EncryptionContext).toString("base64"),
        KeyId: key.arn,
        EncryptionAlgorithm: "SYMMETRIC_DEFAULT",
      };
    },
    GenerateDataKey(body) {
      const key = find(body.KeyId);
      const spec = body.KeySpec;
      const count = body.NumberOfBytes;
      if ((spec === undefined) === (count === undefined)) {
        throw new KmsError("ValidationException", "Please specify either number of bytes or key spec.");
      }
      const bytes = spec === "AES_256" ? 32 : spec === "AES_128" ? 16 : Number(count);
      if (!Number.isInteger(bytes) || bytes < 1 || bytes > 1024) {
        throw new KmsError(
          "ValidationException",
          "1 validation error detected: Value at 'keySpec' or 'numberOfBytes' failed to satisfy constraint.",
        );
      }
      const plaintext = randomBytes(bytes);
      return {
        CiphertextBlob: wrapUnder(key, plaintext, body.EncryptionContext).toString("base64"),
        Plaintext: plaintext.toString("base64"),
        KeyId: key.arn,
      };
    },
    DescribeKey(body) {
      const key = resolve(body.KeyId);
      return {
        KeyMetadata: {
          AWSAccountId: ACCOUNT,
          KeyId: key.id,
          Arn: key.arn,
          Enabled: key.state === "Enabled",
          KeyState: key.state,
          KeyUsage: "ENCRYPT_DECRYPT",
          KeySpec: "SYMMETRIC_DEFAULT",
          KeyManager: "CUSTOMER",
          Origin: "AWS_KMS",
          EncryptionAlgorithms: ["SYMMETRIC_DEFAULT"],
          MultiRegion: false,
        },
      };
    },
    Decrypt(body) {
      const blob = Buffer.from(String(body.CiphertextBlob ?? ""), "base64");
      if (blob.length < 38 + 28 || blob[0] !== 1) throw new KmsError("InvalidCiphertextException", undefined);
      const owner = find(blob.subarray(1, 37).toString("ascii"));
      if (body.KeyId !== undefined && find(body.KeyId).id !== owner.id) {
        throw new KmsError(
          "IncorrectKeyException",
          "The key ID in the request does not identify a CMK that can perform this operation.",
        );
      }
      const material = owner.materials[blob[37] as number];
      let plaintext: Buffer;
      try {
        plaintext = open(material as Buffer, blob.subarray(38), contextBytes(body.EncryptionContext));
      } catch {
        throw new KmsError("InvalidCiphertextException", undefined);
      }
      if (faults[0] === "flip-plaintext") {
        faults.shift();
        plaintext[0] = (plaintext[0] as number) ^ 0x01;
      }
      return {
        Plaintext: plaintext.toString("base64"),
        KeyId: owner.arn,
        EncryptionAlgorithm: "SYMMETRIC_DEFAULT",
      };
    },
  };

  const handle = async (request: IncomingMessage): Promise<Record<string, unknown>> => {
    const target = String(request.headers["x-amz-target"] ?? "");
    const operation = target.startsWith("TrentService.") ? target.slice("TrentService.".length) : "";
    calls.push(operation);
    const body = await readBody(request);
    const credential = /Credential=([^/]+)\//.exec(String(request.headers.authorization ?? ""))?.[1];
    if (credential !== accessKeyId) {
      throw new KmsError(
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
      );
    }
    if (faults[0] === "throttle") {
      faults.shift();
      throw new KmsError("ThrottlingException", "Rate exceeded");
    }
    if (faults[0] === "error500") {
      faults.shift();
      throw new KmsError("KMSInternalException", "An internal error has occurred.", 500);
    }
    const run = operations[operation];
    if (!run) throw new KmsError("UnknownOperationException", undefined);
    return run(body);
  };

  const respond = (response: ServerResponse, status: number, body: unknown) => {
    response.writeHead(status, {
      "content-type": "application/x-amz-json-1.1",
      "x-amzn-requestid": randomUUID(),
    });
    response.end(JSON.stringify(body));
  };

  const server = createServer((request, response) => {
    handle(request).then(
      (body) => respond(response, 200, body),
      (error: unknown) => {
        if (!(error instanceof KmsError)) return respond(response, 500, { __type: "KMSInternalException" });
        respond(response, error.status, {
          __type: error.type,
          ...(error.message ? { message: error.message } : {}),
        });
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  const mustFind = (keyId: string) => {
    const id = keyId.startsWith("alias/") ? aliases.get(keyId) : keyId.split("/").pop();
    const key = id === undefined ? undefined : keys.get(id);
    if (!key) throw new Error(`no key ${keyId}`);
    return key;
  };

  const setState = (keyId: string, state: KeyState) => {
    mustFind(keyId).state = state;
  };

  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    createKey(alias) {
      const id = randomUUID();
      const arn = `arn:aws:kms:${REGION}:${ACCOUNT}:key/${id}`;
      keys.set(id, { id, arn, state: "Enabled", materials: [randomBytes(32)] });
      if (alias) aliases.set(`alias/${alias}`, id);
      return arn;
    },
    fault: (kind, times = 1) => faults.push(...Array.from({ length: times }, () => kind)),
    disable: (keyId) => setState(keyId, "Disabled"),
    enable: (keyId) => setState(keyId, "Enabled"),
    scheduleDeletion: (keyId) => setState(keyId, "PendingDeletion"),
    rotate: (keyId) => void mustFind(keyId).materials.push(randomBytes(32)),
    updateAlias: (alias, keyId) => void aliases.set(`alias/${alias}`, mustFind(keyId).id),
    deny: (keyId) => void denied.add(mustFind(keyId).id),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
