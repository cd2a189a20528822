/**
 * `binding` mode: a Workers KV namespace binding (`env.MY_KV` inside a Worker, or miniflare's
 * `getKVNamespace`). Typed structurally, so credkit needs no `@cloudflare/workers-types`.
 */
import { KvFailure, type KvListPage, type KvTransport } from "./transport.js";

/**
 * The part of a Workers `KVNamespace` credkit uses. A real binding satisfies it; so does any
 * object with these methods.
 */
export interface KVNamespaceLike {
  get(key: string, type: "text"): Promise<string | null>;
  /** Bulk read (up to 100 keys), as Workers bindings have. */
  get(keys: string[], type: "text"): Promise<Map<string, string | null>>;
  put(
    key: string,
    value: string,
    options?: { expiration?: number; expirationTtl?: number; metadata?: unknown },
  ): Promise<void>;
  delete(key: string): Promise<void>;
  list(options?: { prefix?: string | null; limit?: number; cursor?: string | null }): Promise<{
    keys: Array<{ name: string; expiration?: number; metadata?: unknown }>;
    list_complete: boolean;
    cursor?: string | undefined;
  }>;
}

/** workerd reports KV failures as `KV <OP> failed: <status> <text>`. */
const FAILURE = /KV \w+ failed: (\d{3})/;

/** Gives a binding's error the status it carries in its message, so one mapping serves both modes. */
function asFailure(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const match = FAILURE.exec(error.message);
  if (!match) return error;
  return new KvFailure(error.message, Number(match[1]));
}

async function guarded<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw asFailure(error);
  }
}

/**
 * A transport over a binding. `bulkGet: false` reads keys one by one, for KV-like objects whose
 * `get` takes no array.
 */
export function bindingTransport(namespace: KVNamespaceLike, bulkGet = true): KvTransport {
  return {
    mode: "binding",
    secrets: () => [],

    get: (key) => guarded(async () => (await namespace.get(key, "text")) ?? undefined),

    getMany: (keys) =>
      guarded(async () => {
        if (!bulkGet) {
          return Promise.all(keys.map(async (key) => (await namespace.get(key, "text")) ?? undefined));
        }
        const values = await namespace.get([...keys], "text");
        return keys.map((key) => values.get(key) ?? undefined);
      }),

    put: (key, value, options) =>
      guarded(() =>
        namespace.put(key, value, {
          ...(options.metadata !== undefined ? { metadata: options.metadata } : {}),
          ...(options.expiration !== undefined ? { expiration: options.expiration } : {}),
        }),
      ),

    delete: (key) => guarded(() => namespace.delete(key)),

    deleteMany: (keys) =>
      guarded(async () => {
        await Promise.all(keys.map((key) => namespace.delete(key)));
      }),

    list: ({ prefix, limit, cursor }) =>
      guarded(async (): Promise<KvListPage> => {
        const page = await namespace.list({ prefix, limit, ...(cursor ? { cursor } : {}) });
        return !page.list_complete && page.cursor
          ? { keys: page.keys, cursor: page.cursor }
          : { keys: page.keys };
      }),
  };
}
