/**
 * `credkit delete`, `restore` and `purge`. Purge is for good, so it asks for `--yes`.
 */
import { ValidationError } from "../../core/errors.js";
import { withManager } from "../context.js";
import { type GlobalOptions, Output } from "../output.js";

/** `delete` (recoverable where the backend can), `restore` or `purge` (`--yes` required). */
export async function removeCommand(
  action: "delete" | "restore" | "purge",
  tenantId: string,
  connectionId: string,
  options: GlobalOptions & { yes?: boolean; actor?: string },
): Promise<void> {
  const output = new Output(options);
  if (action === "purge" && !options.yes) {
    throw new ValidationError("purge removes every version for good: add --yes to confirm.", "yes");
  }
  const actor = options.actor ?? "credkit-cli";
  await withManager(options, (manager) => {
    if (action === "restore") return manager.restoreCredentials(connectionId, tenantId, { actor });
    return manager.deleteCredentials(connectionId, tenantId, { actor, purge: action === "purge" });
  });
  const done = { delete: "Deleted", restore: "Restored", purge: "Purged" }[action];
  output.result(
    { tenantId, connectionId, action, ok: true },
    () => `${done} ${connectionId} of tenant ${tenantId}.`,
  );
}
