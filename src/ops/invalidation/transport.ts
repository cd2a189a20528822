/**
 * The seam between fleet invalidation and a message bus. An adapter publishes text on one
 * channel and hands every text it receives to `onMessage`; whenever its subscription was lost and
 * is back (a reconnect), it calls `onResync`, because messages sent meanwhile are gone.
 */

/** What an adapter reports to its subscriber. */
export interface TransportHandlers {
  /** A message from the channel (possibly this replica's own). */
  onMessage(text: string): void;
  /** The subscription is back after a loss: messages may have been missed. */
  onResync(): void;
  /** A failure the adapter recovers from by itself (a lost connection), for logs and metrics. */
  onError?(error: Error): void;
}

/** A publish/subscribe channel shared by the replicas. */
export interface InvalidationTransport {
  /** Adapter name, for messages: `postgres`, `redis`. */
  readonly name: string;
  /** Starts listening; resolves once the subscription is in place. */
  subscribe(handlers: TransportHandlers): Promise<void>;
  /** Sends a message to every subscriber (this replica included). */
  publish(text: string): Promise<void>;
  /** Stops listening and releases the connections the adapter opened. */
  close(): Promise<void>;
}
