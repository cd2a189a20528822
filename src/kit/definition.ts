/**
 * How a backend declares itself to credkit. Each backend folder's `index.ts` exports one
 * `definition`; the registry, the list of valid `VAULT_TYPE` values, the build's externals and
 * the package exports follow from these declarations.
 */
import type { Backend } from "../core/backend.js";

/** Environment variables, as in `process.env`. */
export type Environment = Readonly<Record<string, string | undefined>>;

/** A documented environment variable of a backend. */
export interface BackendVariable {
  readonly name: string;
  readonly description: string;
}

/** How a backend is built from the environment. Each backend module exports one as `definition`. */
export interface BackendDefinition {
  /** The canonical `VAULT_TYPE` value: the backend's folder name, e.g. `aws-secrets-manager`. */
  readonly type: string;
  /** One line for the README's backends table: what the store is and when to choose it. */
  readonly summary: string;
  /** Other accepted `VAULT_TYPE` values, e.g. `aws` for `aws-secrets-manager`. */
  readonly aliases?: readonly string[] | undefined;
  /** Optional peer packages the backend imports on first use (each must be a peer dependency). */
  readonly packages?: readonly string[] | undefined;
  /** Every variable it reads, for docs and error messages. */
  readonly variables: readonly BackendVariable[];
  /** Names of required variables missing from `env` (all of them, for one clear error). */
  missingVariables(env: Environment): string[];
  /** Builds the backend from `env`. Called only when `missingVariables` is empty. */
  fromEnv(env: Environment): Promise<Backend>;
}
