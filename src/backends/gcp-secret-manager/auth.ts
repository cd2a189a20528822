/**
 * Credentials for the Secret Manager client: Application Default Credentials (nothing given),
 * a JSON key file, or a credentials JSON given inline. Inline and file credentials are parsed
 * and checked before use; messages name the option, never a value, and every secret field is
 * handed back so errors can be scrubbed of it.
 */
import { readFile } from "node:fs/promises";
import { ConfigurationError } from "../../core/errors.js";

/** The JSON Google issues for a service account key (other credential JSON types are accepted too). */
export interface GoogleCredentialsJson {
  readonly type?: string | undefined;
  readonly project_id?: string | undefined;
  readonly client_email?: string | undefined;
  readonly private_key?: string | undefined;
  readonly private_key_id?: string | undefined;
  readonly [field: string]: unknown;
}

/** Fields of Google credential JSON files that are secret. */
const SECRET_FIELDS = ["private_key", "private_key_id", "client_secret", "refresh_token"] as const;

/** Parsed credentials, and the strings to scrub from any error. */
export interface ResolvedCredentials {
  readonly credentials: GoogleCredentialsJson | undefined;
  readonly secrets: string[];
}

function invalid(option: string, reason: string, source: string): ConfigurationError {
  return new ConfigurationError(
    `The GCP credentials in ${option} ${reason}.`,
    { missing: [option] },
    { source },
  );
}

function nonEmpty(value: unknown): value is string {
  return typeof value === "string" && value.trim().length > 0;
}

/** Checks parsed credential JSON; returns it typed. Never echoes a value. */
export function validateCredentials(value: unknown, option: string, source: string): GoogleCredentialsJson {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalid(option, "are not a JSON object", source);
  }
  const json = value as GoogleCredentialsJson;
  switch (json.type) {
    case "service_account":
      if (!nonEmpty(json.client_email) || !json.client_email.includes("@")) {
        throw invalid(option, 'have no valid "client_email"', source);
      }
      if (!nonEmpty(json.private_key) || !/-----BEGIN (RSA )?PRIVATE KEY-----/.test(json.private_key)) {
        throw invalid(option, 'have no PEM "private_key"', source);
      }
      return json;
    case "authorized_user":
      for (const field of ["client_id", "client_secret", "refresh_token"]) {
        if (!nonEmpty(json[field])) throw invalid(option, `have no "${field}"`, source);
      }
      return json;
    case "external_account":
    case "impersonated_service_account":
    case "external_account_authorized_user":
      return json;
    default:
      throw invalid(
        option,
        'have no known "type" (service_account, authorized_user, external_account, impersonated_service_account)',
        source,
      );
  }
}

/** Parses credentials JSON text; a parse error never repeats the text (it holds a private key). */
export function parseCredentials(text: string, option: string, source: string): GoogleCredentialsJson {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalid(option, "are not valid JSON", source);
  }
  return validateCredentials(parsed, option, source);
}

/** Every secret string of some credentials, in the forms an SDK might print them. */
export function secretsOf(credentials: GoogleCredentialsJson | undefined, raw?: string): string[] {
  const secrets: string[] = [];
  if (raw) secrets.push(raw);
  if (!credentials) return secrets;
  for (const field of SECRET_FIELDS) {
    const value = credentials[field];
    if (typeof value !== "string" || value.length === 0) continue;
    secrets.push(value);
    // why: a PEM key is also matched line by line, so a fragment of it in a message is caught too.
    if (field === "private_key") {
      for (const line of value.split(/\r?\n/))
        if (line.length >= 16 && !line.startsWith("-----")) secrets.push(line);
    }
  }
  return secrets;
}

/** Resolves the `credentials` / `keyFilename` options. Neither: undefined (Application Default Credentials). */
export async function resolveCredentials(
  options: { credentials?: string | GoogleCredentialsJson; keyFilename?: string },
  source: string,
): Promise<ResolvedCredentials> {
  if (options.credentials !== undefined && options.keyFilename !== undefined) {
    throw new ConfigurationError('Give either "credentials" or "keyFilename", not both.', {}, { source });
  }
  if (typeof options.credentials === "string") {
    const credentials = parseCredentials(options.credentials, "credentials", source);
    return { credentials, secrets: secretsOf(credentials, options.credentials) };
  }
  if (options.credentials !== undefined) {
    const credentials = validateCredentials(options.credentials, "credentials", source);
    return { credentials, secrets: secretsOf(credentials) };
  }
  if (options.keyFilename !== undefined) {
    let text: string;
    try {
      text = await readFile(options.keyFilename, "utf8");
    } catch {
      throw new ConfigurationError(
        `The GCP key file named by "keyFilename" (${options.keyFilename}) cannot be read.`,
        { missing: ["keyFilename"] },
        { source },
      );
    }
    const credentials = parseCredentials(text, "keyFilename", source);
    return { credentials, secrets: secretsOf(credentials, text) };
  }
  return { credentials: undefined, secrets: [] };
}
