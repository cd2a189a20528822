/**
 * `credkit put` and `credkit rotate`: a value from stdin or a hidden prompt, never from the
 * command line unless `--value` is given (with a warning: it lands in shell history).
 */
import { CREDENTIAL_TYPES, type CredentialType } from "../../core/credential-types.js";
import { ValidationError } from "../../core/errors.js";
import type { WriteOptions } from "../../core/manager-options.js";
import { withManager } from "../context.js";
import { readSecretValue } from "../input.js";
import { type GlobalOptions, Output } from "../output.js";
import { infoLines } from "./show.js";

/** Options of `put` and `rotate`. */
export interface WriteCommandOptions extends GlobalOptions {
  field: string;
  type?: string;
  fieldsJson?: boolean;
  value?: string;
  expiresAt?: string;
  ifVersion?: string;
  actor?: string;
}

function parseFieldsJson(text: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ValidationError(
      "--fields-json input must be a JSON object of field names to strings.",
      "fields",
    );
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new ValidationError(
      "--fields-json input must be a JSON object of field names to strings.",
      "fields",
    );
  }
  for (const [field, value] of Object.entries(parsed)) {
    if (typeof value !== "string") throw new ValidationError(`Field "${field}" must be a string.`, field);
  }
  return parsed as Record<string, string>;
}

/** The fields to write, from `--value`, stdin or the hidden prompt. */
export async function fieldsFrom(
  options: WriteCommandOptions,
  output: Output,
): Promise<Record<string, string>> {
  if (options.value !== undefined) {
    output.warn(
      "--value puts the secret in your shell history and the process list; pipe it on stdin or use the prompt instead.",
    );
    return options.fieldsJson ? parseFieldsJson(options.value) : { [options.field]: options.value };
  }
  const what = options.fieldsJson ? "fields" : options.field;
  const text = await readSecretValue(
    what,
    options.fieldsJson ? "Fields (JSON object)" : `Value of ${options.field}`,
  );
  return options.fieldsJson ? parseFieldsJson(text) : { [options.field]: text };
}

/** The library's write options from the command's. */
export function writeOptions(options: WriteCommandOptions): WriteOptions {
  if (options.type !== undefined && !(CREDENTIAL_TYPES as readonly string[]).includes(options.type)) {
    throw new ValidationError(`--type must be one of ${CREDENTIAL_TYPES.join(", ")}.`, "type");
  }
  let ifVersion: number | undefined;
  if (options.ifVersion !== undefined) {
    ifVersion = Number(options.ifVersion);
    if (!Number.isSafeInteger(ifVersion) || ifVersion < 0) {
      throw new ValidationError("--if-version must be a whole number (0: only if absent).", "ifVersion");
    }
  }
  return {
    ...(options.type !== undefined ? { type: options.type as CredentialType } : {}),
    ...(options.expiresAt !== undefined ? { expiresAt: options.expiresAt } : {}),
    ...(ifVersion !== undefined ? { ifVersion } : {}),
    actor: options.actor ?? "credkit-cli",
  };
}

/** `put` (`rotate: false`) or `rotate` (`rotate: true`, the credential must exist). */
export async function writeCommand(
  tenantId: string,
  connectionId: string,
  options: WriteCommandOptions,
  rotate: boolean,
): Promise<void> {
  const output = new Output(options);
  const write = writeOptions(options);
  const fields = await fieldsFrom(options, output);
  const info = await withManager(options, (manager) =>
    rotate
      ? manager.rotateCredentials(connectionId, tenantId, fields, write)
      : manager.storeCredentials(connectionId, tenantId, fields, write),
  );
  output.result(info, () => [
    `${rotate ? "Rotated" : "Stored"} ${connectionId} (version ${info.version}).`,
    ...infoLines(info),
  ]);
}
