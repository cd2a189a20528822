/**
 * What every operation of one GCP backend shares: its checked configuration, the connection made
 * on first use, and calls under credkit's retry and time limit.
 */
import { withRetry } from "../../core/retry.js";
import type { CallOptionsLike, LooseClient } from "./client.js";
import { type GcpConfig, type GcpSecretManagerBackendOptions, resolveConfig } from "./config.js";
import { type Connection, classify, connect, statusOf } from "./connection.js";
import { secretNames } from "./names.js";

/** Resource names of one project and prefix. */
export type SecretNames = ReturnType<typeof secretNames>;

/** One backend's shared state, handed to each operation. */
export interface GcpContext {
  readonly config: GcpConfig;
  /** The resource names, once the project is known (connects on first use). */
  names(): Promise<SecretNames>;
  /**
   * One SDK call under credkit's retry and time limit; failures are typed credkit errors.
   * `retries: false` for calls that are not idempotent.
   */
  rpc<T>(
    action: string,
    call: (client: LooseClient, options: CallOptionsLike) => Promise<T>,
    retries?: boolean,
  ): Promise<T>;
  /** Closes a client credkit built; the next call connects again. */
  close(): Promise<void>;
}

/** Checks the options and prepares the context; nothing is imported or sent yet. */
export function createContext(options: GcpSecretManagerBackendOptions): GcpContext {
  const config = resolveConfig(options);
  let ready: Promise<Connection & { names: SecretNames }> | undefined;
  const connection = () => {
    ready ??= connect(options, config)
      .then((made) => ({ ...made, names: secretNames(made.project, config.prefix) }))
      .catch((error: unknown) => {
        ready = undefined;
        throw error;
      });
    return ready;
  };
  return {
    config,
    names: async () => (await connection()).names,
    async rpc(action, call, retries = true) {
      const { client, secrets } = await connection();
      return withRetry(() => call(client, config.callOptions), classify(action, secrets), {
        ...config.retry,
        ...(retries ? {} : { attempts: 1 }),
      });
    },
    async close() {
      const current = ready;
      ready = undefined;
      const made = await current?.catch(() => undefined);
      if (made?.owned) await made.client.close();
    },
  };
}

/** Runs `call`; a NOT_FOUND resolves to undefined, anything else throws. */
export async function unlessMissing<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (error) {
    if (statusOf(error) === "NOT_FOUND") return undefined;
    throw error;
  }
}
