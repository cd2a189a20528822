/**
 * Values of the env backend's variables. Two forms:
 *
 * - `credkit:1:<base64url JSON>`: a record exactly as the core wrote it (`{ version, value,
 *   metadata }`, the value being envelope ciphertext), produced by `encryptForEnv`.
 * - `{...}`: plain JSON fields, for development only. Refused when `NODE_ENV=production`; read as
 *   an unencrypted payload, so only a manager created with `encryptionKey: false` opens it.
 *
 * A malformed value is an `IntegrityError` naming the variable, never echoing the value.
 */
import type { BackendRecord, RecordMetadata } from "../../core/backend.js";
import { ConfigurationError, IntegrityError } from "../../core/errors.js";
import type { BackendKey } from "../../core/key-encoding.js";

/** The marker of an encrypted record value (format 1). */
export const RECORD_PREFIX = "credkit:1:";
const PLAIN_PAYLOAD_PREFIX = "plain:";

/** The variable value holding `record`. */
export function encodeValue(record: BackendRecord): string {
  const { version, value, metadata } = record;
  return (
    RECORD_PREFIX + Buffer.from(JSON.stringify({ version, value, metadata }), "utf8").toString("base64url")
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isMetadata(value: unknown): value is RecordMetadata {
  if (!isObject(value)) return false;
  const { tenant, name, type, fingerprints, keyId, createdAt, updatedAt } = value;
  return (
    typeof tenant === "string" &&
    typeof name === "string" &&
    typeof type === "string" &&
    isObject(fingerprints) &&
    (keyId === null || typeof keyId === "string") &&
    typeof createdAt === "string" &&
    typeof updatedAt === "string"
  );
}

function decodeRecord(variable: string, text: string): BackendRecord {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text.slice(RECORD_PREFIX.length), "base64url").toString("utf8"));
  } catch {
    parsed = undefined;
  }
  if (
    isObject(parsed) &&
    Number.isSafeInteger(parsed.version) &&
    (parsed.version as number) >= 1 &&
    typeof parsed.value === "string" &&
    isMetadata(parsed.metadata)
  ) {
    return { version: parsed.version as number, value: parsed.value, metadata: parsed.metadata };
  }
  throw new IntegrityError(
    `The variable ${variable} does not hold a credkit record: set it again from encryptForEnv().`,
  );
}

function plainRecord(
  variable: string,
  text: string,
  key: Pick<BackendKey, "tenantId" | "connectionId">,
): BackendRecord {
  let fields: unknown;
  try {
    fields = JSON.parse(text);
  } catch {
    fields = undefined;
  }
  if (!isObject(fields) || !Object.values(fields).every((field) => typeof field === "string")) {
    throw new IntegrityError(`The variable ${variable} is not a JSON object of string fields.`);
  }
  const epoch = new Date(0).toISOString();
  return {
    version: 1,
    value: PLAIN_PAYLOAD_PREFIX + JSON.stringify(fields),
    metadata: {
      tenant: key.tenantId,
      name: key.connectionId,
      type: "custom",
      fingerprints: {},
      keyId: null,
      createdAt: epoch,
      updatedAt: epoch,
    },
  };
}

/** How a value is read: the key it is read for (plain values carry no ids), and the policy. */
export interface DecodeContext {
  readonly variable: string;
  readonly key: Pick<BackendKey, "tenantId" | "connectionId"> | undefined;
  readonly production: boolean;
  /** Called before a plain JSON value is returned. */
  readonly onPlain: (variable: string) => void;
}

/** The record a variable's value holds; undefined for a plain value listed without its ids. */
export function decodeValue(text: string, context: DecodeContext): BackendRecord | undefined {
  if (text.startsWith(RECORD_PREFIX)) return decodeRecord(context.variable, text);
  if (!text.trimStart().startsWith("{")) {
    throw new IntegrityError(
      `The variable ${context.variable} is neither a credkit record nor JSON: set it from encryptForEnv().`,
    );
  }
  if (context.production) {
    throw new ConfigurationError(
      `The variable ${context.variable} holds plain JSON, which is refused when NODE_ENV=production: set it to the value encryptForEnv() returns.`,
      { missing: [context.variable] },
    );
  }
  if (!context.key) return undefined;
  context.onPlain(context.variable);
  return plainRecord(context.variable, text, context.key);
}
