/**
 * `credkit run --tenant T --connection C -- <command>`: runs a command with a credential's (or a
 * connection's) values as environment variables, and redacts those values — and every encoding
 * the scrubber knows — from its stdout and stderr, even split across writes. The child's exit
 * code (or 128 + signal) is credkit's.
 */
import { spawn } from "node:child_process";
import { constants } from "node:os";
import { ConnectorService } from "../../connectors/service.js";
import type { CredentialManager } from "../../core/credential-manager.js";
import { NotFoundError, ValidationError } from "../../core/errors.js";
import { Redactor } from "../../core/redact.js";
import { RedactingStream } from "../../core/redact-stream.js";
import { Secret } from "../../core/secret.js";
import { withManager } from "../context.js";
import type { GlobalOptions } from "../output.js";

/** Options of `run`. */
export interface RunOptions extends GlobalOptions {
  tenant: string;
  connection: string;
  prefix?: string;
}

/** `apiKey` → `API_KEY`, `base-url` → `BASE_URL`. */
export function variableOf(field: string, prefix = ""): string {
  const snake = field
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/[^A-Za-z0-9_]/g, "_")
    .toUpperCase();
  return `${prefix}${snake}`;
}

/** A connection's resolved configuration, or else the credential of that name: field → value, secret flag. */
async function valuesOf(
  manager: CredentialManager,
  options: RunOptions,
): Promise<Map<string, { value: string; secret: boolean }>> {
  const values = new Map<string, { value: string; secret: boolean }>();
  const service = new ConnectorService({ credentials: manager, tenantId: options.tenant });
  try {
    const resolved = await service.getConnectorCredentials(options.connection);
    for (const [field, value] of Object.entries(resolved)) {
      if (value instanceof Secret) values.set(field, { value: value.reveal(), secret: true });
      else if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
        values.set(field, { value: String(value), secret: false });
      }
    }
    return values;
  } catch (error) {
    if (!NotFoundError.isInstance(error) || error.code !== "not_found") throw error;
  }
  const fields = await manager.getCredentials(options.connection, options.tenant, {
    accessor: "credkit-run",
  });
  for (const [field, secret] of Object.entries(fields))
    values.set(field, { value: secret.reveal(), secret: true });
  return values;
}

function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const number = signal ? (constants.signals as Record<string, number>)[signal] : undefined;
  return 128 + (number ?? 1);
}

/** Runs `command` with the injected variables; resolves to its exit code. */
export async function runCommand(command: readonly string[], options: RunOptions): Promise<void> {
  if (command.length === 0) throw new ValidationError("Give the command to run after --.", "command");
  const values = await withManager(options, (manager) => valuesOf(manager, options));
  const environment: Record<string, string> = {};
  for (const [field, { value }] of values) environment[variableOf(field, options.prefix)] = value;
  const secrets = [...values.values()].filter((item) => item.secret).map((item) => item.value);
  const redactor = new Redactor(secrets);
  const child = spawn(command[0]!, command.slice(1), {
    env: { ...process.env, ...environment },
    stdio: ["inherit", "pipe", "pipe"],
  });
  const streams = [
    [child.stdout, process.stdout],
    [child.stderr, process.stderr],
  ] as const;
  const done = streams.map(
    ([from, to]) =>
      new Promise<void>((resolve) => {
        const redacting = new RedactingStream(redactor, secrets, (text) => to.write(text));
        from.on("data", (chunk: Buffer) => redacting.push(chunk));
        from.on("end", () => {
          redacting.end();
          resolve();
        });
      }),
  );
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on("SIGINT", forward).on("SIGTERM", forward);
  const code = await new Promise<number>((resolve, reject) => {
    child.on("error", (error) =>
      reject(new ValidationError(`Cannot run "${command[0]}": ${error.message}`, "command")),
    );
    child.on("close", (exit, signal) => resolve(exitCodeOf(exit, signal)));
  });
  await Promise.all(done);
  process.off("SIGINT", forward).off("SIGTERM", forward);
  process.exitCode = code;
}
