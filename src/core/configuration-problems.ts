/**
 * Start-up configuration checks that report every problem at once: each check runs even when an
 * earlier one failed, and the user gets one `ConfigurationError` listing each problem with its fix.
 */
import { ConfigurationError, DependencyMissingError } from "./errors.js";

export class ConfigurationProblems {
  readonly #messages: string[] = [];
  readonly #missing = new Set<string>();
  #available: readonly string[] = [];

  get empty(): boolean {
    return this.#messages.length === 0;
  }

  /** Records one problem; `missing` names the variables or options to set. */
  add(message: string, missing: readonly string[] = [], available: readonly string[] = []): void {
    this.#messages.push(message);
    for (const name of missing) this.#missing.add(name);
    if (available.length > 0) this.#available = available;
  }

  /**
   * Runs a check: a configuration or missing-dependency error is recorded and undefined returned;
   * any other failure propagates.
   */
  async attempt<T>(check: () => T | Promise<T>): Promise<T | undefined> {
    try {
      return await check();
    } catch (error) {
      if (ConfigurationError.isInstance(error)) this.add(error.message, error.missing, error.available);
      else if (DependencyMissingError.isInstance(error)) this.add(error.message, [error.packageName]);
      else throw error;
      return undefined;
    }
  }

  /** Throws one `ConfigurationError` holding every recorded problem, if any. */
  throwIfAny(): void {
    if (this.empty) return;
    const lines = this.#messages.map((message, index) => `  ${index + 1}. ${message}`);
    const count = this.#messages.length === 1 ? "a problem" : `${this.#messages.length} problems`;
    throw new ConfigurationError(`credkit's configuration has ${count}:\n${lines.join("\n")}`, {
      missing: [...this.#missing],
      available: this.#available,
    });
  }
}
