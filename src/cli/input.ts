/**
 * Reading secret values: from stdin when it is not a terminal, else from a hidden prompt
 * (@clack/prompts `password`: the terminal shows a mask, never the typed characters).
 */
import { ValidationError } from "../core/errors.js";

/** Reads all of stdin as UTF-8. */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks).toString("utf8");
}

/** Asks for a value without echoing it. Cancelling (Ctrl-C, Esc) is a `ValidationError`. */
export async function promptHidden(message: string): Promise<string> {
  const { isCancel, password } = await import("@clack/prompts");
  const answer = await password({ message, mask: "*" });
  if (isCancel(answer)) throw new ValidationError("Cancelled: no value was entered.", "value");
  return answer;
}

/**
 * A secret value: stdin when piped (one trailing newline removed), else a hidden prompt. Empty
 * input is a `ValidationError` naming `field`.
 */
export async function readSecretValue(field: string, prompt: string): Promise<string> {
  const value = process.stdin.isTTY ? await promptHidden(prompt) : (await readStdin()).replace(/\r?\n$/, "");
  if (value === "") throw new ValidationError(`No value given for ${field}.`, field);
  return value;
}
