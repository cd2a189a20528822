/**
 * `client` xor client settings: a backend takes an existing SDK client or the settings for one
 * it builds. The option types forbid both; this check gives JavaScript callers the same answer.
 */
import { ConfigurationError } from "../core/errors.js";

/** Throws `ConfigurationError` naming the settings given beside `client`. */
export function checkClientExclusive<T extends { client?: unknown }>(
  options: T,
  settings: readonly (keyof T & string)[],
  source: string,
): void {
  if (options.client === undefined) return;
  const conflicting = settings.filter((name) => options[name] !== undefined);
  if (conflicting.length > 0) {
    throw new ConfigurationError(
      `Pass either an existing client or client settings, not both (got client and ${conflicting.join(", ")}).`,
      {},
      { source },
    );
  }
}

/**
 * An existing SDK client, used as is and never closed by credkit, or the settings (each optional)
 * for the client credkit builds: with `client`, every key of `Settings` is refused by the types.
 */
export type ExistingClientOr<Client, Settings extends object> =
  | ({
      /** An existing client, used as is; credkit never closes or destroys it. */
      client: Client;
    } & { [Name in keyof Settings]?: never | undefined })
  | ({ client?: never | undefined } & Settings);

/** The `clientOptions` setting of a provider whose client is built from one settings object. */
export interface ClientOptionsSetting<Settings> {
  /** Settings for the client credkit builds; without them, the SDK's own defaults and credential chain. */
  clientOptions?: Settings | undefined;
}

/**
 * An existing SDK client, used as is and never closed by credkit, or the settings for the client
 * credkit builds (and closes). The provider's options type says what the settings default to.
 */
export type ClientOrSettings<Client, Settings> = ExistingClientOr<Client, ClientOptionsSetting<Settings>>;
