/**
 * A loopback Cloud KMS (v1) gRPC server, built from the .proto files shipped in
 * `@google-cloud/kms`, for driving the official SDK over real gRPC. Symmetric CryptoKeys with
 * versions (ENABLED, DISABLED, DESTROYED) and a primary; `Encrypt` under the primary, `Decrypt`
 * with whichever version the ciphertext names; additional authenticated data bound; the CRC32C
 * fields checked on requests (INVALID_ARGUMENT on mismatch) and returned on responses;
 * FAILED_PRECONDITION for a version that is not enabled; the service's status codes and messages.
 *
 * Test controls: `createKey()`, `rotate(key)` (a new primary version), `setState(key, version,
 * state)`, `fault(kind, times)` (RESOURCE_EXHAUSTED, UNAVAILABLE, flip a byte of the next
 * Decrypt plaintext or Encrypt ciphertext, keeping the checksum; or of the next Encrypt request's
 * plaintext as received, as if corrupted on the way in), `calls`.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { crc32c } from "../../../src/kit/crc32c.js";

const require = createRequire(import.meta.url);
const PROJECT = "credkit-test";
const LOCATION = "global";
const RING = "credkit";

type VersionState = "ENABLED" | "DISABLED" | "DESTROYED";

interface StoredKey {
  readonly versions: Array<{ material: Buffer; state: VersionState; createTime: number }>;
  primary: number;
}

class RpcError extends Error {
  constructor(
    readonly code: grpc.status,
    message: string,
  ) {
    super(message);
  }
}

export type GcpKmsFault = "throttle" | "unavailable" | "flip-plaintext" | "flip-ciphertext" | "flip-request";

export interface GcpKmsServer {
  readonly port: number;
  /** `Method key` of every call, e.g. `Decrypt projects/…/cryptoKeys/k`. */
  readonly calls: string[];
  /** Creates a symmetric key with version 1 as primary; returns its resource name. */
  createKey(id: string): string;
  /** Adds a version and makes it primary. */
  rotate(keyName: string): void;
  setState(keyName: string, version: number, state: VersionState): void;
  fault(kind: GcpKmsFault, times?: number): void;
  close(): Promise<void>;
}

function protoDirectories(): string[] {
  const sdkEntry = require.resolve("@google-cloud/kms");
  const sdkRoot = resolve(dirname(sdkEntry), "../..");
  const gaxRoot = resolve(dirname(createRequire(sdkEntry).resolve("google-gax")), "../..");
  return [join(sdkRoot, "build/protos"), join(gaxRoot, "build/protos")];
}

function checksum(data: Buffer, field: unknown, name: string): void {
  const given = (field as { value?: string } | null)?.value;
  if (given !== undefined && Number(given) !== crc32c(data)) {
    throw new RpcError(
      grpc.status.INVALID_ARGUMENT,
      `The checksum in field ${name} did not match the data in field ${name.replace(/_crc32c$/, "")}.`,
    );
  }
}

/** Starts the server on 127.0.0.1 and a free port. */
export async function startGcpKmsServer(): Promise<GcpKmsServer> {
  const definition = protoLoader.loadSync("google/cloud/kms/v1/service.proto", {
    includeDirs: protoDirectories(),
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    google: { cloud: { kms: { v1: { KeyManagementService: { service: grpc.ServiceDefinition } } } } };
  };
  const keys = new Map<string, StoredKey>();
  const faults: GcpKmsFault[] = [];
  const calls: string[] = [];

  const find = (name: unknown): StoredKey => {
    const key = keys.get(String(name));
    if (!key) throw new RpcError(grpc.status.NOT_FOUND, `CryptoKey ${String(name)} not found.`);
    return key;
  };
  const versionName = (keyName: string, version: number) => `${keyName}/cryptoKeyVersions/${version}`;
  const enabled = (keyName: string, key: StoredKey, version: number) => {
    const entry = key.versions[version - 1];
    if (!entry)
      throw new RpcError(grpc.status.INVALID_ARGUMENT, "Decryption failed: the ciphertext is invalid.");
    if (entry.state !== "ENABLED") {
      throw new RpcError(
        grpc.status.FAILED_PRECONDITION,
        `${versionName(keyName, version)} is not enabled, current state is: ${entry.state}.`,
      );
    }
    return entry.material;
  };
  const takeFault = (kind: GcpKmsFault) => (faults[0] === kind ? Boolean(faults.shift()) : false);

  const handlers: Record<string, (request: Record<string, unknown>) => unknown> = {
    Encrypt(request) {
      const [keyName, pinned] = String(request.name).split("/cryptoKeyVersions/") as [
        string,
        string | undefined,
      ];
      const key = find(keyName);
      const version = pinned === undefined ? key.primary : Number(pinned);
      const plaintext = request.plaintext as Buffer;
      const aad = request.additional_authenticated_data as Buffer;
      if (takeFault("flip-request")) plaintext[0] = (plaintext[0] as number) ^ 0x01;
      checksum(plaintext, request.plaintext_crc32c, "plaintext_crc32c");
      checksum(aad, request.additional_authenticated_data_crc32c, "additional_authenticated_data_crc32c");
      const material = enabled(keyName, key, version);
      const nonce = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", material, nonce);
      cipher.setAAD(aad);
      const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
      const ciphertext = Buffer.concat([Buffer.from([version]), nonce, body]);
      const sum = crc32c(ciphertext);
      if (takeFault("flip-ciphertext")) ciphertext[5] = (ciphertext[5] as number) ^ 0x01;
      return {
        name: versionName(keyName, version),
        ciphertext,
        ciphertext_crc32c: { value: String(sum) },
        verified_plaintext_crc32c: request.plaintext_crc32c != null,
        verified_additional_authenticated_data_crc32c: request.additional_authenticated_data_crc32c != null,
        protection_level: "SOFTWARE",
      };
    },
    Decrypt(request) {
      const keyName = String(request.name);
      const key = find(keyName);
      const ciphertext = request.ciphertext as Buffer;
      const aad = request.additional_authenticated_data as Buffer;
      checksum(ciphertext, request.ciphertext_crc32c, "ciphertext_crc32c");
      checksum(aad, request.additional_authenticated_data_crc32c, "additional_authenticated_data_crc32c");
      if (ciphertext.length < 1 + 12 + 16)
        throw new RpcError(grpc.status.INVALID_ARGUMENT, "Decryption failed: the ciphertext is invalid.");
      const version = ciphertext[0] as number;
      const material = enabled(keyName, key, version);
      let plaintext: Buffer;
      try {
        const decipher = createDecipheriv("aes-256-gcm", material, ciphertext.subarray(1, 13));
        decipher.setAAD(aad);
        decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
        plaintext = Buffer.concat([
          decipher.update(ciphertext.subarray(13, ciphertext.length - 16)),
          decipher.final(),
        ]);
      } catch {
        throw new RpcError(grpc.status.INVALID_ARGUMENT, "Decryption failed: the ciphertext is invalid.");
      }
      const sum = crc32c(plaintext);
      if (takeFault("flip-plaintext")) plaintext[0] = (plaintext[0] as number) ^ 0x01;
      return {
        plaintext,
        plaintext_crc32c: { value: String(sum) },
        used_primary: version === key.primary,
        protection_level: "SOFTWARE",
      };
    },
    GetCryptoKey(request) {
      const keyName = String(request.name);
      const key = find(keyName);
      return {
        name: keyName,
        purpose: "ENCRYPT_DECRYPT",
        primary: {
          name: versionName(keyName, key.primary),
          state: key.versions[key.primary - 1]?.state,
          algorithm: "GOOGLE_SYMMETRIC_ENCRYPTION",
        },
      };
    },
  };

  const implementation: grpc.UntypedServiceImplementation = {};
  for (const [method, handler] of Object.entries(handlers)) {
    implementation[method] = (
      call: grpc.ServerUnaryCall<Record<string, unknown>, unknown>,
      callback: grpc.sendUnaryData<unknown>,
    ) => {
      calls.push(`${method} ${String(call.request.name).split("/cryptoKeyVersions/")[0]}`);
      try {
        if (takeFault("throttle"))
          throw new RpcError(
            grpc.status.RESOURCE_EXHAUSTED,
            "Quota exceeded for quota metric 'Cryptographic requests'.",
          );
        if (takeFault("unavailable"))
          throw new RpcError(grpc.status.UNAVAILABLE, "The service is currently unavailable.");
        callback(null, handler(call.request));
      } catch (error) {
        const rpc =
          error instanceof RpcError
            ? error
            : new RpcError(grpc.status.INTERNAL, "Internal error encountered.");
        callback({ code: rpc.code, details: rpc.message });
      }
    };
  }
  const server = new grpc.Server();
  server.addService(loaded.google.cloud.kms.v1.KeyManagementService.service, implementation);
  const port = await new Promise<number>((done, fail) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error ? fail(error) : done(bound),
    ),
  );
  const mustFind = (keyName: string) => find(keyName);
  return {
    port,
    calls,
    createKey(id) {
      const name = `projects/${PROJECT}/locations/${LOCATION}/keyRings/${RING}/cryptoKeys/${id}`;
      keys.set(name, {
        versions: [{ material: randomBytes(32), state: "ENABLED", createTime: Date.now() }],
        primary: 1,
      });
      return name;
    },
    rotate(keyName) {
      const key = mustFind(keyName);
      key.versions.push({ material: randomBytes(32), state: "ENABLED", createTime: Date.now() });
      key.primary = key.versions.length;
    },
    setState(keyName, version, state) {
      const entry = mustFind(keyName).versions[version - 1];
      if (entry) entry.state = state;
    },
    fault: (kind, times = 1) => faults.push(...Array.from({ length: times }, () => kind)),
    close: () => new Promise<void>((done) => server.tryShutdown(() => done())),
  };
}
