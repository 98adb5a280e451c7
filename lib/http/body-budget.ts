/**
 * The request-body bytes one node receives or holds at once, over all its requests
 * (`cluster.rest_api.max_body_bytes_in_flight`): a body takes its bytes before they are read
 * and gives them back when its response is done, so slow or many bodies cannot take more memory
 * than this, whatever the number of connections.
 */
export class BodyBudget {
  private used = 0;

  constructor(readonly max: number) {
    if (!(max > 0)) throw new RangeError(`a body budget must be positive, got ${max}`);
  }

  /** Bytes taken now. */
  get inFlight(): number {
    return this.used;
  }

  /** Takes `n` bytes if they fit; false (nothing taken) if not. */
  take(n: number): boolean {
    if (!(n > 0)) return true;
    if (this.used + n > this.max) return false;
    this.used += n;
    return true;
  }

  /** Gives back `n` bytes taken before. */
  give(n: number): void {
    this.used = Math.max(0, this.used - n);
  }
}
