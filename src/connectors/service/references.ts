/**
 * Option B: secret references. Checking a reference's shape, and resolving every reference of a
 * connection to `Secret`s in one batch read with accessor `connector_{id}`.
 */
import {
  AuthError,
  type CredkitError,
  ExpiredError,
  IntegrityError,
  NotFoundError,
  ThrottledError,
  UnavailableError,
  ValidationError,
} from "../../core/errors.js";
import { foldFieldName } from "../../core/field-names.js";
import type { Redactor } from "../../core/redact.js";
import type { Secret } from "../../core/secret.js";
import type { ConnectionRecord, SecretReference } from "../connection-store.js";
import { accessorOf, mutate, type ServiceContext } from "./context.js";
import { checkReferences } from "./reference-policy.js";
import { sawCredentials } from "./scrubbed.js";

/** A reference could not be resolved: no such secret in this tenant, or no such field in it. */
export class UnresolvedReferenceError extends NotFoundError {
  /** The reference key, e.g. `api_key`. */
  readonly reference: string;
  readonly secretName: string;
  constructor(reference: string, secretName: string, why: string, options?: { cause?: unknown }) {
    super(
      `Secret reference "${reference}" (secret_name "${secretName}") could not be resolved: ${why}.`,
      options,
    );
    this.reference = reference;
    this.secretName = secretName;
  }
}

/** A reference checked for shape, copied without extra properties. */
export function checkReference(key: string, reference: unknown, backend: string): SecretReference {
  const ref = reference as SecretReference;
  if (typeof ref !== "object" || ref === null || typeof ref.secret_name !== "string" || !ref.secret_name) {
    throw new ValidationError(`Secret reference "${key}" needs a secret_name.`, key);
  }
  if (ref.field !== undefined && (typeof ref.field !== "string" || !ref.field)) {
    throw new ValidationError(`Secret reference "${key}": field must be a non-empty string.`, key);
  }
  if (ref.version !== undefined && (!Number.isInteger(ref.version) || ref.version < 1)) {
    throw new ValidationError(`Secret reference "${key}": version must be a positive integer.`, key);
  }
  if (ref.backend !== undefined && ref.backend !== backend) {
    throw new ValidationError(
      `Secret reference "${key}": backend "${String(ref.backend).slice(0, 40)}" is not supported; references resolve in the "${backend}" backend.`,
      key,
    );
  }
  return {
    secret_name: ref.secret_name,
    ...(ref.field !== undefined ? { field: ref.field } : {}),
    ...(ref.version !== undefined ? { version: ref.version } : {}),
    ...(ref.backend !== undefined ? { backend: ref.backend } : {}),
  };
}

/** Rebuilds a resolution failure as the same kind of error, naming the reference. */
function referenceFailure(key: string, ref: SecretReference, error: CredkitError): CredkitError {
  const what = `Secret reference "${key}" (secret_name "${ref.secret_name}")`;
  const options = { cause: error, source: error.source };
  switch (error.code) {
    case "not_found":
    case "deleted":
      return new UnresolvedReferenceError(key, ref.secret_name, "no such secret for this tenant", {
        cause: error,
      });
    case "expired":
      return new ExpiredError(`${what} has expired.`, (error as ExpiredError).expiresAt, options);
    case "auth":
      return new AuthError(`${what}: the backend refused access.`, options);
    case "throttled":
      return new ThrottledError(`${what}: the backend is throttling.`, options);
    case "integrity":
      return new IntegrityError(`${what} failed its integrity check.`, options);
    default:
      return new UnavailableError(`${what} could not be read.`, options);
  }
}

/**
 * The field of a credential a reference uses: its `field`, else the one named like the reference
 * key (case, `_` and `-` ignored), else the only one.
 */
export function pickField(key: string, ref: SecretReference, names: readonly string[]): string | undefined {
  if (ref.field !== undefined) return ref.field;
  return (
    names.find((name) => foldFieldName(name) === foldFieldName(key)) ??
    (names.length === 1 ? names[0] : undefined)
  );
}

/** The credentials a connection's references point at, each once. */
export function secretNames(record: ConnectionRecord): string[] {
  return [...new Set(Object.values(record.secretsReferences).map((ref) => ref.secret_name))];
}

/** Resolved references: values by reference key, and the version read of each unpinned secret. */
export interface Resolved {
  values: Record<string, Secret>;
  versions: Record<string, number>;
}

type ReadResult = Awaited<ReturnType<ServiceContext["tenantCredentials"]["getMany"]>>[number];

/** Reads every distinct (secret, version) the references name, in one `getMany` call. */
async function readReferenced(
  context: ServiceContext,
  record: ConnectionRecord,
): Promise<(ref: SecretReference) => ReadResult> {
  const requestKey = (ref: SecretReference) => `${ref.secret_name}\u0000${ref.version ?? ""}`;
  const requests = new Map<string, { connectionId: string; version?: number }>();
  for (const ref of Object.values(record.secretsReferences)) {
    requests.set(requestKey(ref), {
      connectionId: ref.secret_name,
      ...(ref.version !== undefined ? { version: ref.version } : {}),
    });
  }
  const keys = [...requests.keys()];
  const results = keys.length
    ? await context.tenantCredentials.getMany([...requests.values()], { accessor: accessorOf(record.id) })
    : [];
  const byKey = new Map(keys.map((key, index) => [key, results[index] as ReadResult]));
  return (ref) => byKey.get(requestKey(ref)) as ReadResult;
}

/** Marks the connection `expired` (unless disabled or already so) before an `ExpiredError` leaves. */
function markExpired(context: ServiceContext, id: string, message: string): Promise<ConnectionRecord> {
  return mutate(context, id, (current) => ({
    record: current,
    ...(current.status !== "expired" && current.status !== "disabled"
      ? { to: "expired" as const, reason: "expired" as const, message }
      : {}),
  }));
}

/** An active connection whose unpinned secrets changed version since validation → `pending`. */
async function noticeRotation(
  context: ServiceContext,
  record: ConnectionRecord,
  versions: Record<string, number>,
): Promise<void> {
  const validated = record.validatedVersions;
  if (record.status !== "active" || !validated) return;
  const rotated = Object.entries(versions).some(
    ([name, version]) => validated[name] !== undefined && validated[name] !== version,
  );
  if (!rotated) return;
  await mutate(context, record.id, (current) => ({
    record: current,
    ...(current.status === "active" ? { to: "pending" as const, reason: "rotated" as const } : {}),
  }));
}

/**
 * Resolves every reference of a connection in one batch. An unresolvable reference →
 * `UnresolvedReferenceError` naming it; an expired secret → `ExpiredError` and status `expired`.
 * Every value read (each field of each credential) is added to `known`, for scrubbing.
 */
export async function resolveReferences(
  context: ServiceContext,
  record: ConnectionRecord,
  options: { noticeRotation?: boolean; known?: Redactor } = {},
): Promise<Resolved> {
  checkReferences(record, context.options.referencePolicy);
  const resultOf = await readReferenced(context, record);
  const values: Record<string, Secret> = {};
  const versions: Record<string, number> = {};
  for (const ref of Object.values(record.secretsReferences)) {
    const result = resultOf(ref);
    if (result.ok) sawCredentials(options.known, result.credentials);
  }
  for (const [key, ref] of Object.entries(record.secretsReferences)) {
    const result = resultOf(ref);
    if (!result.ok) {
      const failure = referenceFailure(key, ref, result.error);
      if (failure.code === "expired") await markExpired(context, record.id, failure.message);
      throw failure;
    }
    const fields = result.credentials;
    const field = pickField(key, ref, Object.keys(fields));
    const value = field !== undefined ? fields[field] : undefined;
    if (!value) {
      throw new UnresolvedReferenceError(
        key,
        ref.secret_name,
        `the secret has no field "${ref.field ?? key}"`,
      );
    }
    values[key] = value;
    if (ref.version === undefined) versions[ref.secret_name] = result.version;
  }
  if (options.noticeRotation !== false) await noticeRotation(context, record, versions);
  return { values, versions };
}
