// Private: the outbox's files on disk (outbox.ts): where a session's queue, lock and record are,
// the cap's lock and the counters' file, the directories (made once, 0700), the queue files
// listed, and torn or malformed lines kept aside in `rejected.jsonl`.
import { ensurePrivateDir } from "../_shared/fs.ts";
import type { CountersFile, QueueFile } from "./cap.ts";
import { appendRejected, checkSession, listQueues } from "./queue.ts";

/** The files of the outbox of one state directory. */
export class OutboxLayout {
  /** The outbox directory, `home/outbox`. */
  readonly dir: string;
  /** `home/outbox/.state`: locks, records, counters. */
  readonly stateDir: string;
  readonly #now: () => number;
  readonly #warn: (message: string) => void;
  #dirsReady = false;

  /**
   * @param home The state directory.
   * @param now Clock in ms since the epoch (the time of a line kept aside).
   * @param warn Receives one line per line kept aside.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { OutboxLayout } from "./layout.ts";
   * const files = new OutboxLayout("/h/", Date.now, () => {});
   * assert.equal(files.queue("s"), "/h/outbox/s.jsonl");
   * assert.equal(files.lock("s"), "/h/outbox/.state/s.lock");
   * assert.throws(() => files.queue("../s"), TypeError);
   * ```
   */
  constructor(home: string, now: () => number, warn: (message: string) => void) {
    this.dir = `${home.replace(/\/+$/, "") || "/"}/outbox`;
    this.stateDir = `${this.dir}/.state`;
    this.#now = now;
    this.#warn = warn;
  }

  /** A session's queue file, `outbox/<session>.jsonl` (the name checked: it names files). */
  queue(session: string): string {
    checkSession(session);
    return `${this.dir}/${session}.jsonl`;
  }

  /** A session's queue lock. */
  lock(session: string): string {
    return `${this.stateDir}/${session}.lock`;
  }

  /** A session's record (`_outbox/log.ts`). */
  log(session: string): string {
    return `${this.stateDir}/${session}.log.jsonl`;
  }

  /** The cap's lock: one capper at a time. */
  get capLock(): string {
    return `${this.stateDir}/cap.lock`;
  }

  /** The counters' file and its lock. */
  counters(): CountersFile {
    const [path, lock] = [`${this.stateDir}/counters.json`, `${this.stateDir}/counters.lock`];
    return { path, lock, warn: this.#warn };
  }

  /** Every session's queue file, with its lock and record. */
  queues(): QueueFile[] {
    return listQueues(this.dir, (s) => this.lock(s), (s) => this.log(s));
  }

  /** Makes the directories (0700), once. */
  ensure(): void {
    if (this.#dirsReady) return;
    ensurePrivateDir(this.dir);
    ensurePrivateDir(this.stateDir);
    this.#dirsReady = true;
  }

  /** Keeps torn and malformed lines in `rejected.jsonl` (never sent), with a warning each. */
  async moveAside(session: string, bad: { problem: string; line: string }[]): Promise<void> {
    const at = new Date(this.#now()).toISOString();
    await appendRejected(
      this.dir,
      bad.map(({ problem, line }) => JSON.stringify({ at, session, reason: problem, line })),
    );
    for (const { problem } of bad) {
      this.#warn(`outbox ${session}: moved a ${problem} line to rejected.jsonl (never sent)`);
    }
  }
}
