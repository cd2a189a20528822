/**
 * Opening credential managers for a command, configured exactly like the library: the
 * `--backend` name (or `VAULT_TYPE`) and each backend's variables; the audit trail the
 * environment configures (`CREDKIT_AUDIT_FILE`, `CREDKIT_AUDIT_DATABASE_URL`) receives the
 * command's own actions, so actions taken from the command line are audited too.
 */
import { createCredentialManager } from "../core/create-credential-manager.js";
import type { CredentialManager } from "../core/credential-manager.js";
import { commandAuditSinks } from "./audit-trail.js";
import type { GlobalOptions } from "./output.js";

/** Opens a manager on `backend` (default: `--backend`, else `VAULT_TYPE`), uses it, closes it. */
export async function withManager<T>(
  options: GlobalOptions,
  use: (manager: CredentialManager) => Promise<T>,
  backend: string | undefined = options.backend,
): Promise<T> {
  const audit = commandAuditSinks();
  let manager: CredentialManager;
  try {
    manager = await createCredentialManager({
      ...(backend !== undefined ? { backend } : {}),
      ...(audit.sinks.length > 0 ? { audit: { sinks: audit.sinks } } : {}),
    });
  } catch (error) {
    await audit.finish();
    throw error;
  }
  try {
    return await use(manager);
  } finally {
    await manager.close();
    await audit.finish();
  }
}
