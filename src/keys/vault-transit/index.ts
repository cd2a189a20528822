/**
 * HashiCorp Vault transit key provider (`credkit/keys/vault-transit`): data keys are wrapped with
 * `transit/encrypt/<key>` and unwrapped with `transit/decrypt/<key>`, with the record's context
 * as `associated_data`, so a wrapped key moved to another record does not decrypt. Vault's key
 * versions show in every wrapped key (`vault:v<N>:`); a rotated key is used for new records at
 * once, and `min_decryption_version` retires old versions once `rewrap()` has moved the records.
 */
import type NodeVault from "node-vault";
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
import { lazyClient } from "../../kit/lazy-client.js";

interface VaultTransitCommonOptions extends KmsProviderOptions {
  /** The transit key's name. */
  key: string;
  /**
   * Mount path of the transit engine.
   * @default "transit"
   */
  mount?: string | undefined;
  /** The `node-vault` module (or a loader), instead of `import("node-vault")`. */
  lib?: LibOption<typeof NodeVault> | undefined;
}

/** Options of `vaultTransitKeyProvider`: a ready node-vault client, or an address and a token. */
export type VaultTransitOptions = VaultTransitCommonOptions &
  (
    | {
        /** A ready (authenticated) node-vault client, e.g. one logged in with AppRole. */
        client: NodeVault.client;
        endpoint?: never | undefined;
        token?: never | undefined;
        namespace?: never | undefined;
      }
    | {
        client?: never | undefined;
        /** Vault's address, e.g. `https://vault.internal:8200`. */
        endpoint: string;
        /** A token whose policy allows `update` on `<mount>/encrypt/<key>` and `<mount>/decrypt/<key>`. */
        token: string;
        /** Enterprise namespace, sent as `X-Vault-Namespace`. */
        namespace?: string | undefined;
      }
  );

const NAME = "vault-transit";
const VERSION = /^vault:v(\d+):/;

function statusOf(error: unknown): number | undefined {
  const status = (error as { response?: { statusCode?: unknown } } | null)?.response?.statusCode;
  return typeof status === "number" ? status : undefined;
}

function kindOf(error: unknown): KmsFailureKind {
  const status = statusOf(error);
  const message = error instanceof Error ? error.message : "";
  if (status === 400 && message.includes("disallowed by policy")) return "disabled";
  if (status === 400 && /authentication failed|invalid ciphertext/.test(message)) return "integrity";
  return kmsFailureKindOfStatus(status);
}

/** A `KeyProvider` over Vault's transit engine. node-vault is loaded on first use. */
export function vaultTransitKeyProvider(options: VaultTransitOptions): KmsKeyProvider {
  const mount = options.mount ?? "transit";
  const secrets = options.token ? [options.token] : [];
  const connection = lazyClient(async () => {
    if (options.client) return options.client;
    const create = await importOptional(
      "node-vault",
      "the vault-transit key provider",
      async () => (await import("node-vault")).default,
      options.lib,
    );
    return create({
      apiVersion: "v1",
      endpoint: options.endpoint,
      token: options.token,
      namespace: options.namespace,
    });
  });
  const call = async (operation: "encrypt" | "decrypt", body: Record<string, unknown>) => {
    const vault = await connection.get();
    const answer = (await vault.write(`${mount}/${operation}/${options.key}`, body)) as {
      data?: Record<string, unknown> | undefined;
    };
    return answer.data ?? {};
  };
  const associatedData = (context: Uint8Array) => Buffer.from(context).toString("base64");
  return kmsKeyProvider(
    {
      name: NAME,
      keyId: `${NAME}:${mount}/${options.key}`,
      async wrap(dataKey, context, _signal, version) {
        // why: the version the record's key id names, even if the key was rotated since it was read
        const data = await call("encrypt", {
          plaintext: Buffer.from(dataKey).toString("base64"),
          associated_data: associatedData(context),
          ...(version === undefined ? {} : { key_version: Number(version) }),
        });
        if (typeof data.ciphertext !== "string" || !VERSION.test(data.ciphertext)) {
          throw kmsFailure(NAME, "unavailable", new Error("encrypt returned no ciphertext."));
        }
        return Buffer.from(data.ciphertext, "utf8");
      },
      async unwrap(_keyId, wrapped, context) {
        const ciphertext = Buffer.from(wrapped).toString("utf8");
        const data = await call("decrypt", { ciphertext, associated_data: associatedData(context) });
        const plaintext =
          typeof data.plaintext === "string" ? Buffer.from(data.plaintext, "base64") : undefined;
        if (plaintext?.length !== 32)
          throw kmsFailure(NAME, "integrity", new Error("decrypt did not return a 32-byte data key."));
        return plaintext;
      },
      classify: (error) => kmsFailure(NAME, kindOf(error), scrubError(error, secrets)),
      async currentVersion() {
        const vault = await connection.get();
        const answer = (await vault.read(`${mount}/keys/${options.key}`).catch((error: unknown) => {
          if (statusOf(error) === 404) return {}; // why: encrypt creates the key on first use
          throw error;
        })) as { data?: { latest_version?: unknown } };
        const latest = answer.data?.latest_version;
        return latest === undefined ? undefined : String(latest);
      },
    },
    options,
  );
}

/** `CREDKIT_KMS=vault-transit`: the transit key from `CREDKIT_KMS_KEY_ID` on `VAULT_ADDR` with `VAULT_TOKEN`. */
export const definition: KeyProviderDefinition = {
  type: NAME,
  packages: ["node-vault"],
  variables: [
    KMS_KEY_VARIABLE,
    { name: "VAULT_ADDR", description: "Vault's address." },
    {
      name: "VAULT_TOKEN",
      description: "A token allowed to update <mount>/encrypt/<key> and <mount>/decrypt/<key>.",
    },
    { name: "VAULT_NAMESPACE", description: "Enterprise namespace (optional)." },
    { name: "CREDKIT_KMS_MOUNT", description: "Mount path of the transit engine (default transit)." },
  ],
  missingVariables: (env) => missingFrom(env, [KMS_KEY_VARIABLE.name, "VAULT_ADDR", "VAULT_TOKEN"]),
  fromEnv: (env) =>
    vaultTransitKeyProvider({
      key: env.CREDKIT_KMS_KEY_ID as string,
      endpoint: env.VAULT_ADDR as string,
      token: env.VAULT_TOKEN as string,
      ...(env.VAULT_NAMESPACE ? { namespace: env.VAULT_NAMESPACE } : {}),
      ...(env.CREDKIT_KMS_MOUNT ? { mount: env.CREDKIT_KMS_MOUNT } : {}),
    }),
};
