/**
 * What every KMS key provider shares: retries within bounds, typed failures, a bounded cache of
 * unwrapped data keys, a start-up check, and combining providers for a migration. A provider
 * folder (src/keys/<name>/) supplies only the KMS calls and how its SDK's errors classify.
 */
import { randomBytes } from "node:crypto";
import { DataKeyCache, type DataKeyCacheOptions } from "../core/data-key-cache.js";
import {
  AuthError,
  ConfigurationError,
  CredkitError,
  IntegrityError,
  KeyDisabledError,
  ThrottledError,
  UnavailableError,
} from "../core/errors.js";
import type { KeyProvider } from "../core/keyring.js";
import { type RetryOptions, withRetry } from "../core/retry.js";
import type { BackendVariable, Environment } from "./definition.js";

/** The KMS calls a provider folder implements. */
export interface KmsOperations {
  /** Provider name (`aws-kms`, `gcp-kms`…), the `source` of its errors. */
  readonly name: string;
  /** The provider name and the key, e.g. `aws-kms:alias/credkit`; records add `#<version>`. */
  readonly keyId: string;
  /**
   * Wraps a data key, binding `context`, under `version` when given (so the version recorded in
   * the key id is the one used), else under the KMS's current version.
   */
  wrap(dataKey: Uint8Array, context: Uint8Array, signal: AbortSignal, version?: string): Promise<Uint8Array>;
  /** Unwraps a data key wrapped under `keyId` with `context`. */
  unwrap(keyId: string, wrapped: Uint8Array, context: Uint8Array, signal: AbortSignal): Promise<Uint8Array>;
  /**
   * Has the KMS generate a 32-byte data key bound to `context` and return it with its wrapped
   * form (AWS KMS `GenerateDataKey`), under `version` when given. Without it, a random key is
   * drawn locally and passed to `wrap`.
   */
  generate?(
    context: Uint8Array,
    signal: AbortSignal,
    version?: string,
  ): Promise<{ dataKey: Uint8Array; wrapped: Uint8Array }>;
  /** Maps whatever the SDK threw to a typed, scrubbed credkit error. */
  classify(error: unknown): Error;
  /** The key version new data keys are wrapped under, for KMSs with visible versions. */
  currentVersion?(signal: AbortSignal): Promise<string | undefined>;
  /** Releases the SDK client the provider built. */
  close?(): Promise<void>;
}

/** Options every KMS key provider takes. */
export interface KmsProviderOptions {
  /**
   * Bounds of the data-key caches (age, uses, entries), or `false` to call the KMS on every
   * unwrap and every write. Reads reuse an unwrapped key; writes to the same credential (tenant
   * and name) reuse a generated key and its wrapped form, each within these bounds. Longer or
   * larger bounds mean fewer KMS calls; shorter ones mean a disabled key stops reads and writes
   * sooner and a leaked process memory holds fewer keys. Evicted keys are zeroed. Concurrent
   * misses for one key share one KMS call.
   * @default { maxAgeMs: 300000, maxUses: 10000, maxEntries: 1000 }
   */
  cache?: DataKeyCacheOptions | false | undefined;
  /**
   * Retries of throttled and unavailable KMS calls, each attempt under a timeout.
   * @default { attempts: 3, baseDelayMs: 100, maxDelayMs: 2000, timeoutMs: 10000 }
   */
  retry?: RetryOptions | undefined;
  /**
   * How often the current key version is looked up again (in the background, when a write
   * needs the key id), in milliseconds, so a key rotated in the KMS is used for new writes
   * without a restart. KMSs with visible versions only.
   * @default 300000 (5 minutes)
   */
  versionRefreshMs?: number | undefined;
}

/** A key provider backed by a KMS. */
export interface KmsKeyProvider extends KeyProvider {
  /**
   * Proves the KMS is reachable and the key usable: generates (or wraps) a data key and unwraps
   * it, past every cache. Throws the typed failure (disabled key, access denied, unavailable…).
   */
  check(): Promise<void>;
  /** Looks up the current key version now (also done every `versionRefreshMs` in the background). */
  refresh(): Promise<void>;
  /** Wipes cached data keys and releases the SDK client. */
  close(): Promise<void>;
}

const PROBE_CONTEXT = new TextEncoder().encode("credkit/key-check");

function cacheId(wrapped: Uint8Array, context: Uint8Array): string {
  return `${Buffer.from(wrapped).toString("base64")}\0${Buffer.from(context).toString("base64")}`;
}

/** A `KeyProvider` from a provider folder's KMS calls; see `kmsKeyProvider`. */
class KmsProvider implements KmsKeyProvider {
  readonly #operations: KmsOperations;
  readonly #options: KmsProviderOptions;
  readonly #cache: DataKeyCache | undefined;
  /** Generated data keys with their wrapped form, by key id and context: reused by writes. */
  readonly #writes: DataKeyCache | undefined;
  /** Unwraps in flight, by `#cache` id: one KMS call per burst of misses. */
  readonly #unwrapping = new Map<string, Promise<unknown>>();
  /** Generations in flight, by `#writes` id. */
  readonly #generating = new Map<string, Promise<unknown>>();
  /** The envelope keeps no cache beside this one, so the bounds above hold. */
  readonly cachesDataKeys = true;
  #version: string | undefined;
  #versionCheckedAt = Number.NEGATIVE_INFINITY;

  constructor(operations: KmsOperations, options: KmsProviderOptions) {
    if (Buffer.byteLength(operations.keyId, "utf8") > 240) {
      throw new ConfigurationError(`The ${operations.name} key id is longer than 240 bytes.`);
    }
    this.#operations = operations;
    this.#options = options;
    this.#cache = options.cache === false ? undefined : new DataKeyCache(options.cache);
    this.#writes = options.cache === false ? undefined : new DataKeyCache(options.cache);
  }

  /** The key id with the key version in use, e.g. `vault-transit:transit/credkit#3`. */
  get currentKeyId(): string {
    this.#refreshWhenDue();
    return this.#version === undefined
      ? this.#operations.keyId
      : `${this.#operations.keyId}#${this.#version}`;
  }

  hasKey(keyId: string): boolean {
    return keyId === this.#operations.keyId || keyId.startsWith(`${this.#operations.keyId}#`);
  }

  wrapKey(dataKey: Uint8Array, context: Uint8Array): Promise<Uint8Array> {
    const version = this.#version;
    return this.#call((signal) => this.#operations.wrap(dataKey, context, signal, version));
  }

  async unwrapKey(keyId: string, wrapped: Uint8Array, context: Uint8Array): Promise<Uint8Array> {
    if (!this.hasKey(keyId)) {
      throw new IntegrityError(`Data key was wrapped under ${keyId}, not under this provider's key.`);
    }
    const cache = this.#cache;
    if (!cache) return this.#unwrap(keyId, wrapped, context);
    const id = cacheId(wrapped, context);
    const cached = cache.take(id);
    if (cached) return cached.dataKey;
    return this.#takeOrLoad(
      this.#unwrapping,
      id,
      () => cache.take(id)?.dataKey,
      async () => {
        const dataKey = await this.#unwrap(keyId, wrapped, context);
        cache.put(id, Uint8Array.from(dataKey));
        return dataKey;
      },
    );
  }

  #unwrap(keyId: string, wrapped: Uint8Array, context: Uint8Array): Promise<Uint8Array> {
    return this.#call((signal) => this.#operations.unwrap(keyId, wrapped, context, signal));
  }

  generateDataKey(context: Uint8Array): Promise<{ dataKey: Uint8Array; wrapped: Uint8Array }> {
    const writes = this.#writes;
    if (!writes) return this.#generate(context);
    const writeId = `${this.currentKeyId}\0${Buffer.from(context).toString("base64")}`;
    const reuse = () => {
      const reused = writes.take(writeId);
      return reused?.wrapped ? { dataKey: reused.dataKey, wrapped: reused.wrapped } : undefined;
    };
    return this.#takeOrLoad(this.#generating, writeId, reuse, async () => {
      const generated = await this.#generate(context);
      writes.put(writeId, Uint8Array.from(generated.dataKey), generated.wrapped);
      this.#cache?.put(cacheId(generated.wrapped, context), Uint8Array.from(generated.dataKey));
      return generated;
    });
  }

  /**
   * What `take` finds in a data-key cache, or else one shared `load` (which fills the cache) for
   * every concurrent caller: a burst of misses makes one KMS call. A waiter then takes its own
   * use of the key; when the bounds have used it up, it starts the next load. A failed load
   * fails its waiters with the same typed error and caches nothing.
   */
  async #takeOrLoad<T>(
    loading: Map<string, Promise<unknown>>,
    id: string,
    take: () => T | undefined,
    load: () => Promise<T>,
  ): Promise<T> {
    for (;;) {
      const cached = take();
      if (cached !== undefined) return cached;
      const inFlight = loading.get(id);
      if (!inFlight) break;
      await inFlight;
    }
    const flight = load().finally(() => loading.delete(id));
    loading.set(id, flight);
    return flight;
  }

  /** A new data key from the KMS (or drawn here and wrapped), under the version in use. */
  async #generate(context: Uint8Array): Promise<{ dataKey: Uint8Array; wrapped: Uint8Array }> {
    const version = this.#version;
    const { generate } = this.#operations;
    const generated = await this.#call(async (signal) => {
      if (generate) return generate(context, signal, version);
      const dataKey = randomBytes(32);
      return { dataKey, wrapped: await this.#operations.wrap(dataKey, context, signal, version) };
    });
    if (generated.dataKey.length !== 32) {
      throw new IntegrityError(`The ${this.#operations.name} data key is not 32 bytes long.`);
    }
    return generated;
  }

  async refresh(): Promise<void> {
    const lookup = this.#operations.currentVersion;
    if (!lookup) return;
    this.#versionCheckedAt = Date.now();
    this.#version = (await this.#call((signal) => lookup(signal))) ?? this.#version;
  }

  /** Starts a background version lookup when one is due; a failure keeps the version in use. */
  #refreshWhenDue(): void {
    const due = Date.now() - this.#versionCheckedAt >= (this.#options.versionRefreshMs ?? 300_000);
    if (due && this.#operations.currentVersion) this.refresh().catch(() => undefined);
  }

  async check(): Promise<void> {
    const probe = await this.#generate(PROBE_CONTEXT);
    const back = await this.#call((signal) =>
      this.#operations.unwrap(this.currentKeyId, probe.wrapped, PROBE_CONTEXT, signal),
    );
    if (!Buffer.from(back).equals(Buffer.from(probe.dataKey))) {
      throw new IntegrityError(`The ${this.#operations.name} key did not give back the data key it wrapped.`);
    }
    await this.refresh();
  }

  async close(): Promise<void> {
    this.#cache?.clear();
    this.#writes?.clear();
    await this.#operations.close?.();
  }

  #call<T>(run: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return withRetry(
      ({ signal }) => run(signal),
      (error) => (CredkitError.isInstance(error) ? error : this.#operations.classify(error)),
      this.#options.retry,
    );
  }
}

/**
 * Builds a `KeyProvider` from a provider folder's KMS calls: retries within bounds, typed
 * failures, the bounded data-key cache, and the key version recorded in every record's key id.
 */
export function kmsKeyProvider(operations: KmsOperations, options: KmsProviderOptions = {}): KmsKeyProvider {
  return new KmsProvider(operations, options);
}

/**
 * One provider for a migration between keys: new data keys are wrapped by `current`; a record
 * is unwrapped by whichever provider holds its key id. Local key → KMS and KMS → KMS moves are
 * this plus `rewrap()`.
 */
export function combineKeyProviders(current: KeyProvider, ...previous: readonly KeyProvider[]): KeyProvider {
  const all = [current, ...previous];
  const holder = (keyId: string) => all.find((provider) => provider.hasKey(keyId));
  const combined: KeyProvider = {
    get currentKeyId() {
      return current.currentKeyId;
    },
    cachesDataKeys: all.some((provider) => provider.cachesDataKeys === true),
    hasKey: (keyId) => holder(keyId) !== undefined,
    wrapKey: (dataKey, context) => current.wrapKey(dataKey, context),
    unwrapKey(keyId, wrapped, context) {
      const provider = holder(keyId);
      if (!provider) {
        return Promise.reject(new IntegrityError(`No configured key provider holds key ${keyId}.`));
      }
      return provider.unwrapKey(keyId, wrapped, context);
    },
  };
  if (current.fingerprint) combined.fingerprint = current.fingerprint.bind(current);
  if (current.generateDataKey) combined.generateDataKey = current.generateDataKey.bind(current);
  const checked = all.filter((provider) => provider.check);
  if (checked.length > 0) {
    combined.check = async () => {
      for (const provider of checked) await provider.check?.();
    };
  }
  return combined;
}

/** What a KMS failure means, whatever the SDK called it. */
export type KmsFailureKind =
  | "disabled"
  | "denied"
  | "integrity"
  | "throttled"
  | "unavailable"
  | "configuration";

const KMS_FAILURE_MESSAGES: Readonly<Record<KmsFailureKind, string>> = {
  disabled:
    "The key is disabled or scheduled for deletion; enable or restore it to use the records it wraps.",
  denied: "The KMS refused our credentials or permissions for this key (see docs/keys.md for the policy).",
  integrity: "The KMS could not unwrap the data key: wrong key, wrong context, or a corrupted ciphertext.",
  throttled: "The KMS asked us to slow down.",
  unavailable: "The KMS could not be reached or failed.",
  configuration: "The KMS key does not exist or the request was malformed; check the key id.",
};

/** A typed credkit error for a KMS failure, with the (already scrubbed) SDK error as cause. */
export function kmsFailure(
  source: string,
  kind: KmsFailureKind,
  cause: Error,
  retryAfterMs?: number,
): CredkitError {
  const options = { source, cause, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
  const message = KMS_FAILURE_MESSAGES[kind];
  switch (kind) {
    case "disabled":
      return new KeyDisabledError(message, options);
    case "denied":
      return new AuthError(message, options);
    case "integrity":
      return new IntegrityError(message, options);
    case "throttled":
      return new ThrottledError(message, options);
    case "unavailable":
      return new UnavailableError(message, options);
    case "configuration":
      return new ConfigurationError(message, {}, options);
  }
}

/** The kind for an HTTP status a KMS answered with, when its error name says nothing more. */
export function kmsFailureKindOfStatus(status: number | undefined): KmsFailureKind {
  if (status === 401 || status === 403) return "denied";
  if (status === 429) return "throttled";
  if (status === undefined || status >= 500) return "unavailable";
  return "configuration";
}

/** How a key provider folder is built from the environment (`CREDKIT_KMS=<type>`). */
export interface KeyProviderDefinition {
  /** The `CREDKIT_KMS` value: the folder name, e.g. `aws-kms`. */
  readonly type: string;
  /** Optional peer packages it imports on first use. */
  readonly packages: readonly string[];
  /** Every variable it reads. */
  readonly variables: readonly BackendVariable[];
  /** Names of required variables missing from `env`. */
  missingVariables(env: Environment): string[];
  /** Builds the provider. Called only when `missingVariables` is empty. */
  fromEnv(env: Environment): KmsKeyProvider;
}

/** The one variable every key provider requires: which key. */
export const KMS_KEY_VARIABLE: BackendVariable = {
  name: "CREDKIT_KMS_KEY_ID",
  description:
    "The key: an ARN or alias (aws-kms), a CryptoKey name (gcp-kms), a key URL (azure-key-vault-keys), a transit key name (vault-transit).",
};

/** `missingVariables` for a provider that requires `names`. */
export function missingFrom(env: Environment, names: readonly string[]): string[] {
  return names.filter((name) => !env[name]?.trim());
}
