/**
 * Google Cloud KMS key provider (`credkit/keys/gcp-kms`): data keys are wrapped with `Encrypt`
 * and unwrapped with `Decrypt` on a symmetric CryptoKey, with the record's context as additional
 * authenticated data, and the CRC32C integrity fields checked both ways: a request the service
 * saw corrupted, or an answer corrupted on the way back, is discarded and retried within bounds.
 * The CryptoKey's primary version is recorded in every record's key id; a new primary is picked up
 * without a restart, and old versions keep decrypting until they are disabled.
 */
import type { KeyManagementServiceClient } from "@google-cloud/kms";
import { UnavailableError } from "../../core/errors.js";
import { importOptional, type LibOption } from "../../core/import-optional.js";
import { scrubError } from "../../core/redact.js";
import { type ClientOrSettings, checkClientExclusive } from "../../kit/client-options.js";
import { crc32c } from "../../kit/crc32c.js";
import {
  type KeyProviderDefinition,
  KMS_KEY_VARIABLE,
  type KmsFailureKind,
  type KmsKeyProvider,
  type KmsProviderOptions,
  kmsFailure,
  kmsKeyProvider,
  missingFrom,
} from "../../kit/key-provider.js";
import { lazyClient } from "../../kit/lazy-client.js";

/** The `@google-cloud/kms` module. */
export type GcpKmsModule = typeof import("@google-cloud/kms");

/** Settings for the KeyManagementServiceClient credkit builds. */
export type GcpKmsClientOptions = ConstructorParameters<GcpKmsModule["KeyManagementServiceClient"]>[0];

interface GcpKmsCommonOptions extends KmsProviderOptions {
  /** The CryptoKey: `projects/<p>/locations/<l>/keyRings/<r>/cryptoKeys/<k>`. */
  keyName: string;
  /** The SDK module itself, or a loader, instead of `import("@google-cloud/kms")`. */
  lib?: LibOption<GcpKmsModule> | undefined;
}

/**
 * Options of `gcpKmsKeyProvider`: an existing client, or settings for the one credkit builds
 * (credentials, keyFilename, apiEndpoint…; by default Application Default Credentials).
 */
export type GcpKmsOptions = GcpKmsCommonOptions &
  ClientOrSettings<KeyManagementServiceClient, GcpKmsClientOptions>;

const NAME = "gcp-kms";
const VERSION = /\/cryptoKeyVersions\/([^/]+)$/;

/** gRPC status codes by what they mean. */
const FAILURE_KINDS: Readonly<Record<number, KmsFailureKind>> = {
  3: "integrity", // INVALID_ARGUMENT: "Decryption failed: the ciphertext is invalid."
  5: "configuration", // NOT_FOUND
  7: "denied", // PERMISSION_DENIED
  8: "throttled", // RESOURCE_EXHAUSTED
  9: "disabled", // FAILED_PRECONDITION: the version is disabled or destroyed
  16: "denied", // UNAUTHENTICATED
};

/** Cloud KMS's INVALID_ARGUMENT for a request whose CRC32C field does not match its data. */
const REQUEST_CHECKSUM = /checksum in field \w+ did not match/;

function classify(error: unknown): Error {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  // why: a request corrupted on the way in is worth sending again, as the service advises
  if (code === 3 && typeof message === "string" && REQUEST_CHECKSUM.test(message)) {
    return kmsFailure(NAME, "unavailable", scrubError(error));
  }
  const kind = (typeof code === "number" && FAILURE_KINDS[code]) || "unavailable";
  return kmsFailure(NAME, kind, scrubError(error));
}

/** gax call options: a deadline, and the SDK's own retries off (credkit retries). */
const CALL_OPTIONS = { timeout: 10_000, retry: { retryCodes: [] } };

function corrupted(what: string): UnavailableError {
  return new UnavailableError(`The ${what} failed its CRC32C check in transit; retrying.`, { source: NAME });
}

function sameChecksum(data: Uint8Array, field: { value?: unknown } | null | undefined): boolean {
  return field?.value !== undefined && field.value !== null && Number(field.value) === crc32c(data);
}

/** A `KeyProvider` over Google Cloud KMS. The SDK is loaded on first use. */
export function gcpKmsKeyProvider(options: GcpKmsOptions): KmsKeyProvider {
  checkClientExclusive(options, ["clientOptions"], NAME);
  const connection = lazyClient(
    async () => {
      const sdk = await importOptional(
        "@google-cloud/kms",
        "the gcp-kms key provider",
        () => import("@google-cloud/kms"),
        options.lib,
      );
      return options.client ?? new sdk.KeyManagementServiceClient(options.clientOptions);
    },
    async (client) => {
      if (client !== options.client) await client.close();
    },
  );
  return kmsKeyProvider(
    {
      name: NAME,
      keyId: `${NAME}:${options.keyName}`,
      async wrap(dataKey, context, _signal, version) {
        const client = await connection.get();
        const [answer] = await client.encrypt(
          {
            name: version === undefined ? options.keyName : `${options.keyName}/cryptoKeyVersions/${version}`,
            plaintext: dataKey,
            additionalAuthenticatedData: context,
            plaintextCrc32c: { value: crc32c(dataKey) },
            additionalAuthenticatedDataCrc32c: { value: crc32c(context) },
          },
          CALL_OPTIONS,
        );
        const ciphertext = answer.ciphertext as Uint8Array | undefined;
        const verified = answer.verifiedPlaintextCrc32c && answer.verifiedAdditionalAuthenticatedDataCrc32c;
        if (!ciphertext || !verified || !sameChecksum(ciphertext, answer.ciphertextCrc32c))
          throw corrupted("Encrypt exchange");
        return ciphertext;
      },
      async unwrap(_keyId, wrapped, context) {
        const client = await connection.get();
        const [answer] = await client.decrypt(
          {
            name: options.keyName,
            ciphertext: wrapped,
            additionalAuthenticatedData: context,
            ciphertextCrc32c: { value: crc32c(wrapped) },
            additionalAuthenticatedDataCrc32c: { value: crc32c(context) },
          },
          CALL_OPTIONS,
        );
        const plaintext = answer.plaintext as Uint8Array | undefined;
        if (!plaintext || !sameChecksum(plaintext, answer.plaintextCrc32c)) throw corrupted("Decrypt answer");
        return plaintext;
      },
      async currentVersion() {
        const client = await connection.get();
        const [key] = await client.getCryptoKey({ name: options.keyName }, CALL_OPTIONS);
        return VERSION.exec(key.primary?.name ?? "")?.[1];
      },
      classify,
      close: connection.close,
    },
    options,
  );
}

/** `CREDKIT_KMS=gcp-kms`: the CryptoKey from `CREDKIT_KMS_KEY_ID`; Application Default Credentials. */
export const definition: KeyProviderDefinition = {
  type: NAME,
  packages: ["@google-cloud/kms"],
  variables: [
    KMS_KEY_VARIABLE,
    {
      name: "GOOGLE_APPLICATION_CREDENTIALS",
      description: "Service account key file (optional: Application Default Credentials).",
    },
  ],
  missingVariables: (env) => missingFrom(env, [KMS_KEY_VARIABLE.name]),
  fromEnv: (env) => gcpKmsKeyProvider({ keyName: env.CREDKIT_KMS_KEY_ID as string }),
};
