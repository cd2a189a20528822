/**
 * Fleet invalidation for stores with no notification channel: every `intervalMs`, the versions of
 * the credentials this replica has cached are read from the store (in one batch where the backend
 * has one, else a few at a time) and any whose version changed, or which are gone, is dropped.
 * The cost is one metadata-and-payload read per cached credential per interval, never a decrypt.
 */
import type { CachedCredential } from "../../core/cache.js";
import { type CredentialManager, managerCore } from "../../core/credential-manager.js";
import { CredkitError, NotFoundError, UnavailableError } from "../../core/errors.js";
import type { ManagerCore } from "../../core/manager-core.js";
import { scrubError } from "../../core/redact.js";

/** Options of `versionPolling`. */
export interface VersionPollingOptions {
  /**
   * Pause between two rounds, in milliseconds: the longest a change made elsewhere is served
   * from this cache, plus one round's duration.
   * @default 500
   */
  intervalMs?: number;
  /**
   * Reads at once on a backend without batch reads.
   * @default 8
   */
  concurrency?: number;
  /** Told when a round failed (the next round checks everything again). */
  onError?: (error: CredkitError) => void;
}

/** Counters of version polling. */
export interface VersionPollingStats {
  /** Rounds completed. */
  readonly rounds: number;
  /** Cached credentials dropped because the store had another version or none. */
  readonly dropped: number;
  /** Rounds that failed. */
  readonly failures: number;
}

/** Running version polling: its counters, `check()` for one round now, and `close()`. */
export interface VersionPolling {
  stats(): VersionPollingStats;
  /** Runs one round now (waits for a round under way first). */
  check(): Promise<void>;
  /** Stops polling; waits for a round under way. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Largest batch read of one round. */
const BATCH = 100;

/** The stored versions of `entries`: a version, undefined (gone), or an error for that item. */
async function storedVersions(
  core: ManagerCore,
  entries: readonly CachedCredential[],
  concurrency: number,
): Promise<Array<number | undefined | Error>> {
  const keys = entries.map((entry) => core.key(entry.metadata.tenant, entry.metadata.name));
  const getMany = core.backend.getMany;
  if (getMany) {
    const results: Array<number | undefined | Error> = [];
    for (let start = 0; start < keys.length; start += BATCH) {
      const records = await core.call(() => getMany.call(core.backend, keys.slice(start, start + BATCH)));
      for (const record of records) results.push(record instanceof Error ? record : record?.version);
    }
    return results;
  }
  const results: Array<number | undefined | Error> = new Array(keys.length);
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < keys.length; index = next++) {
      const key = keys[index] as (typeof keys)[number];
      results[index] = await core
        .call(() => core.backend.get(key))
        .then(
          (record) => record?.version,
          (error: unknown) => error as Error,
        );
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, keys.length) }, worker));
  return results;
}

/** Drops every cached credential whose stored version differs; returns how many. */
async function pollRound(core: ManagerCore, concurrency: number): Promise<number> {
  const entries = [...core.cache.latest()];
  const versions = await storedVersions(core, entries, concurrency);
  let dropped = 0;
  entries.forEach((entry, index) => {
    const stored = versions[index];
    const gone = stored === undefined || NotFoundError.isInstance(stored);
    if (stored instanceof Error && !gone) return;
    if (gone || stored !== entry.version) {
      core.cache.invalidate(entry.metadata.tenant, entry.metadata.name, gone);
      dropped++;
    }
  });
  return dropped;
}

/** Starts version polling for `manager`'s cache. */
export function versionPolling(
  manager: CredentialManager,
  options: VersionPollingOptions = {},
): VersionPolling {
  const core = managerCore(manager);
  const intervalMs = options.intervalMs ?? 500;
  const concurrency = options.concurrency ?? 8;
  const counts = { rounds: 0, dropped: 0, failures: 0 };
  let running: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const round = async () => {
    try {
      counts.dropped += await pollRound(core, concurrency);
      counts.rounds++;
    } catch (error) {
      counts.failures++;
      const failure = CredkitError.isInstance(error)
        ? error
        : new UnavailableError("Version polling failed.", { cause: scrubError(error) });
      try {
        options.onError?.(failure);
      } catch {
        // why: a failing error callback must not stop polling.
      }
    }
  };
  const check = () => {
    running = running.then(round);
    return running;
  };
  const schedule = () => {
    if (closed) return;
    timer = setTimeout(() => void check().then(schedule), intervalMs);
    timer.unref();
  };
  schedule();

  const close = async () => {
    closed = true;
    clearTimeout(timer);
    await running;
  };
  return { stats: () => ({ ...counts }), check, close, [Symbol.asyncDispose]: close };
}
