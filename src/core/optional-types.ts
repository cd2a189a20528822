/**
 * Types from optional packages (provider SDKs, `pg`), looked up by name so that the declarations
 * of credkit's root entry name no optional package: they compile with `skipLibCheck: false` and
 * none of those packages installed.
 *
 * `Credkit.OptionalTypes` is empty as the root entry declares it. The subpath that uses a package
 * adds that package's types when it is part of the program: `credkit/connectors/openai` adds
 * `"openai:OpenAI"`, `credkit/backends/postgres` adds `"pg:Pool"`, and so on. So
 * `(await getConnector("openai", creds)).client` is the `OpenAI` instance once any import from
 * `credkit/connectors/openai` is in the program (`import type {} from "credkit/connectors/openai"`
 * is enough), and `unknown` otherwise; the connector's own methods are typed either way.
 */
declare global {
  /** Types credkit's subpaths add to the root entry's declarations. */
  namespace Credkit {
    /** Types of optional packages by `"<package>:<export>"`, added by the subpath using each. */
    interface OptionalTypes {}
  }
}

/** The optional package type `Name` once its subpath added it, else `Fallback`. */
export type OptionalType<Name extends string, Fallback = unknown> = Name extends keyof Credkit.OptionalTypes
  ? Credkit.OptionalTypes[Name]
  : Fallback;
