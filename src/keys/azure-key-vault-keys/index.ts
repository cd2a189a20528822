/**
 * Azure Key Vault keys provider (`credkit/keys/azure-key-vault-keys`): data keys are wrapped
 * with `wrapKey` and unwrapped with `unwrapKey` (RSA-OAEP-256) by an RSA key in Key Vault or
 * Managed HSM. RSA-OAEP carries no associated data, so the data key is wrapped together with a
 * digest of the record's context and the digest is checked on unwrap: a wrapped key moved to
 * another record does not unwrap. The key version that wrapped each data key is stored beside it
 * and recorded in the key id; a new version is picked up without a restart.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { TokenCredential } from "@azure/identity";
import type { CryptographyClient, CryptographyClientOptions } from "@azure/keyvault-keys";
import { importOptional, type LibOption } from "../../core/import-optional.js";
import { scrubError } from "../../core/redact.js";
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
import { type LazyClient, lazyClient } from "../../kit/lazy-client.js";

/** The `@azure/keyvault-keys` module. */
export type KeyVaultKeysModule = typeof import("@azure/keyvault-keys");

/** Options of `azureKeyVaultKeyProvider`. */
export interface AzureKeyVaultKeyOptions extends KmsProviderOptions {
  /** The key's URL without a version, e.g. `https://my-vault.vault.azure.net/keys/credkit`. */
  keyId: string;
  /**
   * The Microsoft Entra credential.
   * @default `new DefaultAzureCredential()` from `@azure/identity`
   */
  credential?: TokenCredential | undefined;
  /** Settings for the Key Vault clients credkit builds (retries, `allowInsecureConnection`…). */
  clientOptions?: CryptographyClientOptions | undefined;
  /** The SDK module itself, or a loader, instead of `import("@azure/keyvault-keys")`. */
  lib?: LibOption<KeyVaultKeysModule> | undefined;
}

const NAME = "azure-key-vault-keys";
const ALGORITHM = "RSA-OAEP-256";
const DIGEST_BYTES = 16;

/** Key Vault's inner error codes by what they mean; the status decides the rest. */
const INNER_KINDS: Readonly<Record<string, KmsFailureKind>> = { KeyDisabled: "disabled" };
const NAMED_KINDS: Readonly<Record<string, KmsFailureKind>> = {
  AuthenticationRequiredError: "denied",
  CredentialUnavailableError: "denied",
  AuthenticationError: "denied",
};

function classify(error: unknown): Error {
  const { statusCode, name, details } = (error ?? {}) as {
    statusCode?: number | undefined;
    name?: string | undefined;
    details?: { error?: { innerError?: { code?: string } } } | undefined;
  };
  const inner = details?.error?.innerError?.code;
  const kind =
    (inner && INNER_KINDS[inner]) ||
    (name && NAMED_KINDS[name]) ||
    (statusCode === 400
      ? "integrity"
      : statusCode === 404
        ? "configuration"
        : kmsFailureKindOfStatus(statusCode));
  return kmsFailure(NAME, kind, scrubError(error));
}

/** A digest of the record's context, wrapped with the data key to bind the two. */
function contextDigest(context: Uint8Array): Buffer {
  return createHash("sha256")
    .update("credkit/azure-key-vault-keys\0")
    .update(context)
    .digest()
    .subarray(0, DIGEST_BYTES);
}

/** `[version length][version][wrapped]`: the version that wrapped it travels with the key. */
function pack(version: string, wrapped: Uint8Array): Uint8Array {
  const label = Buffer.from(version, "ascii");
  return Buffer.concat([Buffer.from([label.length]), label, wrapped]);
}

function unpack(packed: Uint8Array): { version: string; wrapped: Uint8Array } {
  const bytes = Buffer.from(packed);
  const length = bytes[0] ?? 0;
  return { version: bytes.subarray(1, 1 + length).toString("ascii"), wrapped: bytes.subarray(1 + length) };
}

function unbound(result: Uint8Array, context: Uint8Array): Uint8Array {
  const bytes = Buffer.from(result);
  if (bytes.length !== 32 + DIGEST_BYTES || !timingSafeEqual(bytes.subarray(32), contextDigest(context))) {
    throw kmsFailure(NAME, "integrity", new Error("The unwrapped data key belongs to another record."));
  }
  return bytes.subarray(0, 32);
}

/** A `KeyProvider` over an Azure Key Vault (or Managed HSM) RSA key. The SDK is loaded on first use. */
export function azureKeyVaultKeyProvider(options: AzureKeyVaultKeyOptions): KmsKeyProvider {
  const keyUrl = options.keyId.replace(/\/+$/, "");
  const { origin, pathname } = new URL(keyUrl);
  const keyName = pathname.split("/").pop() as string;
  const sdk = lazyClient(async () => {
    const keys = await importOptional(
      "@azure/keyvault-keys",
      "the azure-key-vault-keys key provider",
      () => import("@azure/keyvault-keys"),
      options.lib,
    );
    const credential =
      options.credential ??
      new (
        await importOptional(
          "@azure/identity",
          "the azure-key-vault-keys key provider",
          () => import("@azure/identity"),
        )
      ).DefaultAzureCredential();
    return { keys, credential };
  });
  /** One CryptographyClient per key version (the versionless URL for the current one). */
  const clients = new Map<string, LazyClient<CryptographyClient>>();
  const cryptography = (version: string | undefined) => {
    const url = version ? `${keyUrl}/${version}` : keyUrl;
    let client = clients.get(url);
    if (!client) {
      client = lazyClient(async () => {
        const { keys, credential } = await sdk.get();
        return new keys.CryptographyClient(url, credential, options.clientOptions);
      });
      clients.set(url, client);
    }
    return client.get();
  };
  const keyClient = lazyClient(async () => {
    const { keys, credential } = await sdk.get();
    return new keys.KeyClient(origin, credential, options.clientOptions);
  });
  return kmsKeyProvider(
    {
      name: NAME,
      keyId: `${NAME}:${keyUrl}`,
      async wrap(dataKey, context, signal, version) {
        const client = await cryptography(version);
        const bound = Buffer.concat([dataKey, contextDigest(context)]);
        const result = await client.wrapKey(ALGORITHM, bound, { abortSignal: signal });
        return pack(result.keyID?.split("/").pop() ?? version ?? "", result.result);
      },
      async unwrap(_keyId, packed, context, signal) {
        const { version, wrapped } = unpack(packed);
        const client = await cryptography(version || undefined);
        const result = await client.unwrapKey(ALGORITHM, wrapped, { abortSignal: signal });
        return unbound(result.result, context);
      },
      async currentVersion() {
        const key = await (await keyClient.get()).getKey(keyName);
        return key.properties.version;
      },
      classify,
    },
    options,
  );
}

/** `CREDKIT_KMS=azure-key-vault-keys`: the key URL from `CREDKIT_KMS_KEY_ID`; `DefaultAzureCredential`. */
export const definition: KeyProviderDefinition = {
  type: NAME,
  packages: ["@azure/keyvault-keys", "@azure/identity"],
  variables: [
    KMS_KEY_VARIABLE,
    {
      name: "AZURE_CLIENT_ID",
      description:
        "With AZURE_TENANT_ID and AZURE_CLIENT_SECRET, or a managed identity (DefaultAzureCredential).",
    },
  ],
  missingVariables: (env) => missingFrom(env, [KMS_KEY_VARIABLE.name]),
  fromEnv: (env) => azureKeyVaultKeyProvider({ keyId: env.CREDKIT_KMS_KEY_ID as string }),
};
