/** The file store's name in errors, and how file-system failures become typed errors. */
import { UnavailableError } from "../../core/errors.js";
import { scrubError } from "../../core/redact.js";

export const NAME = "file";

/** Whether `error` is a Node.js system error with this `code` (`ENOENT`, `EEXIST`…). */
export function isCode(error: unknown, code: string): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === code;
}

/** File-system failures become typed errors; the path never holds a secret, the cause is scrubbed. */
export function fileError(error: unknown, action: string): Error {
  return new UnavailableError(`File store could not ${action}.`, {
    source: NAME,
    cause: scrubError(error),
  });
}
