/**
 * Key providers by `CREDKIT_KMS` value, each loaded only when chosen. `createCredentialManager`
 * builds the chosen provider from the environment and proves it (reachable, key usable) before
 * returning; test/keys/registry.test.ts fails when a folder is missing here.
 */
import { ConfigurationError } from "../core/errors.js";
import { type KeyProvider, LocalKeyring } from "../core/keyring.js";
import type { Environment } from "../kit/definition.js";
import { combineKeyProviders, type KeyProviderDefinition } from "../kit/key-provider.js";

const LOADERS: Readonly<Record<string, () => Promise<{ definition: KeyProviderDefinition }>>> = {
  "aws-kms": () => import("./aws-kms/index.js"),
  "azure-key-vault-keys": () => import("./azure-key-vault-keys/index.js"),
  "gcp-kms": () => import("./gcp-kms/index.js"),
  "vault-transit": () => import("./vault-transit/index.js"),
};

/** Every `CREDKIT_KMS` value, sorted. */
export function keyProviderTypes(): string[] {
  return Object.keys(LOADERS).sort();
}

/**
 * The definition `CREDKIT_KMS` names, or undefined when it is unset or empty. An unknown value
 * is a `ConfigurationError` listing the valid ones.
 */
export async function keyProviderDefinition(env: Environment): Promise<KeyProviderDefinition | undefined> {
  const type = env.CREDKIT_KMS?.trim().toLowerCase();
  if (!type) return undefined;
  const load = Object.hasOwn(LOADERS, type) ? LOADERS[type] : undefined;
  if (!load) {
    throw new ConfigurationError(
      `Unknown key provider in CREDKIT_KMS. Valid values: ${keyProviderTypes().join(", ")}.`,
      {
        available: keyProviderTypes(),
      },
    );
  }
  return (await load()).definition;
}

/**
 * Builds the provider `definition` describes and proves it with `check()` (the KMS answers and the
 * key wraps and unwraps), so a disabled key or missing permission fails at start-up. A local key
 * in `CREDENTIAL_ENCRYPTION_KEY` stays readable beside it: that is the migration from a local key
 * to a KMS (new records go to the KMS; `rewrap()` moves the old ones).
 */
export async function provenKeyProvider(
  definition: KeyProviderDefinition,
  env: Environment,
): Promise<KeyProvider> {
  const provider = definition.fromEnv(env);
  await provider.check();
  const local = LocalKeyring.fromEnv(env);
  return local ? combineKeyProviders(provider, local) : provider;
}
