/**
 * Building a connection's connector and testing it: `validating`, then `active`, `error` or
 * `expired`, recorded in the audit trail.
 */
import { CredkitError, UnavailableError, ValidationError } from "../../core/errors.js";
import { Redactor, safeGet } from "../../core/redact.js";
import type { Secret } from "../../core/secret.js";
import type { ConnectionRecord } from "../connection-store.js";
import type { Connector, TestConnectionResult, TestFailureCode } from "../types.js";
import { accessorOf, loadRecord, mutate, type ServiceContext } from "./context.js";
import { resolveReferences, secretNames } from "./references.js";

/** A connector for the record, built with its configuration and resolved secrets. */
export async function connectorFor(
  context: ServiceContext,
  record: ConnectionRecord,
  values: Record<string, Secret>,
): Promise<Connector> {
  const configured = context.options.connectorOptions;
  const base = typeof configured === "function" ? configured(record.connector) : (configured ?? {});
  return context.registry.get(record.connector as never, { ...record.configuration, ...values }, {
    ...base,
    redact: [...(base.redact ?? []), ...Object.values(values)],
  } as never) as Promise<Connector>;
}

/** The verdict for a test that failed before the provider was called. */
function failedTest(
  context: ServiceContext,
  error: unknown,
  phase: "resolve" | "connect",
  known: Redactor,
): TestConnectionResult {
  const failure = CredkitError.isInstance(error)
    ? error
    : new UnavailableError("The connector could not be built.", { cause: known.scrubError(error) });
  const code: TestFailureCode =
    failure.code === "expired"
      ? "expired"
      : failure.code === "validation"
        ? "missing_credentials"
        : phase === "resolve"
          ? "unresolved_reference"
          : "provider_error";
  return {
    success: false,
    status: code === "expired" ? "expired" : "error",
    code,
    error: known.redact(String(safeGet(failure, "message"))).replace(/^\[credkit\](?: \[[^\]]*\])? /, ""),
    details: { latencyMs: 0 },
    testedAt: context.now().toISOString(),
  };
}

/** Resolves, builds and tests; the verdict plus the versions it validated. */
async function runTest(
  context: ServiceContext,
  record: ConnectionRecord,
  known: Redactor,
): Promise<{ result: TestConnectionResult; versions: Record<string, number> }> {
  let versions: Record<string, number> = {};
  let phase: "resolve" | "connect" = "resolve";
  try {
    const resolved = await resolveReferences(context, record, { noticeRotation: false, known });
    versions = resolved.versions;
    phase = "connect";
    const connector = await connectorFor(context, record, resolved.values);
    try {
      return { result: await connector.testConnection(), versions };
    } finally {
      await connector.cleanup();
    }
  } catch (error) {
    return { result: failedTest(context, error, phase, known), versions };
  }
}

/** Options of `testConnectorConnection`. */
export interface TestConnectionOptions {
  /**
   * A scheduled check (the health monitor's): no `validating` step, a transition only when the
   * verdict changes the status, and `error` → `active` is reported with reason `recovered`.
   * @default false
   */
  background?: boolean;
}

/** The reason of a move to `status` after a test. */
function verdictReason(status: TestConnectionResult["status"], from: string, background: boolean) {
  if (status === "active") return background && from === "error" ? "recovered" : "validated";
  return status === "expired" ? "expired" : "validation_failed";
}

/**
 * Tests the connection: `validating`, then `active` or `error` (or `expired`). Returns the
 * verdict, never throws for a failed test; the outcome is also recorded in the audit trail.
 * The secrets read are added to `known`; a verdict's message is redacted with them.
 */
export async function testConnection(
  context: ServiceContext,
  id: string,
  options: TestConnectionOptions = {},
  known: Redactor = new Redactor(),
): Promise<TestConnectionResult> {
  const record = await loadRecord(context, id);
  assertEnabled(record);
  const background = options.background === true;
  if (!background) {
    await mutate(context, id, (current) => ({
      record: current,
      to: "validating",
      reason: "validation_started",
    }));
  }
  const { result, versions } = await runTest(context, record, known);
  const accessor = accessorOf(id);
  for (const name of secretNames(record))
    context.tenantCredentials.recordTest(name, accessor, result.success);
  await mutate(context, id, (current) => ({
    record: result.success ? { ...current, validatedVersions: versions } : current,
    ...(current.status === result.status
      ? {}
      : {
          to: result.status,
          reason: verdictReason(result.status, current.status, background),
          ...(result.error !== undefined ? { message: result.error } : {}),
        }),
  }));
  return result;
}

/** Refuses a disabled connection. */
export function assertEnabled(record: ConnectionRecord): void {
  if (record.status === "disabled") {
    throw new ValidationError(`Connection "${record.id}" is disabled; enable it first.`, "status");
  }
}
