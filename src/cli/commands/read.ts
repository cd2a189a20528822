/**
 * `credkit get`, `list`, `describe` and `versions`. `get` prints masked forms unless `--reveal`.
 */
import { credentialVersions } from "../../core/credential-versions.js";
import { ValidationError } from "../../core/errors.js";
import type { CredentialInfo } from "../../core/manager-options.js";
import { maskFields } from "../../core/secret.js";
import { withManager } from "../context.js";
import { type GlobalOptions, Output, table } from "../output.js";
import { INFO_HEADER, infoLines, infoRow } from "./show.js";

/** Options of `get`. */
export interface GetCommandOptions extends GlobalOptions {
  reveal?: boolean;
  field?: string;
  atVersion?: string;
}

function versionOption(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const version = Number(text);
  if (!Number.isSafeInteger(version) || version < 1) {
    throw new ValidationError("--at-version must be a whole number from 1.", "version");
  }
  return version;
}

/** `get`: masked fields, or with `--reveal` the values (one field alone prints its bare value). */
export async function getCommand(
  tenantId: string,
  connectionId: string,
  options: GetCommandOptions,
): Promise<void> {
  const output = new Output(options);
  const version = versionOption(options.atVersion);
  const fields = await withManager(options, (manager) =>
    manager.getCredentials(connectionId, tenantId, {
      accessor: "credkit-cli",
      ...(version !== undefined ? { version } : {}),
    }),
  );
  if (options.field !== undefined && !Object.hasOwn(fields, options.field)) {
    throw new ValidationError(`The credential has no field "${options.field}".`, "field");
  }
  const chosen = options.field !== undefined ? { [options.field]: fields[options.field]! } : fields;
  const shown: Record<string, string> = options.reveal
    ? Object.fromEntries(Object.entries(chosen).map(([name, secret]) => [name, secret.reveal()]))
    : maskFields(chosen);
  if (options.reveal && options.field !== undefined && !output.json) {
    process.stdout.write(`${shown[options.field]}\n`);
    return;
  }
  output.result(shown, () => Object.entries(shown).map(([name, value]) => `${name}=${value}`));
}

/** Every page of a tenant's credentials. */
async function listAll(
  options: GlobalOptions & { includeDeleted?: boolean },
  tenantId: string,
): Promise<CredentialInfo[]> {
  return withManager(options, async (manager) => {
    const items: CredentialInfo[] = [];
    let cursor: string | undefined;
    do {
      const page = await manager.listCredentials(tenantId, {
        limit: 1000,
        ...(cursor !== undefined ? { cursor } : {}),
        ...(options.includeDeleted ? { includeDeleted: true } : {}),
      });
      items.push(...page.items);
      cursor = page.cursor;
    } while (cursor !== undefined);
    return items;
  });
}

/** `list`: a tenant's credentials, metadata only. */
export async function listCommand(
  tenantId: string,
  options: GlobalOptions & { includeDeleted?: boolean },
): Promise<void> {
  const output = new Output(options);
  const items = await listAll(options, tenantId);
  output.result(items, () =>
    items.length === 0 ? `No credentials for tenant ${tenantId}.` : table(INFO_HEADER, items.map(infoRow)),
  );
}

/** `describe`: metadata, status and masked forms. */
export async function describeCommand(
  tenantId: string,
  connectionId: string,
  options: GlobalOptions,
): Promise<void> {
  const output = new Output(options);
  const info = await withManager(options, (manager) => manager.describeCredentials(connectionId, tenantId));
  output.result(info, () => infoLines(info));
}

/** `versions`: every version's metadata, oldest first. */
export async function versionsCommand(
  tenantId: string,
  connectionId: string,
  options: GlobalOptions,
): Promise<void> {
  const output = new Output(options);
  const versions = await withManager(options, (manager) =>
    credentialVersions(manager, tenantId, connectionId),
  );
  output.result(versions, () =>
    table(
      ["VERSION", "STATE", "UPDATED", "KEY", "BY"],
      versions.map((entry) =>
        entry.state === "available"
          ? [
              String(entry.version),
              "available",
              entry.info.updatedAt.toISOString(),
              entry.info.keyId ?? "-",
              entry.info.createdBy ?? "-",
            ]
          : [String(entry.version), entry.state, "-", "-", "-"],
      ),
    ),
  );
}
