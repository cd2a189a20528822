/**
 * The node-vault client credkit drives: the one given, or one built from `endpoint`,
 * `namespace` and `tls` that ignores node-vault's environment variables; and its token lifecycle.
 */
import type NodeVault from "node-vault";
import type { Dispatcher } from "undici";
import { importOptional } from "../../core/import-optional.js";
import type { TokenLifecycle, VaultAuth, VaultClient } from "./auth.js";
import type { VaultBackendOptions } from "./index.js";
import { tokenLifecycle } from "./token-lifecycle.js";
import { requestPromiseOver, vaultAgent } from "./transport.js";

/** A client and the lifecycle of its token. */
export interface VaultConnection {
  readonly client: VaultClient;
  readonly tokens: TokenLifecycle;
  /** The HTTP agent of a client credkit built, closed with the backend. */
  readonly agent?: Dispatcher | undefined;
}

/** The client of `options` (imported lazily) with its token managed. Makes no request. */
export async function connectVault(
  options: VaultBackendOptions,
  timeoutMs: number,
): Promise<VaultConnection> {
  if (options.client) return withTokens(options.client, options);
  const { client, agent } = await createClient(options, timeoutMs);
  return { ...withTokens(client, options), agent };
}

function withTokens(client: VaultClient, options: VaultBackendOptions): VaultConnection {
  // why: Node's HTTP stack cannot send or parse the custom LIST verb; Vault accepts GET ?list=true.
  client.noCustomHTTPVerbs = true;
  const auth: VaultAuth = options.auth ?? { method: "token", token: client.token };
  return { client, tokens: tokenLifecycle(client, auth, options) };
}

/** A client over an agent of its own, which ignores node-vault's environment variables. */
async function createClient(
  options: VaultBackendOptions,
  timeoutMs: number,
): Promise<{ client: VaultClient; agent: Dispatcher }> {
  const create = await importOptional(
    "node-vault",
    "the vault backend",
    async () => (await import("node-vault")).default,
    options.lib,
  );
  const agent = await vaultAgent(options.tls ?? {});
  const config: NodeVault.VaultOptions = {
    endpoint: options.endpoint ?? "http://127.0.0.1:8200",
    ...(options.namespace ? { namespace: options.namespace } : {}),
    noCustomHTTPVerbs: true,
    // why: node-vault's debug output prints request bodies (secret ids, payloads).
    debug: () => undefined,
    // why: cheaper per request than node-vault's axios, and it takes TLS from `tls` alone
    // (node-vault's own would read VAULT_SKIP_VERIFY from the environment).
    "request-promise": requestPromiseOver(agent, timeoutMs),
  };
  const client = create(config) as VaultClient;
  // why: node-vault reads VAULT_TOKEN, VAULT_NAMESPACE and VAULT_PREFIX from process.env;
  // credkit's options decide, so nothing leaks in from the environment.
  client.token = undefined as unknown as string;
  client.pathPrefix = "";
  if (!options.namespace) client.namespace = undefined;
  return { client, agent };
}
