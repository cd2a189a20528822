/**
 * Backend names (the `VAULT_TYPE` values) and their lazy loaders, from the generated index of
 * the backend folders (`npm run generate`). A backend module is imported only when chosen, and
 * imports its SDK only when first used. Backends import nothing from here.
 */
import { BACKENDS, type BackendType } from "../backends/index.generated.js";
import type { BackendDefinition } from "../kit/definition.js";

export type { BackendType } from "../backends/index.generated.js";
export type { BackendDefinition, BackendVariable, Environment } from "../kit/definition.js";

const TYPES = (Object.keys(BACKENDS) as BackendType[]).sort();

const ALIASES: ReadonlyMap<string, BackendType> = new Map(
  TYPES.flatMap((type) => BACKENDS[type].aliases.map((alias) => [alias, type] as const)),
);

/** The backend types available, sorted. */
export function backendTypes(): BackendType[] {
  return [...TYPES];
}

/** Every accepted `VAULT_TYPE` value, for messages: `aws-secrets-manager (aws), file, …`. */
export function describeBackendTypes(): string {
  return TYPES.map((type) => {
    const { aliases } = BACKENDS[type];
    return aliases.length > 0 ? `${type} (${aliases.join(", ")})` : type;
  }).join(", ");
}

/** The canonical type for a `VAULT_TYPE` value (a type or an alias), or undefined when unknown. */
export function resolveBackendType(value: string): BackendType | undefined {
  const normalized = value.trim().toLowerCase();
  if (Object.hasOwn(BACKENDS, normalized)) return normalized as BackendType;
  return ALIASES.get(normalized);
}

/** Loads a backend's definition. */
export async function loadBackendDefinition(type: BackendType): Promise<BackendDefinition> {
  return (await BACKENDS[type].load()).definition;
}
