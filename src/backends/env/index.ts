/**
 * `env`: a read-only backend over environment variables, for platforms that inject secrets as
 * variables (Fly.io, Heroku, Kubernetes, twelve-factor apps). One variable per credential, named
 * from (tenantId, connectionId) under a prefix (names.ts), holding the value `encryptForEnv()`
 * returns, or plain JSON outside production (value.ts). Writes and deletes are `UnsupportedError`
 * saying which variable to set instead.
 */
import type { Backend, BackendListEntry, BackendListOptions, BackendRecord } from "../../core/backend.js";
import { pageOf } from "../../core/backend-support.js";
import { isProduction } from "../../core/environment.js";
import { UnsupportedError } from "../../core/errors.js";
import { type BackendKey, KEY_SEPARATOR, unescapeComponent } from "../../core/key-encoding.js";
import type { BackendDefinition, Environment } from "../../kit/definition.js";
import { checkedPrefix, DEFAULT_PREFIX, keyOfVariable, MAX_KEY_LENGTH, variableName } from "./names.js";
import { decodeValue } from "./value.js";

export { type EncryptForEnvInput, type EnvVariable, encryptForEnv } from "./encrypt.js";
export { DEFAULT_PREFIX, variableName } from "./names.js";

const NAME = "env";

/** Options of `envBackend`. */
export interface EnvBackendOptions {
  /**
   * The variables to read (also consulted for `NODE_ENV`).
   * @default process.env
   */
  env?: Environment | undefined;
  /**
   * Prefix of every credential variable: upper-case letters, digits and `_`.
   * @default process.env.CREDKIT_ENV_PREFIX ?? "CREDKIT_"
   */
  prefix?: string | undefined;
  /**
   * Called once, the first time a plain JSON value is read (development only), with the
   * variable's name. @default console.warn
   */
  warn?: ((message: string) => void) | undefined;
}

function readOnly(what: string, variable: string): UnsupportedError {
  return new UnsupportedError(
    `The env backend is read-only: ${what} is done by setting the environment variable ${variable} (to the value encryptForEnv() returns, e.g. with \`fly secrets set\`) or unsetting it, then restarting.`,
  );
}

/** The (tenantId, connectionId) a variable's key id encodes, when neither part is hashed. */
function idsOf(id: string): { tenantId: string; connectionId: string } | undefined {
  const at = id.indexOf(KEY_SEPARATOR);
  const tenantId = unescapeComponent(id.slice(0, at));
  const connectionId = unescapeComponent(id.slice(at + KEY_SEPARATOR.length));
  return tenantId === undefined || connectionId === undefined ? undefined : { tenantId, connectionId };
}

/** Creates the read-only env backend. */
export function envBackend(options: EnvBackendOptions = {}): Backend {
  const env = options.env ?? process.env;
  const prefix = checkedPrefix(options.prefix ?? env.CREDKIT_ENV_PREFIX ?? DEFAULT_PREFIX);
  const production = isProduction(env);
  let warned = false;
  const onPlain = (variable: string) => {
    if (warned) return;
    warned = true;
    (options.warn ?? console.warn)(
      `credkit: ${variable} holds plain JSON; use encryptForEnv() values outside development (plain JSON is refused when NODE_ENV=production).`,
    );
  };
  const read = (variable: string, key: Pick<BackendKey, "tenantId" | "connectionId"> | undefined) => {
    const text = env[variable];
    return text === undefined ? undefined : decodeValue(text, { variable, key, production, onPlain });
  };

  return {
    name: NAME,
    capabilities: {
      versions: false,
      compareAndSet: "atomic",
      softDelete: false,
      maxKeyLength: MAX_KEY_LENGTH,
      readOnly: true,
    },

    async get(key, getOptions = {}): Promise<BackendRecord | undefined> {
      const record = read(variableName(prefix, key), key);
      if (!record || (getOptions.version !== undefined && getOptions.version !== record.version))
        return undefined;
      return record;
    },

    async put(key) {
      throw readOnly("storing a credential", variableName(prefix, key));
    },

    async delete(key) {
      throw readOnly("deleting a credential", variableName(prefix, key));
    },

    async list(listOptions: BackendListOptions = {}) {
      const entries: BackendListEntry[] = [];
      for (const variable of Object.keys(env).sort()) {
        const parsed = keyOfVariable(prefix, variable);
        if (!parsed) continue;
        if (listOptions.tenantSegment !== undefined && parsed.tenantSegment !== listOptions.tenantSegment)
          continue;
        const record = read(variable, idsOf(parsed.id));
        if (record) entries.push({ metadata: record.metadata, version: record.version, deleted: false });
      }
      const page = pageOf(entries, listOptions.cursor, listOptions.limit);
      return page.cursor ? { entries: page.items, cursor: page.cursor } : { entries: page.items };
    },
  };
}

export const definition: BackendDefinition = {
  type: "env",
  summary: "read-only, one environment variable per credential (Fly.io, Heroku, Kubernetes secrets)",
  variables: [
    {
      name: "CREDKIT_ENV_PREFIX",
      description: "Prefix of the credential variables (default CREDKIT_); each credential is one variable.",
    },
  ],
  missingVariables: () => [],
  fromEnv: async (env) => envBackend({ env }),
};
