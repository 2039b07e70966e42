// Private: the bridge's waits between tries: capped exponential backoff with jitter, and sleeps
// that end early when woken (a reconnect, a stop).

/**
 * How long to wait before try `attempt + 1`: a ceiling of `baseMs · 2^(attempt-1)` capped at
 * `maxMs`, and a wait between half the ceiling and the ceiling (jitter, so that waiters spread).
 *
 * @param attempt The tries that failed so far (1 or more).
 * @param baseMs The first ceiling.
 * @param maxMs The largest ceiling.
 * @param random Randomness in [0, 1).
 * @returns The wait, ms.
 */
export function backoffMs(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + random() * ceiling / 2);
}

/** Sleeps that end early when woken; once closed, a sleep ends at once. */
export class Sleepers {
  readonly #wakers = new Set<() => void>();
  #closed = false;

  /** Resolves after `ms`, or when woken or closed. */
  sleep(ms: number): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wakers.add(done);
    });
  }

  /** Ends every sleep now. */
  wakeAll(): void {
    for (const wake of [...this.#wakers]) wake();
  }

  /** Ends every sleep now and every later one at once. */
  close(): void {
    this.#closed = true;
    this.wakeAll();
  }
}
