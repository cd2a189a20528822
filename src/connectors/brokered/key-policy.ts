/**
 * Bring-your-own-key policy: for (tenant, provider), the key a brokered call uses. The tenant's
 * own key when it has one; the platform's only where the operator opted in (per provider or per
 * tenant). Fail closed: without an allowed key the answer is `KeyPolicyError` and no call is
 * made. Only "the tenant has no key" (not found, deleted) leads to the fallback: an outage,
 * an expired or a tampered credential is an error, never a reason to bill the platform.
 */
import type { CredentialManager } from "../../core/credential-manager.js";
import { KeyPolicyError, NotFoundError } from "../../core/errors.js";

/** Whose key a call used. */
export type KeySource = "tenant" | "platform";

/** Where a credential is stored in the manager: a tenant and the credential's connection id. */
export interface CredentialReference {
  readonly tenantId: string;
  readonly connectionId: string;
}

/** The reference a call resolved to, and whose key it is. */
export interface ResolvedKey {
  readonly reference: CredentialReference;
  readonly keySource: KeySource;
}

/** When the platform's key may stand in for a tenant's missing one. */
export type FallbackRule =
  | {
      /** Providers for which every tenant may fall back. */
      readonly providers?: readonly string[];
      /** Tenants that may fall back for every provider. */
      readonly tenants?: readonly string[];
    }
  | ((tenantId: string, provider: string) => boolean);

/** The operator's BYOK policy. */
export interface KeyPolicyOptions {
  /** The connection id of a tenant's own key for a provider. @default the provider id */
  readonly tenantConnection?: (tenantId: string, provider: string) => string;
  /** The platform's keys: provider → where the key is stored in the manager. */
  readonly platformKeys?: Readonly<Record<string, CredentialReference>>;
  /** Opt-in fallback to the platform's key. @default none: fail closed */
  readonly fallback?: FallbackRule;
}

function fallbackAllowed(rule: FallbackRule | undefined, tenantId: string, provider: string): boolean {
  if (rule === undefined) return false;
  if (typeof rule === "function") return rule(tenantId, provider) === true;
  return (rule.providers ?? []).includes(provider) || (rule.tenants ?? []).includes(tenantId);
}

/** Whether a stored credential exists (and is readable); false only for not found / deleted. */
async function exists(manager: CredentialManager, reference: CredentialReference, accessor: string) {
  try {
    await manager.getCredentials(reference.connectionId, reference.tenantId, { accessor });
    return true;
  } catch (error) {
    if (NotFoundError.isInstance(error)) return false;
    throw error;
  }
}

/**
 * The key a tenant's call to `provider` uses under `policy`. `KeyPolicyError` when the tenant
 * has none and the policy does not allow (or has no) platform key.
 */
export async function resolveKey(
  manager: CredentialManager,
  policy: KeyPolicyOptions,
  tenantId: string,
  provider: string,
  accessor: string,
): Promise<ResolvedKey> {
  const own: CredentialReference = {
    tenantId,
    connectionId: policy.tenantConnection?.(tenantId, provider) ?? provider,
  };
  if (await exists(manager, own, accessor)) return { reference: own, keySource: "tenant" };
  const platform = policy.platformKeys?.[provider];
  if (!fallbackAllowed(policy.fallback, tenantId, provider)) {
    throw new KeyPolicyError(
      `Tenant has no ${provider} key (connection "${own.connectionId}") and the key policy does not allow the platform's key for it; no call was made. Store the tenant's key, or opt in with keyPolicy.fallback.`,
      { source: provider },
    );
  }
  if (!platform || !(await exists(manager, platform, accessor))) {
    throw new KeyPolicyError(
      `Tenant has no ${provider} key and there is no platform key for ${provider} (keyPolicy.platformKeys); no call was made.`,
      { source: provider },
    );
  }
  return { reference: platform, keySource: "platform" };
}
