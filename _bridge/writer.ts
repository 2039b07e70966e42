// Private: group commit into the inbox. Events for one mailbox queue up while an append is in
// flight and go out together in the next one, so a burst costs a few appends (each one lock,
// one fsync) instead of one per event, and a lone event is written at once.
import type { Inbox, InboxEvent } from "../inbox.ts";

interface Pending {
  event: InboxEvent;
  resolve: (stored: boolean) => void;
}

/** Options of {@linkcode MailboxWriter}. */
export interface WriterOptions {
  /** Logs failed appends (they are retried). */
  onError: (mailbox: string, err: unknown, attempt: number) => void;
  /** Told after each durable append (for counters and benchmarks). */
  onWritten?: (mailbox: string, events: readonly InboxEvent[]) => void;
  /** Most events per append. Default 2000. */
  maxBatch?: number;
  /** Retry delay cap after failed appends, ms. Default 5000. */
  maxRetryMs?: number;
}

/** Writes events into mailboxes, durably, batching per mailbox. */
export class MailboxWriter {
  readonly #inbox: Inbox;
  readonly #options: WriterOptions;
  readonly #queues = new Map<string, Pending[]>();
  readonly #running = new Map<string, Promise<void>>();
  #closed = false;
  #wakeClosed: (() => void) | undefined;

  constructor(inbox: Inbox, options: WriterOptions) {
    this.#inbox = inbox;
    this.#options = options;
  }

  /**
   * Queues `event` for `mailbox`.
   *
   * @returns `true` once it is durable in the mailbox (or was already there); `false` when
   *   the inbox refused it for good (a malformed event) or the writer closed first.
   */
  write(mailbox: string, event: InboxEvent): Promise<boolean> {
    if (this.#closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const queue = this.#queues.get(mailbox);
      if (queue) queue.push({ event, resolve });
      else this.#queues.set(mailbox, [{ event, resolve }]);
      if (!this.#running.has(mailbox)) {
        const run = this.#flush(mailbox).finally(() => this.#running.delete(mailbox));
        this.#running.set(mailbox, run);
      }
    });
  }

  /** Events waiting or being written. */
  get pending(): number {
    let n = 0;
    for (const q of this.#queues.values()) n += q.length;
    return n;
  }

  /** Resolves when nothing is queued or being written. */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.all([...this.#running.values()]);
  }

  /** Waits up to `ms` for queued events to be written, then refuses new ones and gives up on the rest. */
  async close(ms: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      this.idle(),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))),
    ]);
    clearTimeout(timer);
    this.#closed = true;
    this.#wakeClosed?.();
    for (const queue of this.#queues.values()) for (const p of queue) p.resolve(false);
    this.#queues.clear();
  }

  async #flush(mailbox: string): Promise<void> {
    const max = this.#options.maxBatch ?? 2000;
    let attempt = 0;
    for (;;) {
      const queue = this.#queues.get(mailbox);
      if (!queue || queue.length === 0 || this.#closed) {
        this.#queues.delete(mailbox);
        return;
      }
      const batch = queue.splice(0, max);
      try {
        await this.#inbox.append(mailbox, batch.map((p) => p.event));
        attempt = 0;
        this.#options.onWritten?.(mailbox, batch.map((p) => p.event));
        for (const p of batch) p.resolve(true);
      } catch (err) {
        attempt++;
        this.#options.onError(mailbox, err, attempt);
        if (err instanceof TypeError) {
          // A malformed event (or mailbox name): retrying cannot help. Split to save the rest.
          if (batch.length === 1) batch[0].resolve(false);
          else await this.#oneByOne(mailbox, batch);
          continue;
        }
        queue.unshift(...batch);
        await this.#pause(Math.min(this.#options.maxRetryMs ?? 5000, 100 * 2 ** (attempt - 1)));
      }
    }
  }

  async #oneByOne(mailbox: string, batch: Pending[]): Promise<void> {
    const retry: Pending[] = [];
    for (const p of batch) {
      try {
        await this.#inbox.append(mailbox, [p.event]);
        this.#options.onWritten?.(mailbox, [p.event]);
        p.resolve(true);
      } catch (err) {
        this.#options.onError(mailbox, err, 1);
        if (err instanceof TypeError) p.resolve(false);
        else retry.push(p); // the main loop retries it with backoff
      }
    }
    if (retry.length > 0) {
      const queue = this.#queues.get(mailbox) ?? [];
      queue.unshift(...retry);
      this.#queues.set(mailbox, queue);
    }
  }

  #pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wakeClosed = done;
    });
  }
}
