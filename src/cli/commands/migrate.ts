/**
 * `credkit migrate --from <backend> --to <backend>`: `migrateCredentials` between two stores
 * configured from the same environment (each backend reads its own variables), with progress,
 * a report, and exit 1 when a version could not be copied. Run again to resume.
 */
import { type MigrateResult, migrateCredentials } from "../../core/migrate.js";
import { withManager } from "../context.js";
import { EXIT_FAILURE } from "../exit-codes.js";
import { type GlobalOptions, Output } from "../output.js";
import { startProgress } from "../progress.js";

/** Options of `migrate`. */
export interface MigrateCommandOptions extends GlobalOptions {
  from: string;
  to: string;
  tenant?: string;
  checkpoint?: string;
}

function report(result: MigrateResult, from: string, to: string): string[] {
  const lines = [
    `Migrated ${from} → ${to}: ${result.credentials} credentials, ${result.copied} versions copied, ${result.verified} already there and verified, ${result.deleted} kept deleted.`,
  ];
  for (const failure of result.failures) {
    lines.push(
      `  not copied: ${failure.tenantId}/${failure.connectionId} v${failure.version} (${failure.reason})`,
    );
  }
  if (result.failures.length > 0)
    lines.push(`${result.failures.length} versions not copied; fix the cause and run again.`);
  return lines;
}

/** Copies every credential and version from `--from` to `--to`, verifying each. */
export async function migrateCommand(options: MigrateCommandOptions): Promise<void> {
  const output = new Output(options);
  const result = await withManager(
    options,
    (source) =>
      withManager(
        options,
        async (target) => {
          const progress = await startProgress(output, `Migrating ${options.from} → ${options.to}`);
          const done = await migrateCredentials(source, target, {
            ...(options.tenant !== undefined ? { tenantId: options.tenant } : {}),
            ...(options.checkpoint !== undefined ? { from: options.checkpoint } : {}),
            onProgress: (totals) =>
              progress.advance(1, `${totals.credentials} credentials, ${totals.copied} versions copied`),
          });
          progress.stop(`${done.credentials} credentials migrated`);
          return done;
        },
        options.to,
      ),
    options.from,
  );
  output.result({ from: options.from, to: options.to, ...result }, () =>
    report(result, options.from, options.to),
  );
  if (result.failures.length > 0) process.exitCode = EXIT_FAILURE;
}
