/**
 * What this process itself wrote lately, so its own reads and writes never go backwards while
 * KV propagates (up to 60 s). Every head carries a revision stamp `rev` (milliseconds, strictly
 * increasing per credential); a head read with a lower `rev` than the one remembered is stale,
 * and the remembered state wins: the pinned version key is read instead, or the remembered
 * deletion is reported. Writes to one key from this process also run one at a time, so
 * concurrent writers inside one process cannot overwrite each other's version keys. Writers in
 * other processes or locations are not covered: that is why compare-and-set is `best-effort`.
 */

/** A head's state as last written by this process. */
export interface HeadState {
  /** Latest version (0 after a purge). */
  readonly version: number;
  readonly rev: number;
  readonly deleted: boolean;
  /** The credential was purged: no head, no versions. */
  readonly purged: boolean;
}

/** KV's documented propagation delay: after it, remembered states are dropped. */
export const PROPAGATION_MS = 60_000;
const MAX_ENTRIES = 10_000;

export class RecentWrites {
  readonly #entries = new Map<string, { state: HeadState; at: number }>();
  readonly #locks = new Map<string, Promise<unknown>>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Records the state this process just wrote. */
  remember(id: string, state: HeadState): void {
    this.#entries.delete(id);
    this.#entries.set(id, { state, at: this.#now() });
    if (this.#entries.size > MAX_ENTRIES) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
  }

  /** The state written within the propagation window, if any. */
  recall(id: string): HeadState | undefined {
    const entry = this.#entries.get(id);
    if (!entry) return undefined;
    if (this.#now() - entry.at > PROPAGATION_MS) {
      this.#entries.delete(id);
      return undefined;
    }
    return entry.state;
  }

  /** A revision stamp newer than both `seen` and anything remembered for `id`. */
  nextRev(id: string, seen: number): number {
    return Math.max(this.#now(), seen + 1, (this.recall(id)?.rev ?? 0) + 1);
  }

  /** Runs `task` after every earlier task for `id` has settled. */
  async exclusive<T>(id: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#locks.get(id) ?? Promise.resolve();
    const run = previous.then(task, task);
    const settled = run.catch(() => undefined);
    this.#locks.set(id, settled);
    try {
      return await run;
    } finally {
      if (this.#locks.get(id) === settled) this.#locks.delete(id);
    }
  }
}
