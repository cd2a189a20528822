/**
 * `credkit keygen`: a new random 32-byte key in the form `CREDENTIAL_ENCRYPTION_KEY` takes.
 */
import { randomBytes } from "node:crypto";
import { type GlobalOptions, Output } from "../output.js";

/** Prints a new key (base64, or hex with `--hex`). */
export function keygenCommand(options: GlobalOptions & { hex?: boolean }): void {
  const key = randomBytes(32).toString(options.hex ? "hex" : "base64");
  new Output(options).result({ key, variable: "CREDENTIAL_ENCRYPTION_KEY" }, () => key);
}
