/**
 * Fleet invalidation over Redis pub/sub, through `ioredis`. One connection subscribes to the
 * channel, another publishes. ioredis reconnects by itself (with the backoff below); when the
 * subscriber is ready again, the channel is subscribed again and only then is the cache emptied,
 * since messages published while it was away are lost (pub/sub keeps nothing).
 */
import type { Redis, RedisOptions } from "ioredis";
import { UnavailableError } from "../../core/errors.js";
import { importOptional, type LibOption } from "../../core/import-optional.js";
import { scrubError } from "../../core/redact.js";
import { backoffDelay, resolveRetryOptions } from "../../core/retry.js";
import type { ReconnectOptions } from "./reconnect.js";
import type { InvalidationTransport, TransportHandlers } from "./transport.js";

/** The part of the `ioredis` module credkit uses: its `Redis` class. */
export interface IoRedisModule {
  readonly Redis: typeof Redis;
}

/** Options of `redisInvalidation`. */
export interface RedisInvalidationOptions {
  /**
   * A `redis://` URL.
   * @default env.REDIS_URL, else "redis://127.0.0.1:6379"
   */
  url?: string;
  /** Further ioredis settings (`tls`, `username`, …); the reconnect settings below win. */
  redisOptions?: RedisOptions;
  /**
   * A ready client to publish through and to copy (`duplicate()`) for subscribing. credkit never
   * closes it.
   */
  client?: Redis;
  /**
   * The channel every replica subscribes to.
   * @default "credkit:invalidation"
   */
  channel?: string;
  /** Pauses between reconnect attempts. */
  reconnect?: ReconnectOptions;
  /**
   * Environment consulted for `REDIS_URL`.
   * @default process.env
   */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * The `ioredis` module, or a function importing it, instead of `import("ioredis")`.
   * @default import("ioredis")
   */
  lib?: LibOption<IoRedisModule>;
}

/** The password in a URL, for scrubbing. */
function urlSecrets(url: string, options: RedisOptions | undefined): string[] {
  const secrets = [url];
  try {
    const password = new URL(url).password;
    if (password) secrets.push(password, decodeURIComponent(password));
  } catch {
    // not a URL: the whole string is already listed
  }
  if (options?.password) secrets.push(options.password);
  return secrets;
}

/** An `InvalidationTransport` over Redis pub/sub, for `fleetInvalidation`. */
export function redisInvalidation(options: RedisInvalidationOptions = {}): InvalidationTransport {
  const channel = options.channel ?? "credkit:invalidation";
  const url = options.url ?? (options.env ?? process.env).REDIS_URL ?? "redis://127.0.0.1:6379";
  const secrets = urlSecrets(url, options.redisOptions);
  const failure = (message: string, error: unknown) =>
    new UnavailableError(message, { source: "redis", cause: scrubError(error, secrets) });
  const retry = resolveRetryOptions({
    baseDelayMs: options.reconnect?.baseDelayMs ?? 100,
    maxDelayMs: options.reconnect?.maxDelayMs ?? 5000,
  });
  const settings: RedisOptions = {
    ...options.redisOptions,
    lazyConnect: true,
    autoResubscribe: false,
    retryStrategy: (times) => backoffDelay(times, retry),
  };
  let subscriber: Redis | undefined;
  let publisher: Redis | undefined;

  const open = async (): Promise<{ subscriber: Redis; publisher: Redis }> => {
    if (options.client) return { subscriber: options.client.duplicate(settings), publisher: options.client };
    const module = await importOptional("ioredis", "redisInvalidation", () => import("ioredis"), options.lib);
    return {
      subscriber: new module.Redis(url, settings),
      publisher: new module.Redis(url, { ...settings, lazyConnect: false }),
    };
  };

  const watch = (client: Redis, handlers: TransportHandlers) => {
    let subscribed = false;
    client.on("message", (from: string, text: string) => {
      if (from === channel) handlers.onMessage(text);
    });
    client.on("error", (error: unknown) =>
      handlers.onError?.(failure("The Redis subscriber failed.", error)),
    );
    client.on("ready", () => {
      if (!subscribed) {
        subscribed = true;
        return;
      }
      // why: a new connection has no subscription; the cache is emptied once it has one again.
      client.subscribe(channel).then(
        () => handlers.onResync(),
        (error: unknown) => {
          handlers.onError?.(failure("Subscribing again after a reconnect failed.", error));
          client.disconnect(true);
        },
      );
    });
  };

  return {
    name: "redis",
    async subscribe(handlers) {
      ({ subscriber, publisher } = await open());
      watch(subscriber, handlers);
      publisher.on("error", () => undefined);
      try {
        await subscriber.connect();
        await subscriber.subscribe(channel);
      } catch (error) {
        subscriber.disconnect();
        throw failure("The Redis subscriber could not subscribe.", error);
      }
    },
    async publish(text) {
      if (!publisher) throw new UnavailableError("Subscribe before publishing.", { source: "redis" });
      try {
        await publisher.publish(channel, text);
      } catch (error) {
        throw failure("A change notification could not be sent.", error);
      }
    },
    async close() {
      subscriber?.disconnect();
      if (publisher && publisher !== options.client) publisher.disconnect();
      subscriber = undefined;
      publisher = undefined;
    },
  };
}
