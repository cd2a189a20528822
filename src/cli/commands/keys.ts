/**
 * `credkit rewrap` and `credkit verify-keys`: every version of every credential moved to the
 * current key (CREDENTIAL_ENCRYPTION_KEY, older keys in CREDENTIAL_ENCRYPTION_KEY_PREVIOUS), or
 * checked to open with the keyring. Progress on stderr; exit 1 when anything could not be moved
 * or opened, with the ids (never values) of what.
 */
import type { VersionFailure } from "../../core/record-walk.js";
import { withManager } from "../context.js";
import { EXIT_FAILURE } from "../exit-codes.js";
import { type GlobalOptions, Output } from "../output.js";
import { startProgress } from "../progress.js";

/** Options of `rewrap` and `verify-keys`. */
export interface KeyCommandOptions extends GlobalOptions {
  tenant?: string;
  checkpoint?: string;
  latestOnly?: boolean;
  keyIdsOnly?: boolean;
}

function failureLines(label: string, failures: readonly VersionFailure[]): string[] {
  return failures.map(
    (failure) =>
      `  ${label}: ${failure.tenantId}/${failure.connectionId} v${failure.version}${failure.deleted ? " (deleted)" : ""} key ${failure.keyId ?? "?"} (${failure.reason})`,
  );
}

/** `rewrap`: re-encrypts what is not under the current key; resumable with `--checkpoint`. */
export async function rewrapCommand(options: KeyCommandOptions): Promise<void> {
  const output = new Output(options);
  const result = await withManager(options, async (manager) => {
    const progress = await startProgress(output, "Rewrapping");
    const done = await manager.rewrap({
      ...(options.tenant !== undefined ? { userId: options.tenant } : {}),
      ...(options.checkpoint !== undefined ? { from: options.checkpoint } : {}),
      onProgress: (totals) =>
        progress.advance(1, `${totals.credentials} credentials, ${totals.rewrapped} versions rewrapped`),
    });
    progress.stop(`${done.credentials} credentials visited`);
    return done;
  });
  output.result(result, () => [
    ...failureLines("not moved", result.notMoved),
    `Rewrapped ${result.rewrapped} versions of ${result.credentials} credentials; ${result.current} already current; ${result.notMoved.length} not moved.`,
  ]);
  if (result.notMoved.length > 0) process.exitCode = EXIT_FAILURE;
}

/** `verify-keys`: whether the keyring opens every stored version. */
export async function verifyKeysCommand(options: KeyCommandOptions): Promise<void> {
  const output = new Output(options);
  const result = await withManager(options, async (manager) => {
    const progress = await startProgress(output, "Checking keys");
    const done = await manager.verifyKeys({
      ...(options.tenant !== undefined ? { userId: options.tenant } : {}),
      ...(options.latestOnly ? { latestOnly: true } : {}),
      ...(options.keyIdsOnly ? { keyIdsOnly: true } : {}),
    });
    progress.stop(`${done.checked} versions checked`);
    return done;
  });
  output.result(result, () => [
    ...failureLines("cannot open", result.unopenable),
    `${result.openable} of ${result.checked} versions (${result.credentials} credentials) open with the current keyring.`,
    ...(result.missingKeyIds.length > 0 ? [`Missing keys: ${result.missingKeyIds.join(", ")}.`] : []),
    ...(result.keyProvider === "unusable"
      ? [`The key provider is unusable: ${result.keyProviderError?.message ?? "its check failed"}`]
      : []),
  ]);
  if (result.unopenable.length > 0 || result.keyProvider === "unusable") process.exitCode = EXIT_FAILURE;
}
