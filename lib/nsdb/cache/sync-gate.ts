/**
 * ZooKeeper `sync`s shared by concurrent readers. A reader may only trust what its session has
 * received once a `sync` sent after the reader arrived has been answered (topology-cache.ts); a
 * `sync` already in flight was sent too early for it. So at most one `sync` is in flight, and the
 * readers arriving meanwhile all wait for the single next one, sent when it returns: under load
 * a reader waits at most two round trips, and ZooKeeper sees one `sync` per round trip, not one
 * per request.
 */
export class SyncGate {
  private inFlight?: Promise<void>;
  private next?: Promise<void>;

  constructor(private readonly send: () => Promise<void>) {}

  /** Resolves once a `sync` sent after this call has been answered; rejects if it failed. */
  after(): Promise<void> {
    if (!this.inFlight) return this.start();
    if (!this.next) {
      const next = this.inFlight
        .catch(() => undefined)
        .then(() => {
          this.next = undefined;
          return this.start();
        });
      next.catch(() => undefined);
      this.next = next;
    }
    return this.next;
  }

  private start(): Promise<void> {
    const p: Promise<void> = this.send().finally(() => {
      if (this.inFlight === p) this.inFlight = undefined;
    });
    p.catch(() => undefined);
    this.inFlight = p;
    return p;
  }
}
