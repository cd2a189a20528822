/**
 * `credkit export`: the latest values of every live credential (of one tenant, or of all) as
 * JSON, NDJSON or `.env`, optionally sealed into an encrypted bundle. An encrypted bundle, and
 * JSON or NDJSON with `--all-versions`, holds every readable version, oldest first, each record
 * carrying its `version`, so an import elsewhere rebuilds the history. Values are written only to
 * the file named by `--output` (created 0600), or to stdout with `--output -`: never by default.
 * credkit's own records (connections) are not exported; `migrate` moves those.
 */
import { writeFileSync } from "node:fs";
import type { CredentialManager } from "../../core/credential-manager.js";
import { managerCore } from "../../core/credential-manager.js";
import { ValidationError } from "../../core/errors.js";
import { isReservedName } from "../../core/ids.js";
import type { CredentialRequest } from "../../core/manager-options.js";
import { walkCredentials } from "../../core/record-walk.js";
import { withManager } from "../context.js";
import { EXIT_FAILURE } from "../exit-codes.js";
import { type GlobalOptions, Output } from "../output.js";
import { startProgress } from "../progress.js";
import { sealBundle } from "../transfer/bundle.js";
import { bundlePassphrase } from "../transfer/passphrase.js";
import {
  formatOf,
  formatRecords,
  TRANSFER_FORMATS,
  type TransferFormat,
  type TransferRecord,
} from "../transfer/records.js";

/** Options of `export`. */
export interface ExportOptions extends GlobalOptions {
  output?: string;
  format?: string;
  tenant?: string;
  encrypt?: boolean;
  allVersions?: boolean;
}

/** Credentials read at once. */
const READ_BATCH = 100;

/** The live, public credentials to export (ids and metadata from a walk of the store). */
async function exportable(manager: CredentialManager, tenantId: string | undefined) {
  const wanted: Array<CredentialRequest & { type: string; expiresAt?: string; latest: number }> = [];
  const walk = walkCredentials(managerCore(manager), tenantId !== undefined ? { userId: tenantId } : {});
  for await (const { entry } of walk) {
    if (entry.deleted || isReservedName(entry.metadata.name)) continue;
    const { tenant: userId, name: connectionId, type, expiresAt } = entry.metadata;
    wanted.push({
      userId,
      connectionId,
      type,
      latest: entry.version,
      ...(expiresAt !== undefined ? { expiresAt } : {}),
    });
  }
  return wanted;
}

/** The reads of an export: the latest version of each credential, or each version oldest first. */
async function readRequests(manager: CredentialManager, tenantId: string | undefined, allVersions: boolean) {
  const wanted = await exportable(manager, tenantId);
  if (!allVersions) return wanted.map(({ latest: _latest, ...request }) => request);
  return wanted.flatMap(({ latest, ...request }) =>
    Array.from({ length: latest }, (_, index) => ({ ...request, version: index + 1 })),
  );
}

async function readRecords(
  manager: CredentialManager,
  tenantId: string | undefined,
  output: Output,
  allVersions: boolean,
) {
  const wanted = await readRequests(manager, tenantId, allVersions);
  const bar = await startProgress(output, "Exporting", wanted.length);
  const records: TransferRecord[] = [];
  const failures: Array<{ tenantId: string; connectionId: string; code: string }> = [];
  for (let start = 0; start < wanted.length; start += READ_BATCH) {
    const slice = wanted.slice(start, start + READ_BATCH);
    const results = await manager.getManyCredentials(slice, {
      accessor: "credkit-export",
      allowExpired: true,
    });
    results.forEach((result, index) => {
      const { userId, connectionId, type, expiresAt, version } = slice[index]!;
      if (!result.ok) {
        // an older version pruned by maxVersions is not there to export
        if (version !== undefined && result.error.code === "not_found") return;
        failures.push({ tenantId: userId, connectionId, code: result.error.code });
        return;
      }
      const fields = Object.fromEntries(
        Object.entries(result.credentials).map(([name, secret]) => [name, secret.reveal()]),
      );
      records.push({
        tenantId: userId,
        connectionId,
        type,
        fields,
        ...(version !== undefined ? { version } : {}),
        ...(expiresAt !== undefined ? { expiresAt } : {}),
      });
    });
    bar.advance(slice.length, `${start + slice.length} of ${wanted.length}`);
  }
  bar.stop(`${records.length} ${allVersions ? "versions" : "credentials"} read`);
  return { records, failures };
}

/** Exports credentials to `--output`. */
export async function exportCommand(options: ExportOptions): Promise<void> {
  const output = new Output(options);
  if (options.output === undefined) {
    throw new ValidationError(
      "export writes values: name a file with --output (or --output - for stdout).",
      "output",
    );
  }
  if (options.format !== undefined && !(TRANSFER_FORMATS as readonly string[]).includes(options.format)) {
    throw new ValidationError(`--format must be one of ${TRANSFER_FORMATS.join(", ")}.`, "format");
  }
  const format =
    (options.format as TransferFormat | undefined) ??
    (options.output === "-" ? "ndjson" : formatOf(options.output));
  const allVersions = options.allVersions === true || (options.encrypt === true && format !== "env");
  if (allVersions && format === "env") {
    throw new ValidationError(
      ".env output holds the latest values only: drop --all-versions.",
      "allVersions",
    );
  }
  const passphrase = options.encrypt ? await bundlePassphrase() : undefined;
  const { records, failures } = await withManager(options, (manager) =>
    readRecords(manager, options.tenant, output, allVersions),
  );
  let text = formatRecords(records, format);
  if (passphrase !== undefined) text = await sealBundle(text, format, passphrase);
  if (options.output === "-") process.stdout.write(text);
  else writeFileSync(options.output, text, { mode: 0o600 });
  const report = {
    exported: records.length,
    format,
    encrypted: passphrase !== undefined,
    allVersions,
    failures,
  };
  if (options.output !== "-") {
    output.result(report, () => [
      ...failures.map(
        (failure) => `  not exported: ${failure.tenantId}/${failure.connectionId} (${failure.code})`,
      ),
      `Exported ${records.length} ${allVersions ? "credential versions" : "credentials"} to ${options.output}${passphrase !== undefined ? " (encrypted bundle)" : ""}.`,
    ]);
  }
  if (failures.length > 0) process.exitCode = EXIT_FAILURE;
}
