/**
 * AWS KMS key provider (`credkit/keys/aws-kms`): data keys come from `GenerateDataKey` (AES_256)
 * and are unwrapped with `Decrypt` under a symmetric KMS key, with an encryption context that
 * binds the record's tenant and credential name, so a wrapped key moved to another record does
 * not decrypt. (`Encrypt` wraps the probe key of `check()`.)
 * Automatic key rotation in KMS needs nothing from credkit: old key material keeps decrypting.
 * A key addressed by alias has a visible version: the key the alias points to (its ARN, from
 * `DescribeKey`), recorded in the key id, used to wrap and named again to unwrap, so moving the
 * alias to a new key is a rotation (old records keep decrypting under their own key).
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

/** Whether `keyId` is an alias name or alias ARN (the key behind it can change). */
function isAlias(keyId: string): boolean {
  return keyId.startsWith("alias/") || /^arn:[^:]+:kms:[^:]*:[^:]*:alias\//.test(keyId);
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
  const describe = async (signal: AbortSignal) => {
    const { sdk, client } = await connection.get();
    const command = new sdk.DescribeKeyCommand({ KeyId: options.keyId });
    return (await client.send(command, { abortSignal: signal })).KeyMetadata?.Arn;
  };
  const prefix = `${NAME}:${options.keyId}#`;
  /** `arn:…:kms:<region>:<account>:key/` of the alias's key: a record may name only keys there. */
  let home: string | undefined;
  /** The key a record names (`#<key ARN>` behind an alias), else the configured one. */
  const keyOfRecord = async (keyId: string, signal: AbortSignal) => {
    if (!keyId.startsWith(prefix)) return options.keyId;
    const named = keyId.slice(prefix.length);
    home ??= (await describe(signal))?.replace(/[^/]*$/, "");
    // why: a stored record must not make us ask KMS to decrypt under a key of another account
    if (!home || !named.startsWith(home) || named.slice(home.length).includes("/")) {
      throw kmsFailure(
        NAME,
        "integrity",
        new Error("The record names a key outside the alias's account and region."),
      );
    }
    return named;
  };
  return kmsKeyProvider(
    {
      name: NAME,
      keyId: `${NAME}:${options.keyId}`,
      async wrap(dataKey, context, signal, version) {
        const { sdk, client } = await connection.get();
        const command = new sdk.EncryptCommand({
          KeyId: version ?? options.keyId,
          Plaintext: dataKey,
          EncryptionContext: encryptionContext(context),
        });
        const answer = await client.send(command, { abortSignal: signal });
        if (!answer.CiphertextBlob)
          throw kmsFailure(NAME, "unavailable", new Error("Encrypt returned no ciphertext."));
        return answer.CiphertextBlob;
      },
      async generate(context, signal, version) {
        const { sdk, client } = await connection.get();
        const command = new sdk.GenerateDataKeyCommand({
          KeyId: version ?? options.keyId,
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
      async unwrap(keyId, wrapped, context, signal) {
        const { sdk, client } = await connection.get();
        const command = new sdk.DecryptCommand({
          KeyId: await keyOfRecord(keyId, signal),
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
      ...(isAlias(options.keyId)
        ? {
            currentVersion: describe,
          }
        : {}),
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
