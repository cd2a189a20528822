/**
 * The passphrase of an encrypted bundle: `CREDKIT_BUNDLE_PASSPHRASE`, else a hidden prompt when
 * stdin is a terminal. Never an argument (it would land in shell history).
 */
import { ValidationError } from "../../core/errors.js";
import { promptHidden } from "../input.js";

/** The passphrase from the environment or a hidden prompt. */
export async function bundlePassphrase(): Promise<string> {
  const fromEnv = process.env.CREDKIT_BUNDLE_PASSPHRASE;
  if (fromEnv) return fromEnv;
  if (!process.stdin.isTTY) {
    throw new ValidationError(
      "Set CREDKIT_BUNDLE_PASSPHRASE or run in a terminal to be asked.",
      "passphrase",
    );
  }
  return promptHidden("Bundle passphrase");
}
