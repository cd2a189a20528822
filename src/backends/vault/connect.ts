/**
 * The node-vault client credkit drives: the one given, or one built from `endpoint`,
 * `namespace` and `tls` that ignores node-vault's environment variables; and its token lifecycle.
 */
import type NodeVault from "node-vault";
import { importOptional } from "../../core/import-optional.js";
import type { TokenLifecycle, VaultAuth, VaultClient } from "./auth.js";
import type { VaultBackendOptions, VaultTlsOptions } from "./index.js";
import { tokenLifecycle } from "./token-lifecycle.js";

/** A client and the lifecycle of its token. */
export interface VaultConnection {
  readonly client: VaultClient;
  readonly tokens: TokenLifecycle;
}

/** The client of `options` (imported lazily) with its token managed. Makes no request. */
export async function connectVault(options: VaultBackendOptions): Promise<VaultConnection> {
  const client = options.client ?? (await createClient(options));
  // why: Node's HTTP stack cannot send or parse the custom LIST verb; Vault accepts GET ?list=true.
  client.noCustomHTTPVerbs = true;
  const auth: VaultAuth = options.auth ?? { method: "token", token: client.token };
  return { client, tokens: tokenLifecycle(client, auth, options) };
}

async function createClient(options: VaultBackendOptions): Promise<VaultClient> {
  const create = await importOptional(
    "node-vault",
    "the vault backend",
    async () => (await import("node-vault")).default,
    options.lib,
  );
  const config: NodeVault.VaultOptions = {
    endpoint: options.endpoint ?? "http://127.0.0.1:8200",
    ...(options.namespace ? { namespace: options.namespace } : {}),
    noCustomHTTPVerbs: true,
    // why: node-vault's debug output prints request bodies (secret ids, payloads).
    debug: () => undefined,
    requestOptions: requestOptionsOf(options.tls ?? {}),
  };
  const client = create(config) as VaultClient;
  // why: node-vault reads VAULT_TOKEN, VAULT_NAMESPACE and VAULT_PREFIX from process.env;
  // credkit's options decide, so nothing leaks in from the environment.
  client.token = undefined as unknown as string;
  client.pathPrefix = "";
  if (!options.namespace) client.namespace = undefined;
  return client;
}

function requestOptionsOf(tls: VaultTlsOptions) {
  return {
    ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
    ...(tls.cert !== undefined ? { cert: tls.cert } : {}),
    ...(tls.key !== undefined ? { key: tls.key } : {}),
    ...(tls.passphrase !== undefined ? { passphrase: tls.passphrase } : {}),
    // why: explicit either way, so node-vault never applies VAULT_SKIP_VERIFY from the environment.
    strictSSL: tls.insecureSkipVerify !== true,
  };
}
