/**
 * An `OAuthClientProvider` for `@modelcontextprotocol/sdk` clients, backed by credkit's store:
 * the registered client information, the tokens and the PKCE code verifier are credentials of
 * the tenant (encrypted like any other), keyed by the authorization server's issuer, so a
 * multi-user MCP host keeps each user's tokens apart and a restart keeps them. It is
 * structurally the SDK's interface; this module imports nothing from the SDK.
 */
import { createHash } from "node:crypto";
import type { CredentialManager } from "../core/credential-manager.js";
import { IntegrityError, NotFoundError, ValidationError } from "../core/errors.js";

/** The SDK's `OAuthTokens`. */
export interface McpOAuthTokens {
  access_token: string;
  token_type: string;
  id_token?: string | undefined;
  expires_in?: number | undefined;
  scope?: string | undefined;
  refresh_token?: string | undefined;
}

/** The SDK's `OAuthClientInformation` (a full registration response is kept as given). */
export interface McpClientInformation {
  client_id: string;
  client_secret?: string | undefined;
  client_id_issued_at?: number | undefined;
  client_secret_expires_at?: number | undefined;
}

/** Options of `credkitMcpOAuthProvider`. */
export interface McpOAuthProviderOptions<Metadata extends { redirect_uris: string[] }> {
  credentials: CredentialManager;
  /** The user (tenant) the MCP client acts for. */
  tenantId: string;
  /** The authorization server's issuer; stored values are keyed by it. */
  issuer: string;
  /** Where the authorization server sends the user back. */
  redirectUrl: string | URL;
  /** The client metadata used for dynamic registration (the SDK's `OAuthClientMetadata`). */
  clientMetadata: Metadata;
  /** Sends the user to the authorization URL (redirect the browser, print a link, ...). */
  onAuthorizationUrl: (url: URL) => void | Promise<void>;
  /**
   * How long a saved code verifier may be used, ms.
   * @default 600000
   */
  verifierTtlMs?: number | undefined;
}

type Kind = "client" | "tokens" | "verifier";

/** A credkit-backed MCP `OAuthClientProvider`. */
export class CredkitMcpOAuthProvider<Metadata extends { redirect_uris: string[] }> {
  readonly #options: McpOAuthProviderOptions<Metadata>;
  readonly #key: string;

  constructor(options: McpOAuthProviderOptions<Metadata>) {
    if (typeof options.tenantId !== "string" || !options.tenantId) {
      throw new ValidationError("The MCP OAuth provider needs a tenantId.", "tenantId");
    }
    if (typeof options.issuer !== "string" || !URL.canParse(options.issuer)) {
      throw new ValidationError("The MCP OAuth provider needs an issuer URL.", "issuer");
    }
    this.#options = options;
    this.#key = createHash("sha256").update(options.issuer, "utf8").digest("base64url").slice(0, 32);
  }

  get redirectUrl(): string | URL {
    return this.#options.redirectUrl;
  }

  get clientMetadata(): Metadata {
    return this.#options.clientMetadata;
  }

  #name(kind: Kind): string {
    return `mcp-${kind}-${this.#key}`;
  }

  async #read(kind: Kind): Promise<Record<string, string> | undefined> {
    try {
      const fields = await this.#options.credentials.getCredentials(
        this.#name(kind),
        this.#options.tenantId,
        {
          accessor: "mcp",
        },
      );
      return Object.fromEntries(Object.entries(fields).map(([name, value]) => [name, value.reveal()]));
    } catch (error) {
      if (NotFoundError.isInstance(error) || (error as { code?: string }).code === "expired")
        return undefined;
      throw error;
    }
  }

  async #write(kind: Kind, fields: Record<string, string>, expiresAt?: Date): Promise<void> {
    await this.#options.credentials.storeCredentials(this.#name(kind), this.#options.tenantId, fields, {
      type: kind === "tokens" ? "oauth" : "custom",
      actor: "mcp",
      ...(expiresAt ? { expiresAt } : {}),
    });
  }

  async clientInformation(): Promise<McpClientInformation | undefined> {
    const stored = await this.#read("client");
    if (!stored?.information) return undefined;
    try {
      return JSON.parse(stored.information) as McpClientInformation;
    } catch {
      // why: JSON.parse quotes the start of its input in its message, and the input holds a client secret.
      throw new IntegrityError(
        "The stored MCP client registration is not valid JSON; register the client again.",
      );
    }
  }

  async saveClientInformation(information: McpClientInformation): Promise<void> {
    await this.#write("client", { information: JSON.stringify(information), issuer: this.#options.issuer });
  }

  async tokens(): Promise<McpOAuthTokens | undefined> {
    const stored = await this.#read("tokens");
    if (!stored?.accessToken) return undefined;
    const expiresAt = stored.expiresAt ? Date.parse(stored.expiresAt) : Number.NaN;
    return {
      access_token: stored.accessToken,
      token_type: stored.tokenType ?? "bearer",
      ...(stored.refreshToken ? { refresh_token: stored.refreshToken } : {}),
      ...(stored.scope ? { scope: stored.scope } : {}),
      ...(Number.isFinite(expiresAt)
        ? { expires_in: Math.max(0, Math.floor((expiresAt - Date.now()) / 1000)) }
        : {}),
    };
  }

  async saveTokens(tokens: McpOAuthTokens): Promise<void> {
    await this.#write("tokens", {
      accessToken: tokens.access_token,
      tokenType: tokens.token_type,
      ...(tokens.refresh_token ? { refreshToken: tokens.refresh_token } : {}),
      ...(tokens.scope ? { scope: tokens.scope } : {}),
      ...(typeof tokens.expires_in === "number"
        ? { expiresAt: new Date(Date.now() + tokens.expires_in * 1000).toISOString() }
        : {}),
      issuer: this.#options.issuer,
    });
  }

  async redirectToAuthorization(authorizationUrl: URL): Promise<void> {
    await this.#options.onAuthorizationUrl(authorizationUrl);
  }

  async saveCodeVerifier(codeVerifier: string): Promise<void> {
    await this.#write(
      "verifier",
      { codeVerifier },
      new Date(Date.now() + (this.#options.verifierTtlMs ?? 600_000)),
    );
  }

  async codeVerifier(): Promise<string> {
    const stored = await this.#read("verifier");
    if (!stored?.codeVerifier) {
      throw new ValidationError(
        "No code verifier is saved for this authorization (expired or never started).",
        "codeVerifier",
      );
    }
    return stored.codeVerifier;
  }

  /** Removes what the server says is no longer valid. */
  async invalidateCredentials(scope: "all" | "client" | "tokens" | "verifier" | "discovery"): Promise<void> {
    const kinds: Kind[] =
      scope === "all" ? ["client", "tokens", "verifier"] : scope === "discovery" ? [] : [scope];
    for (const kind of kinds) {
      await this.#options.credentials
        .purgeCredentials(this.#name(kind), this.#options.tenantId, { actor: "mcp" })
        .catch((error) => {
          if (!NotFoundError.isInstance(error)) throw error;
        });
    }
  }
}

/** A credkit-backed `OAuthClientProvider` for an MCP client of one tenant and one issuer. */
export function credkitMcpOAuthProvider<Metadata extends { redirect_uris: string[] }>(
  options: McpOAuthProviderOptions<Metadata>,
): CredkitMcpOAuthProvider<Metadata> {
  return new CredkitMcpOAuthProvider(options);
}
