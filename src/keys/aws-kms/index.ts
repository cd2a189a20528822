/**
 * AWS KMS key provider (`credkit/keys/aws-kms`): data keys come from `GenerateDataKey` (AES_256)
 * and are unwrapped with `Decrypt` under a symmetric KMS key, with an encryption context that
 * binds the record's tenant and credential name, so a wrapped key moved to another record does
 * not decrypt. (`Encrypt` wraps the probe key of `check()`.)
 * Automatic key rotation in KMS needs nothing from credkit: old key material keeps decrypting.
 */
import type { KMSClient, KMSClientConfig } from "@aws-sdk/client-kms";
import { importOptional, type LibOption } from "../../core/import-optional.js";
import { scrubError } from "../../core/redact.js";
import { type ClientOrSettings, checkClientExclusive } from "../../kit/client-options.js";
import {
  type KeyProviderDefinition,
  KMS_KEY_VARIABLE,
  type KmsFailureKind,
  type KmsKeyProvider,
  type KmsProviderOptions,
  kmsFailure,
  kmsFailureKindOfStatus,
  kmsKeyProvider,
  missingFrom,
} from "../../kit/key-provider.js";
import { lazyClient } from "../../kit/lazy-client.js";

/** The `@aws-sdk/client-kms` module. */
export type AwsKmsModule = typeof import("@aws-sdk/client-kms");

interface AwsKmsCommonOptions extends KmsProviderOptions {
  /** The KMS key: key id, key ARN, alias name (`alias/credkit`) or alias ARN. */
  keyId: string;
  /** The SDK module itself, or a loader, instead of `import("@aws-sdk/client-kms")`. */
  lib?: LibOption<AwsKmsModule> | undefined;
}

/**
 * Options of `awsKmsKeyProvider`: an existing client, or settings for the one credkit builds
 * (region, endpoint, credentials…; by default the standard AWS chain: AWS_REGION,
 * AWS_ENDPOINT_URL_KMS, profiles, roles).
 */
export type AwsKmsOptions = AwsKmsCommonOptions & ClientOrSettings<KMSClient, KMSClientConfig>;

const NAME = "aws-kms";

/** AWS error names by what they mean. */
const FAILURE_KINDS: Readonly<Record<string, KmsFailureKind>> = {
  DisabledException: "disabled",
  KMSInvalidStateException: "disabled",
  AccessDeniedException: "denied",
  UnrecognizedClientException: "denied",
  InvalidSignatureException: "denied",
  IncorrectKeyException: "integrity",
  InvalidCiphertextException: "integrity",
  ThrottlingException: "throttled",
  LimitExceededException: "throttled",
  KMSInternalException: "unavailable",
  DependencyTimeoutException: "unavailable",
  NotFoundException: "configuration",
  InvalidKeyUsageException: "configuration",
};

function classify(error: unknown, secrets: readonly string[]): Error {
  const { name, $metadata } = (error ?? {}) as { name?: string; $metadata?: { httpStatusCode?: number } };
  const kind = (name && FAILURE_KINDS[name]) || kmsFailureKindOfStatus($metadata?.httpStatusCode);
  return kmsFailure(NAME, kind, scrubError(error, secrets));
}

/** The record's context as an encryption context: one entry, the context bytes in base64. */
function encryptionContext(context: Uint8Array): Record<string, string> {
  return { "credkit:context": Buffer.from(context).toString("base64") };
}

function staticSecrets(options: AwsKmsOptions): string[] {
  const credentials = options.clientOptions?.credentials;
  if (!credentials || typeof credentials === "function") return [];
  return [credentials.accessKeyId, credentials.secretAccessKey, credentials.sessionToken].filter(
    (value): value is string => typeof value === "string",
  );
}

/** A `KeyProvider` over AWS KMS. The SDK is loaded on first use. */
export function awsKmsKeyProvider(options: AwsKmsOptions): KmsKeyProvider {
  const secrets = staticSecrets(options);
  checkClientExclusive(options, ["clientOptions"], NAME);
  const connection = lazyClient(
    async () => {
      const sdk = await importOptional(
        "@aws-sdk/client-kms",
        "the aws-kms key provider",
        () => import("@aws-sdk/client-kms"),
        options.lib,
      );
      return {
        sdk,
        client: options.client ?? new sdk.KMSClient({ maxAttempts: 1, ...options.clientOptions }),
      };
    },
    ({ client }) => {
      if (client !== options.client) client.destroy();
    },
  );
  return kmsKeyProvider(
    {
      name: NAME,
      keyId: `${NAME}:${options.keyId}`,
      async wrap(dataKey, context, signal) {
        const { sdk, client } = await connection.get();
        const command = new sdk.EncryptCommand({
          KeyId: options.keyId,
          Plaintext: dataKey,
          EncryptionContext: encryptionContext(context),
        });
        const answer = await client.send(command, { abortSignal: signal });
        if (!answer.CiphertextBlob)
          throw kmsFailure(NAME, "unavailable", new Error("Encrypt returned no ciphertext."));
        return answer.CiphertextBlob;
      },
      async generate(context, signal) {
        const { sdk, client } = await connection.get();
        const command = new sdk.GenerateDataKeyCommand({
          KeyId: options.keyId,
          KeySpec: "AES_256",
          EncryptionContext: encryptionContext(context),
        });
        const answer = await client.send(command, { abortSignal: signal });
        if (!answer.CiphertextBlob || answer.Plaintext?.length !== 32) {
          throw kmsFailure(
            NAME,
            "integrity",
            new Error("GenerateDataKey did not return a 32-byte data key."),
          );
        }
        return { dataKey: answer.Plaintext, wrapped: answer.CiphertextBlob };
      },
      async unwrap(_keyId, wrapped, context, signal) {
        const { sdk, client } = await connection.get();
        const command = new sdk.DecryptCommand({
          KeyId: options.keyId,
          CiphertextBlob: wrapped,
          EncryptionContext: encryptionContext(context),
        });
        const answer = await client.send(command, { abortSignal: signal });
        if (answer.Plaintext?.length !== 32) {
          throw kmsFailure(NAME, "integrity", new Error("Decrypt did not return a 32-byte data key."));
        }
        return answer.Plaintext;
      },
      classify: (error) => classify(error, secrets),
      close: connection.close,
    },
    options,
  );
}

/** `CREDKIT_KMS=aws-kms`: the key from `CREDKIT_KMS_KEY_ID`; region and credentials from the AWS chain. */
export const definition: KeyProviderDefinition = {
  type: NAME,
  packages: ["@aws-sdk/client-kms"],
  variables: [
    KMS_KEY_VARIABLE,
    {
      name: "AWS_REGION",
      description:
        "Region of the key (or the profile's region); the standard AWS chain supplies credentials.",
    },
  ],
  missingVariables: (env) => missingFrom(env, [KMS_KEY_VARIABLE.name]),
  fromEnv: (env) => awsKmsKeyProvider({ keyId: env.CREDKIT_KMS_KEY_ID as string }),
};
