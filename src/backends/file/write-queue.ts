/**
 * Writes to one credential from this process go one at a time: other processes are handled by
 * the link race of `publish`, and queueing here spares every writer but one a lost race.
 */
export type WriteQueue = <T>(folder: string, write: () => Promise<T>) => Promise<T>;

/** A queue per credential folder; a folder's entry is dropped once its last write settles. */
export function createWriteQueue(): WriteQueue {
  const queues = new Map<string, Promise<unknown>>();
  return <T>(folder: string, write: () => Promise<T>): Promise<T> => {
    const previous = queues.get(folder) ?? Promise.resolve();
    const next = previous.then(write, write);
    const tail = next.catch(() => undefined);
    queues.set(folder, tail);
    void tail.then(() => {
      if (queues.get(folder) === tail) queues.delete(folder);
    });
    return next;
  };
}
