/**
 * The outbox: every post and edit a session sends to Discord, queued in local files that the
 * bridge sends. A hook only writes a line here (no network, no waiting on Discord); the bridge,
 * the one process per machine with the REST client, sends each entry exactly once, in order per
 * session, across its own restarts and `kill -9` (ARCHITECTURE.md, Delivery guarantees).
 *
 * Layout under `$home/outbox/` (directories 0700, files 0600):
 *
 * - `<session>.jsonl`: the session's pending entries, one JSON line each, in order.
 * - `rejected.jsonl`: torn fragments and malformed lines, kept for inspection, never sent.
 * - `failed.jsonl`: entries Discord refused for good, with the reason (bounded).
 * - `.state/<session>.lock`: the queue's `flock` (released by the kernel when the holder dies).
 * - `.state/<session>.log.jsonl`: the session's record: one line per entry sent, refused or
 *   skipped (with the message it made), the session's thread (`_outbox/log.ts`).
 * - `.state/counters.json`: entries dropped by the cap and refused by Discord, so far.
 *
 * Sending is a two-phase claim, like the mailboxes' (inbox.ts), with one difference: the queue's
 * lock is never held while Discord is asked, so a writer never waits on Discord.
 *
 * 1. {@linkcode Outbox.peek} reads the pending entries under the lock (entries with a record
 *    line are left out; torn and malformed lines move to `rejected.jsonl`).
 * 2. The bridge sends the first one, then {@linkcode Outbox.commit}s it: one record line
 *    (fsync) with what became of it. Only then comes the next.
 * 3. {@linkcode Outbox.sweep} removes committed entries from the queue file now and then.
 *
 * A sender killed between Discord's answer and the commit sends the entry again after its
 * restart: a post goes with `nonce` = the entry's id and `enforce_nonce`, so Discord answers
 * with the first message instead of making a second one (for a few minutes: see
 * ARCHITECTURE.md for what remains possible and why). One sender runs per state directory
 * (the bridge's instance lock).
 *
 * {@linkcode Outbox.enqueue} appends under the queue's lock and is durable when it resolves;
 * then it keeps the whole outbox within its bounds (`maxEntries`, `maxBytes`), dropping the
 * oldest entries first, counted in {@linkcode Outbox.stats}.
 *
 * @example Enqueue a post, then send it as the bridge does
 * ```ts
 * import assert from "node:assert/strict";
 * import { Outbox } from "./outbox.ts";
 *
 * const outbox = new Outbox(Deno.makeTempDirSync());
 * await outbox.enqueue("session-a", [{
 *   kind: "post",
 *   threadName: "api-3f2a",
 *   body: { content: "Finished its turn", allowed_mentions: { parse: [] } },
 * }]);
 * const [entry] = await outbox.peek("session-a");
 * // … POST /channels/{thread}/messages with nonce = entry.id, then:
 * await outbox.commit("session-a", entry, {
 *   sent: { messageId: "1100000000000000001", channelId: "1100000000000000002" },
 * });
 * assert((await outbox.peek("session-a")).length === 0);
 * assert(outbox.record("session-a").outcome(entry.id) !== undefined);
 * ```
 *
 * @module
 */
import { withFileLock } from "./_shared/lock.ts";
import { appendDurably, sizeOf } from "./_shared/jsonl.ts";
import { bumpCounter, type Counters, enforceCap, readCounters } from "./_outbox/cap.ts";
import { OutboxLayout } from "./_outbox/layout.ts";
import {
  appendLog,
  compactLog,
  type Creating,
  LogCache,
  type Outcome,
  type SessionLog,
  type SessionRecordView,
  type ThreadRecord,
} from "./_outbox/log.ts";
import { appendFailed, cutTornTail, readQueue, rewriteQueue } from "./_outbox/queue.ts";
import {
  DEFAULT_MAX_BYTES,
  DEFAULT_MAX_ENTRIES,
  type OutboxOptions,
  type OutboxStats,
} from "./_outbox/options.ts";
import {
  type EditEntry,
  ENTRY_ID_MAX,
  type EntryBase,
  entryProblem,
  type MessageBody,
  type NewEntry,
  newEntryId,
  type OutboxEntry,
  type PostEntry,
} from "./_outbox/types.ts";

export type {
  Counters,
  Creating,
  EditEntry,
  EntryBase,
  MessageBody,
  NewEntry,
  OutboxEntry,
  Outcome,
  PostEntry,
  SessionRecordView,
  ThreadRecord,
};
export { ENTRY_ID_MAX, newEntryId };
export { DEFAULT_MAX_BYTES, DEFAULT_MAX_ENTRIES, type OutboxOptions, type OutboxStats };

/** A queue file is swept mid-batch once this many committed entries sit at its head. */
const SWEEP_EVERY = 256;

/**
 * The outbox of a state directory. Safe to use from many processes at once (hooks, scripts,
 * the bridge); one process sends (the bridge). See the module doc for the protocol.
 *
 * @example The bounds drop the oldest entries, counted
 * ```ts
 * import assert from "node:assert/strict";
 * import { Outbox } from "./outbox.ts";
 *
 * const outbox = new Outbox(Deno.makeTempDirSync(), { maxEntries: 2 });
 * const post = (content: string) => ({
 *   kind: "post" as const, threadName: "t", body: { content },
 * });
 * await outbox.enqueue("s", [post("one"), post("two"), post("three")]);
 * const left = await outbox.peek("s");
 * assert.deepEqual(left.map((e) => e.body.content), ["two", "three"]);
 * assert(outbox.stats().dropped === 1);
 * ```
 */
export class Outbox {
  readonly #files: OutboxLayout;
  readonly #now: () => number;
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  readonly #warn: (message: string) => void;
  readonly #logs = new LogCache();
  readonly #committedSinceSweep = new Map<string, number>();

  /**
   * Opens the outbox of a state directory (nothing is created until first use).
   *
   * @param home The state directory (`CLAUDE_DISCORD_HOME`); the outbox is `home/outbox/`.
   * @param options Clock, bounds, warning sink.
   */
  constructor(home: string, options: OutboxOptions = {}) {
    if (typeof home !== "string" || home === "") {
      throw new TypeError("Outbox needs a home directory");
    }
    const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError(`maxEntries must be a positive integer, got ${maxEntries}`);
    }
    if (!Number.isInteger(maxBytes) || maxBytes < 1) {
      throw new RangeError(`maxBytes must be a positive integer, got ${maxBytes}`);
    }
    this.#now = options.now ?? Date.now;
    this.#maxEntries = maxEntries;
    this.#maxBytes = maxBytes;
    this.#warn = options.onWarning ?? (() => {});
    this.#files = new OutboxLayout(home, this.#now, this.#warn);
  }

  /** The outbox directory (`home/outbox`). */
  get directory(): string {
    return this.#files.dir;
  }

  /**
   * The queue file of a session.
   *
   * @param session A session id (letters, digits, `_`, `-`).
   * @returns `${home}/outbox/${session}.jsonl`.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Outbox } from "./outbox.ts";
   * assert(new Outbox("/tmp/h").queuePath("abc") === "/tmp/h/outbox/abc.jsonl");
   * ```
   */
  queuePath(session: string): string {
    return this.#files.queue(session);
  }

  /**
   * Appends entries to a session's queue, durably: when the promise resolves they are on
   * disk, in order. Then keeps the outbox within its bounds (the oldest entries go first,
   * these included if the bounds are that small).
   *
   * @param session The session.
   * @param entries The entries, in order; `id` and `at` are filled in when left out.
   * @returns The entries as written.
   * @throws {TypeError} On a bad session name or a malformed entry.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Outbox } from "./outbox.ts";
   * const outbox = new Outbox(Deno.makeTempDirSync());
   * const [entry] = await outbox.enqueue("s", [{
   *   kind: "post", channelId: "1100000000000000001", body: { content: "hi" },
   * }]);
   * assert(entry.id.length <= 25 && entry.v === 1);
   * ```
   */
  async enqueue(session: string, entries: NewEntry[]): Promise<OutboxEntry[]> {
    const path = this.queuePath(session);
    const at = new Date(this.#now()).toISOString();
    const full = entries.map((e) => ({
      ...e,
      v: 1,
      id: e.id ?? newEntryId(this.#now()),
      at: e.at ?? at,
    }));
    for (const entry of full) {
      const problem = entryProblem(entry);
      if (problem !== undefined) throw new TypeError(`Cannot enqueue for ${session}: ${problem}`);
    }
    if (full.length === 0) return [];
    this.#files.ensure();
    await withFileLock(this.#files.lock(session), async () => {
      const torn = cutTornTail(path);
      if (torn !== undefined) {
        await this.#files.moveAside(session, [{ problem: "torn", line: torn }]);
      }
      // Flushed on this thread: a writer has nothing else to do meanwhile.
      await appendDurably(path, full.map((e) => JSON.stringify(e)).join("\n") + "\n", true);
    });
    const dropped = await enforceCap({
      limits: { maxEntries: this.#maxEntries, maxBytes: this.#maxBytes },
      queues: () => this.#files.queues(),
      capLock: this.#files.capLock,
      counters: this.#files.counters(),
      now: () => new Date(this.#now()).toISOString(),
    });
    if (dropped > 0) {
      this.#warn(
        `outbox over its bounds (${this.#maxEntries} entries, ${this.#maxBytes} bytes): ` +
          `dropped the ${dropped} oldest`,
      );
    }
    return full as OutboxEntry[];
  }

  /**
   * The pending entries of a session, in order: those without an outcome yet. Torn and
   * malformed lines are moved to `rejected.jsonl` (with a warning). For the one sender.
   *
   * @param session The session.
   * @returns The entries.
   */
  async peek(session: string): Promise<OutboxEntry[]> {
    const path = this.queuePath(session);
    if (sizeOf(path) <= 0) return [];
    this.#files.ensure();
    return await withFileLock(this.#files.lock(session), async () => {
      const contents = readQueue(path, this.#log(session).done);
      if (contents === undefined) return [];
      if (contents.bad.length > 0) {
        await this.#files.moveAside(session, contents.bad);
        rewriteQueue(path, contents.keep);
      }
      return contents.pending;
    });
  }

  /**
   * Records what became of an entry: the commit. An entry with an outcome is never handed out
   * by {@linkcode Outbox.peek} again. A failed entry is also kept in `failed.jsonl` and counted.
   *
   * @param session The session.
   * @param entry The entry.
   * @param outcome Sent (the message), failed (why) or skipped (why).
   */
  async commit(session: string, entry: OutboxEntry, outcome: Outcome): Promise<void> {
    const path = this.queuePath(session);
    this.#files.ensure();
    const at = new Date(this.#now()).toISOString();
    await withFileLock(this.#files.lock(session), async () => {
      const key = entry.key;
      await appendLog(this.#files.log(session), this.#log(session), {
        id: entry.id,
        outcome,
        ...(key ? { key } : {}),
      }, at);
      const n = (this.#committedSinceSweep.get(session) ?? 0) + 1;
      this.#committedSinceSweep.set(session, n);
      if (n >= SWEEP_EVERY) this.#sweepLocked(session, path);
    });
    if ("failed" in outcome) {
      await appendFailed(this.#files.dir, { at, session, reason: outcome.failed, entry });
      await bumpCounter(this.#files.counters(), "failed", 1, at);
    }
  }

  /**
   * Records the session's thread (`null` forgets it: Discord deleted it) or that an entry is
   * about to open one. For the sender (see _bridge/outbox_send.ts).
   *
   * @param session The session.
   * @param fact The thread, or the opening.
   */
  async note(
    session: string,
    fact: { thread: ThreadRecord | null } | { creating: Creating },
  ): Promise<void> {
    this.queuePath(session);
    this.#files.ensure();
    const at = new Date(this.#now()).toISOString();
    await withFileLock(this.#files.lock(session), async () => {
      await appendLog(this.#files.log(session), this.#log(session), fact, at);
    });
  }

  /**
   * Removes committed entries from a session's queue file (emptying it when nothing is left)
   * and compacts its record. For the sender, after a batch.
   *
   * @param session The session.
   */
  async sweep(session: string): Promise<void> {
    const path = this.queuePath(session);
    if (sizeOf(path) <= 0) return;
    await withFileLock(this.#files.lock(session), () => this.#sweepLocked(session, path));
  }

  #sweepLocked(session: string, path: string): void {
    this.#committedSinceSweep.delete(session);
    const contents = readQueue(path, this.#log(session).done);
    if (contents === undefined) return;
    const torn = contents.bad.some((b) => b.problem === "torn");
    if (contents.pendingLines.length === contents.keep.length && !torn) return;
    // Committed entries and a torn tail go; malformed lines stay for the next peek to move.
    const keep = [
      ...contents.bad.filter((b) => b.problem !== "torn").map((b) => b.line),
      ...contents.pendingLines,
    ];
    rewriteQueue(path, keep);
    if (keep.length === 0) {
      // No committed id is needed any more to filter the queue: the record may shrink.
      const logPath = this.#files.log(session);
      const compacted = compactLog(logPath, this.#log(session));
      this.#logs.set(session, logPath, compacted);
    }
  }

  /**
   * A session's record: its thread, the messages of keyed posts, the outcome of recent
   * entries. Read fresh from the file (cheap: it is kept short).
   *
   * @param session The session.
   * @returns A view of the record.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Outbox } from "./outbox.ts";
   * const record = new Outbox(Deno.makeTempDirSync()).record("s");
   * assert(record.thread === undefined && record.message("perm-1") === undefined);
   * ```
   */
  record(session: string): SessionRecordView {
    this.queuePath(session);
    const log = this.#log(session);
    return {
      thread: log.thread,
      threadNoted: log.threadNoted,
      creating: log.creating,
      message: (key) => log.keys.get(key),
      outcome: (id) => log.done.get(id),
    };
  }

  /**
   * The sessions whose queue file is not empty, for the sender's scan.
   *
   * @returns Session ids.
   */
  sessions(): string[] {
    return this.#files.queues().filter((q) => sizeOf(q.path) > 0).map((q) => q.session);
  }

  /**
   * Counts the pending entries of a session (no lock taken).
   *
   * @param session The session.
   * @returns Entries without an outcome.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Outbox } from "./outbox.ts";
   * assert(new Outbox(Deno.makeTempDirSync()).pending("s") === 0);
   * ```
   */
  pending(session: string): number {
    const path = this.queuePath(session);
    if (sizeOf(path) <= 0) return 0;
    return readQueue(path, this.#log(session).done)?.pending.length ?? 0;
  }

  /**
   * Whether a pending entry of a session has this key (no lock taken).
   *
   * @param session The session.
   * @param key The entry key.
   * @returns `true` while such an entry waits to be sent.
   */
  hasPending(session: string, key: string): boolean {
    const path = this.queuePath(session);
    if (sizeOf(path) <= 0) return false;
    const queue = readQueue(path, this.#log(session).done);
    return queue?.pending.some((e) => e.key === key) ?? false;
  }

  /**
   * Entries waiting (all sessions), and the counters: dropped by the bounds, refused by Discord.
   *
   * @returns The figures.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Outbox } from "./outbox.ts";
   * const stats = new Outbox(Deno.makeTempDirSync()).stats();
   * assert(stats.pending === 0 && stats.dropped === 0 && stats.failed === 0);
   * ```
   */
  stats(): OutboxStats {
    let pending = 0;
    let sessions = 0;
    for (const session of this.sessions()) {
      const n = this.pending(session);
      pending += n;
      if (n > 0) sessions++;
    }
    return { pending, sessions, ...readCounters(this.#files.counters().path, this.#warn) };
  }

  /** The record of a session (cached while its file is unchanged). */
  #log(session: string): SessionLog {
    return this.#logs.get(session, this.#files.log(session));
  }
}
