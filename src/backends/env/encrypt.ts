/**
 * `encryptForEnv`: seals a credential into the variable name and value the env backend reads,
 * through the same write path as every store (validation by type, envelope encryption bound to
 * tenant and connection, fingerprints and masked forms), so the platform holding the variable
 * (e.g. `fly secrets set`) only ever sees ciphertext.
 */
import type { Backend, BackendRecord } from "../../core/backend.js";
import { CredentialManager } from "../../core/credential-manager.js";
import type { CredentialInput, CredentialType } from "../../core/credential-types.js";
import type { BackendKey } from "../../core/key-encoding.js";
import { type KeyProvider, LocalKeyring, parseKey } from "../../core/keyring.js";
import { checkedPrefix, DEFAULT_PREFIX, MAX_KEY_LENGTH, variableName } from "./names.js";
import { encodeValue } from "./value.js";

/** What `encryptForEnv` seals. */
export interface EncryptForEnvInput {
  /** The tenant (user) the credential belongs to. */
  tenantId: string;
  /** The connection id, e.g. `openai`. */
  connectionId: string;
  /** The credential's fields. */
  fields: CredentialInput;
  /**
   * The key-encryption key the reading process uses: a 32-byte key (hex or base64, or bytes) or
   * a `KeyProvider`. Never `false`: the value of an env variable is always ciphertext.
   */
  encryptionKey: string | Uint8Array | KeyProvider;
  /** The credential type. @default "custom" */
  type?: CredentialType | undefined;
  /** When the credential stops being valid. */
  expiresAt?: Date | string | undefined;
  /** Prefix of the variable name. @default "CREDKIT_" */
  prefix?: string | undefined;
}

/** A variable to set: its name and value. */
export interface EnvVariable {
  readonly name: string;
  readonly value: string;
}

/** A store that only keeps the one record written to it. */
function captureBackend(maxKeyLength: number): {
  backend: Backend;
  written: () => { key: BackendKey; record: BackendRecord };
} {
  let written: { key: BackendKey; record: BackendRecord } | undefined;
  const backend: Backend = {
    name: "env",
    capabilities: {
      versions: false,
      compareAndSet: "atomic",
      softDelete: false,
      maxKeyLength,
    },
    get: async () => undefined,
    put: async (key, write) => {
      written = { key, record: { ...write, version: 1 } };
      return { version: 1 };
    },
    delete: async () => undefined,
    list: async () => ({ entries: [] }),
  };
  return { backend, written: () => written as { key: BackendKey; record: BackendRecord } };
}

function keyProvider(key: EncryptForEnvInput["encryptionKey"]): KeyProvider {
  if (typeof key === "string") return new LocalKeyring(parseKey(key, "encryptionKey"));
  if (key instanceof Uint8Array) return new LocalKeyring(key);
  return key;
}

/** The variable (name and `credkit:1:` value) that makes the env backend serve this credential. */
export async function encryptForEnv(input: EncryptForEnvInput): Promise<EnvVariable> {
  const prefix = checkedPrefix(input.prefix ?? DEFAULT_PREFIX);
  const capture = captureBackend(MAX_KEY_LENGTH);
  const manager = new CredentialManager({
    backend: capture.backend,
    encryption: keyProvider(input.encryptionKey),
    cache: false,
  });
  await manager.storeCredentials(input.connectionId, input.tenantId, input.fields, {
    ...(input.type !== undefined ? { type: input.type } : {}),
    ...(input.expiresAt !== undefined ? { expiresAt: input.expiresAt } : {}),
  });
  const { key, record } = capture.written();
  return { name: variableName(prefix, key), value: encodeValue(record) };
}
