/**
 * Recognising a credential by its shape: the prefixes providers put on their keys and tokens
 * (`sk-`, `sk-ant-`, `AIza`, `fc-`, `ghp_`, `xoxb-`, `AKIA`…), a JSON Web Token, a PEM private
 * key, and URLs that carry a credential in their userinfo or query. Used to keep secrets out of
 * places meant for plain settings.
 */

/** Known key prefixes, each followed by at least 16 key characters to count. */
export const KNOWN_KEY_PREFIXES: readonly string[] = [
  "sk-ant-", // Anthropic
  "sk-proj-", // OpenAI project keys
  "sk-", // OpenAI and compatible
  "sk_live_", // Stripe
  "sk_test_",
  "rk_live_",
  "AIza", // Google API keys (Gemini)
  "fc-", // Firecrawl
  "ghp_", // GitHub tokens
  "gho_",
  "ghu_",
  "ghs_",
  "ghr_",
  "github_pat_",
  "glpat-", // GitLab
  "xoxb-", // Slack
  "xoxp-",
  "xoxa-",
  "xoxr-",
  "xoxs-",
  "xapp-",
  "AKIA", // AWS access key ids
  "ASIA",
  "hvs.", // Vault tokens
  "hf_", // Hugging Face
  "npm_",
  "pypi-",
  "SG.", // SendGrid
  "key-", // Mailgun
  "r8_", // Replicate
  "gsk_", // Groq
  "pplx-", // Perplexity
];

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

const PREFIXED_KEY = new RegExp(
  `(?:^|[^A-Za-z0-9])(?:${KNOWN_KEY_PREFIXES.map(escapeRegExp).join("|")})[A-Za-z0-9_\\-.]{16,}`,
);
const JWT = /(?:^|[^A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/;
const PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;

/** Whether text contains something shaped like a known key, a JWT or a PEM private key. */
export function containsKeyShape(text: string): boolean {
  return PREFIXED_KEY.test(text) || JWT.test(text) || PRIVATE_KEY.test(text);
}

/** Query parameter names that carry a credential (compared folded: case, `_` and `-` ignored). */
const SECRET_QUERY_NAMES = new Set([
  "key",
  "apikey",
  "token",
  "accesstoken",
  "authtoken",
  "secret",
  "clientsecret",
  "password",
  "pass",
  "pwd",
  "sig",
  "signature",
  "auth",
  "xamzsignature",
  "xamzcredential",
  "xamzsecuritytoken",
]);

/**
 * Where a URL inside `text` carries a credential: `userinfo` (`https://user:pass@host`) or
 * `query` (`?api_key=…`, `&token=…`); undefined when it carries none or is no URL.
 */
export function urlCredential(text: string): "userinfo" | "query" | undefined {
  const match = /[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/i.exec(text);
  if (!match) return undefined;
  let url: URL;
  try {
    url = new URL(match[0]);
  } catch {
    return /:\/\/[^/@\s]*@/.test(match[0]) ? "userinfo" : undefined;
  }
  if (url.username || url.password) return "userinfo";
  for (const name of url.searchParams.keys()) {
    if (SECRET_QUERY_NAMES.has(name.toLowerCase().replace(/[_-]/g, ""))) return "query";
  }
  return undefined;
}
