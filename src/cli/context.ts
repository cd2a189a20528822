/**
 * Opening credential managers for a command, configured exactly like the library: the
 * `--backend` name (or `VAULT_TYPE`) and each backend's variables; `CREDKIT_AUDIT_FILE` adds a
 * JSON-lines audit sink so actions taken from the command line are audited too.
 */
import { jsonLinesSink } from "../core/audit.js";
import { createCredentialManager } from "../core/create-credential-manager.js";
import type { CredentialManager } from "../core/credential-manager.js";
import type { GlobalOptions } from "./output.js";

/** Opens a manager on `backend` (default: `--backend`, else `VAULT_TYPE`), uses it, closes it. */
export async function withManager<T>(
  options: GlobalOptions,
  use: (manager: CredentialManager) => Promise<T>,
  backend: string | undefined = options.backend,
): Promise<T> {
  const auditFile = process.env.CREDKIT_AUDIT_FILE;
  const sink = auditFile ? jsonLinesSink(auditFile) : undefined;
  const manager = await createCredentialManager({
    ...(backend !== undefined ? { backend } : {}),
    ...(sink ? { audit: { sinks: [sink] } } : {}),
  });
  try {
    return await use(manager);
  } finally {
    await manager.close();
    await sink?.flush();
  }
}
