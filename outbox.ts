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
import { ensurePrivateDir, writePrivateFileAtomic } from "./_shared/fs.ts";
import { withFileLock } from "./_shared/lock.ts";
import { appendDurably, readSplit, sizeOf } from "./_shared/jsonl.ts";
import {
  bumpCounter,
  type Counters,
  enforceCap,
  type QueueFile,
  readCounters,
} from "./_outbox/cap.ts";
import {
  appendLog,
  compactLog,
  type Creating,
  type Outcome,
  readLog,
  type SessionLog,
  type ThreadRecord,
} from "./_outbox/log.ts";
import {
  type EditEntry,
  ENTRY_ID_MAX,
  entryProblem,
  type MessageBody,
  type OutboxEntry,
  parseEntryLine,
  type PostEntry,
} from "./_outbox/types.ts";

export type { Creating, EditEntry, MessageBody, OutboxEntry, Outcome, PostEntry, ThreadRecord };
export type { Counters };
export { ENTRY_ID_MAX };

/** Default bound: entries, all sessions together (config `outboxMaxPosts`). */
export const DEFAULT_MAX_ENTRIES = 10_000;
/** Default bound: bytes, all sessions together (config `outboxMaxBytes`, 50 MiB). */
export const DEFAULT_MAX_BYTES = 50 * 1024 * 1024;

/** An entry to enqueue: `id`, `at` and `v` are filled in when left out. */
export type NewEntry =
  | (Omit<PostEntry, "v" | "id" | "at"> & { id?: string; at?: string })
  | (Omit<EditEntry, "v" | "id" | "at"> & { id?: string; at?: string });

/** Options of {@linkcode Outbox}. */
export interface OutboxOptions {
  /** Clock in ms since the epoch. Default `Date.now`. */
  now?: () => number;
  /** Most entries kept, all sessions together. Default {@linkcode DEFAULT_MAX_ENTRIES}. */
  maxEntries?: number;
  /** Most bytes kept, all sessions together. Default {@linkcode DEFAULT_MAX_BYTES}. */
  maxBytes?: number;
  /** Receives warnings (dropped entries, malformed lines). Default: ignored. */
  onWarning?: (message: string) => void;
}

/** What {@linkcode Outbox.stats} tells. */
export interface OutboxStats extends Counters {
  /** Entries waiting, all sessions together. */
  pending: number;
  /** Sessions with entries waiting. */
  sessions: number;
}

/** A session's record as a reader sees it (see {@linkcode Outbox.record}). */
export interface SessionRecordView {
  /** The session's thread, once the bridge opened or adopted it. */
  thread: ThreadRecord | undefined;
  /** Whether the bridge ever recorded a thread for the session (also one it forgot since). */
  threadNoted: boolean;
  /** The last thread opening announced (the sender's recovery after a lost answer). */
  creating: Creating | undefined;
  /** Where the message of a keyed post is, once sent. */
  message(key: string): { messageId: string; channelId: string } | undefined;
  /** What became of an entry, once committed (recent entries). */
  outcome(id: string): Outcome | undefined;
}

const SESSION_NAME = /^[A-Za-z0-9_-]{1,128}$/;
const RESERVED = new Set(["rejected", "failed"]);
/** `failed.jsonl` is cut to its newer half past this size. */
const FAILED_MAX_BYTES = 2 * 1024 * 1024;
/** A queue file is swept mid-batch once this many committed entries sit at its head. */
const SWEEP_EVERY = 256;

/**
 * A fresh entry id: the time in base 36, then 12 random base-36 characters (at most 21
 * characters, within Discord's 25 for a nonce; ids of later entries mostly sort later).
 *
 * @param now The time, in ms since the epoch.
 * @returns The id.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ENTRY_ID_MAX, newEntryId } from "./outbox.ts";
 * const id = newEntryId();
 * assert(/^[0-9a-z]+$/.test(id) && id.length <= ENTRY_ID_MAX);
 * assert(newEntryId() !== id);
 * ```
 */
export function newEntryId(now: number = Date.now()): string {
  const random = crypto.getRandomValues(new Uint8Array(12));
  return now.toString(36) + Array.from(random, (b) => (b % 36).toString(36)).join("");
}

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
  readonly #dir: string;
  readonly #stateDir: string;
  readonly #now: () => number;
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  readonly #warn: (message: string) => void;
  readonly #logs = new Map<string, { ino: number | null; log: SessionLog }>();
  readonly #committedSinceSweep = new Map<string, number>();
  #dirsReady = false;

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
    this.#dir = `${home.replace(/\/+$/, "") || "/"}/outbox`;
    this.#stateDir = `${this.#dir}/.state`;
    this.#now = options.now ?? Date.now;
    this.#maxEntries = maxEntries;
    this.#maxBytes = maxBytes;
    this.#warn = options.onWarning ?? (() => {});
  }

  /** The outbox directory (`home/outbox`). */
  get directory(): string {
    return this.#dir;
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
    checkSession(session);
    return `${this.#dir}/${session}.jsonl`;
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
    this.#ensureDirs();
    await withFileLock(this.#lockPath(session), async () => {
      this.#cutTornTail(session, path);
      // Flushed on this thread: a writer has nothing else to do meanwhile.
      await appendDurably(path, full.map((e) => JSON.stringify(e)).join("\n") + "\n", true);
    });
    const dropped = await enforceCap({
      limits: { maxEntries: this.#maxEntries, maxBytes: this.#maxBytes },
      queues: () => this.#queues(),
      capLock: `${this.#stateDir}/cap.lock`,
      counters: this.#counters(),
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
    this.#ensureDirs();
    return await withFileLock(this.#lockPath(session), async () => {
      const split = readSplit(path);
      if (split === undefined) return [];
      const done = this.#log(session).done;
      const entries: OutboxEntry[] = [];
      const keep: string[] = [];
      const rejected: string[] = [];
      for (const line of split.lines) {
        if (line.trim() === "") continue;
        const entry = parseEntryLine(line);
        if (typeof entry === "string") {
          rejected.push(this.#rejected(session, `malformed: ${entry}`, line));
          this.#warn(
            `outbox ${session}: skipped a malformed line (${entry}); kept in rejected.jsonl`,
          );
          continue;
        }
        keep.push(line);
        if (!done.has(entry.id)) entries.push(entry);
      }
      if (split.torn !== "") {
        // Writers hold this lock while writing, so a fragment here means its writer died.
        rejected.push(this.#rejected(session, "torn", split.torn));
        this.#warn(`outbox ${session}: moved a torn line to rejected.jsonl`);
      }
      if (rejected.length > 0) {
        await appendDurably(`${this.#dir}/rejected.jsonl`, rejected.join("\n") + "\n");
        rewrite(path, keep);
      }
      return entries;
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
    this.#ensureDirs();
    const at = new Date(this.#now()).toISOString();
    await withFileLock(this.#lockPath(session), async () => {
      const key = entry.key;
      await appendLog(this.#logPath(session), this.#log(session), {
        id: entry.id,
        outcome,
        ...(key ? { key } : {}),
      }, at);
      const n = (this.#committedSinceSweep.get(session) ?? 0) + 1;
      this.#committedSinceSweep.set(session, n);
      if (n >= SWEEP_EVERY) this.#sweepLocked(session, path);
    });
    if ("failed" in outcome) {
      const line = JSON.stringify({ at, session, reason: outcome.failed, entry }) + "\n";
      const failed = `${this.#dir}/failed.jsonl`;
      await appendDurably(failed, line);
      if (sizeOf(failed) > FAILED_MAX_BYTES) {
        const text = Deno.readTextFileSync(failed);
        const half = text.slice(text.indexOf("\n", text.length / 2) + 1);
        writePrivateFileAtomic(failed, half);
      }
      await bumpCounter(this.#counters(), "failed", 1, at);
    }
  }

  /**
   * Records the session's thread (`null` forgets it: Discord deleted it) or that an entry is
   * about to open one. For the sender (see _bridge/outbox_threads.ts).
   *
   * @param session The session.
   * @param fact The thread, or the opening.
   */
  async note(
    session: string,
    fact: { thread: ThreadRecord | null } | { creating: Creating },
  ): Promise<void> {
    this.queuePath(session);
    this.#ensureDirs();
    const at = new Date(this.#now()).toISOString();
    await withFileLock(this.#lockPath(session), async () => {
      await appendLog(this.#logPath(session), this.#log(session), fact, at);
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
    await withFileLock(this.#lockPath(session), () => this.#sweepLocked(session, path));
  }

  #sweepLocked(session: string, path: string): void {
    this.#committedSinceSweep.delete(session);
    const split = readSplit(path);
    if (split === undefined) return;
    const done = this.#log(session).done;
    const keep = split.lines.filter((line) => {
      const entry = parseEntryLine(line);
      return typeof entry === "string" || !done.has(entry.id);
    });
    if (keep.length === split.lines.length && split.torn === "") return;
    rewrite(path, keep);
    if (keep.length === 0) {
      // No committed id is needed any more to filter the queue: the record may shrink.
      const logPath = this.#logPath(session);
      const compacted = compactLog(logPath, this.#log(session));
      this.#logs.set(session, { ino: inoOf(logPath), log: compacted });
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
    return this.#queues().filter((q) => sizeOf(q.path) > 0).map((q) => q.session);
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
    const split = readSplit(path);
    if (split === undefined) return 0;
    const done = this.#log(session).done;
    let n = 0;
    for (const line of split.lines) {
      const entry = parseEntryLine(line);
      if (typeof entry !== "string" && !done.has(entry.id)) n++;
    }
    return n;
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
    return { pending, sessions, ...readCounters(this.#counters().path) };
  }

  /** The record of a session: cached while the file is the one this instance last read. */
  #log(session: string): SessionLog {
    const path = this.#logPath(session);
    let info: Deno.FileInfo | undefined;
    try {
      info = Deno.statSync(path);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
    const cached = this.#logs.get(session);
    if (
      cached !== undefined && info !== undefined && cached.ino === info.ino &&
      cached.log.size === info.size
    ) {
      return cached.log;
    }
    const log = readLog(path);
    this.#logs.set(session, { ino: info?.ino ?? null, log });
    if (this.#logs.size > 256) this.#logs.delete(this.#logs.keys().next().value!);
    return log;
  }

  /** Cuts a fragment left by a writer killed mid-line (under the lock), keeping it in rejected.jsonl. */
  #cutTornTail(session: string, path: string): void {
    const size = sizeOf(path);
    if (size <= 0) return;
    const file = Deno.openSync(path, { read: true, write: true });
    try {
      const last = new Uint8Array(1);
      file.seekSync(size - 1, Deno.SeekMode.Start);
      file.readSync(last);
      if (last[0] === 10) return;
    } finally {
      file.close();
    }
    const split = readSplit(path)!;
    Deno.truncateSync(path, split.completeBytes);
    const line = this.#rejected(session, "torn", split.torn);
    Deno.writeTextFileSync(`${this.#dir}/rejected.jsonl`, line + "\n", {
      append: true,
      create: true,
      mode: 0o600,
    });
    this.#warn(`outbox ${session}: moved a torn line to rejected.jsonl`);
  }

  #queues(): QueueFile[] {
    const out: QueueFile[] = [];
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(this.#dir)];
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return [];
      throw err;
    }
    for (const e of entries) {
      if (!e.isFile || !e.name.endsWith(".jsonl")) continue;
      const session = e.name.slice(0, -".jsonl".length);
      if (!SESSION_NAME.test(session) || RESERVED.has(session)) continue;
      out.push({
        session,
        path: `${this.#dir}/${e.name}`,
        lock: this.#lockPath(session),
        log: this.#logPath(session),
      });
    }
    return out.sort((a, b) => a.session.localeCompare(b.session));
  }

  #counters(): { path: string; lock: string } {
    return { path: `${this.#stateDir}/counters.json`, lock: `${this.#stateDir}/counters.lock` };
  }

  #lockPath(session: string): string {
    return `${this.#stateDir}/${session}.lock`;
  }

  #logPath(session: string): string {
    return `${this.#stateDir}/${session}.log.jsonl`;
  }

  #rejected(session: string, reason: string, line: string): string {
    return JSON.stringify({ at: new Date(this.#now()).toISOString(), session, reason, line });
  }

  #ensureDirs(): void {
    if (this.#dirsReady) return;
    ensurePrivateDir(this.#dir);
    ensurePrivateDir(this.#stateDir);
    this.#dirsReady = true;
  }
}

/** Replaces a queue file's lines (under its lock), or empties it. */
function rewrite(path: string, lines: string[]): void {
  if (lines.length === 0) Deno.truncateSync(path, 0);
  else writePrivateFileAtomic(path, lines.join("\n") + "\n");
}

function inoOf(path: string): number | null {
  try {
    return Deno.statSync(path).ino;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
}

function checkSession(session: string): void {
  if (typeof session !== "string" || !SESSION_NAME.test(session) || RESERVED.has(session)) {
    throw new TypeError(
      `Session name ${JSON.stringify(session)} is invalid: use 1-128 letters, digits, "_" or "-"`,
    );
  }
}
