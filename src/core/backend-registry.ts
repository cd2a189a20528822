/**
 * Backend names (the `VAULT_TYPE` values) and their lazy loaders. A backend module is imported
 * only when chosen, and imports its SDK only when first used.
 */
import type { BackendDefinition } from "../kit/definition.js";

export type { BackendDefinition, BackendVariable, Environment } from "../kit/definition.js";

/** Every `VAULT_TYPE` value credkit knows. */
export type BackendType = "memory" | "file" | "postgres" | "aws" | "vault" | "gcp" | "azure" | "cloudflare";

type BackendLoader = () => Promise<{ definition: BackendDefinition }>;

/**
 * Loaders by `VAULT_TYPE`. Relative dynamic imports keep the root entry free of SDKs: a backend
 * module is imported only when chosen, and imports its SDK only when first used. (The explicit
 * type keeps the backends' own types out of the root's declarations.)
 */
const LOADERS: Readonly<Record<BackendType, BackendLoader>> = {
  memory: () => import("../backends/memory/index.js"),
  file: () => import("../backends/file/index.js"),
  postgres: () => import("../backends/postgres/index.js"),
  aws: () => import("../backends/aws-secrets-manager/index.js"),
  vault: () => import("../backends/vault/index.js"),
  gcp: () => import("../backends/gcp-secret-manager/index.js"),
  azure: () => import("../backends/azure-key-vault/index.js"),
  cloudflare: () => import("../backends/cloudflare-kv/index.js"),
};

/** Long names accepted for `VAULT_TYPE` values. */
const ALIASES: Readonly<Record<string, string>> = {
  "aws-secrets-manager": "aws",
  "gcp-secret-manager": "gcp",
  "azure-key-vault": "azure",
  "cloudflare-kv": "cloudflare",
  postgresql: "postgres",
};

/** The backend types available, sorted. */
export function backendTypes(): BackendType[] {
  return (Object.keys(LOADERS) as BackendType[]).sort();
}

/** The canonical type for a `VAULT_TYPE` value, or undefined when unknown. */
export function resolveBackendType(value: string): BackendType | undefined {
  const normalized = value.trim().toLowerCase();
  const type = ALIASES[normalized] ?? normalized;
  return Object.hasOwn(LOADERS, type) ? (type as BackendType) : undefined;
}

/** Loads a backend's definition. */
export async function loadBackendDefinition(type: BackendType): Promise<BackendDefinition> {
  return (await LOADERS[type]()).definition;
}
