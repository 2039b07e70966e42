/**
 * Per-session JSONL mailboxes: the local queue between the bridge and the hooks.
 *
 * Layout under `$home/inbox/` (directories 0700, files 0600):
 *
 * - `<mailbox>.jsonl`: pending events, one JSON line each. Absent or empty when
 *   nothing is pending, so a hook can test `[ -s "$file" ]` before starting Deno.
 * - `rejected.jsonl`: torn fragments and malformed lines, kept for inspection.
 * - `.state/<mailbox>.lock`: the mailbox's lock file (`flock`, released by the kernel
 *   when the holder dies, even on `kill -9`).
 * - `.state/<mailbox>.delivered.jsonl`: one line per committed batch (its ids).
 * - `.state/<mailbox>.last.json`: the last message a hook handed to the session
 *   ({@linkcode noteLastDelivered}): where its `reply` answers by default.
 *
 * Delivery is exactly once per mailbox, by a two-phase claim:
 *
 * 1. Under the lock, {@linkcode Inbox.claim} reads the complete lines, drops ids the
 *    delivered log already holds, and awaits `deliver(events)` (the hooks write them to their
 *    own overflow file there and print them after the commit: ARCHITECTURE.md, "Delivery
 *    guarantees and how they are kept").
 * 2. Only after `deliver` resolves it commits: it appends ONE line with the batch's ids to
 *    the delivered log (fsync), then empties the mailbox file (truncates it to 0 bytes).
 *
 * If `deliver` throws, or the process dies before the commit line is complete, nothing is
 * committed and the next claim hands the same events over again. A kill after the commit
 * line but before the truncation is harmless: the next claim filters the committed ids out. The delivered log keeps at least the last
 * `dedupeWindow` ids (it is rewritten atomically once it holds twice that many).
 *
 * {@linkcode Inbox.append} writes under the same lock and is durable (fsync) when it
 * resolves. A fragment without its "\n" (a writer killed mid-line) is moved to
 * `rejected.jsonl` and cut off before the next write; the bridge re-sends such a message
 * because its catch-up cursor only advances after `append` resolves. Ids that are already
 * pending or recently delivered are skipped, so re-sending after a crash is safe. An
 * instance remembers what it appended and re-reads only what others changed since
 * (`_inbox/pending.ts`); a claim looks pending ids up in the delivered log's text instead of
 * parsing it all (`_inbox/lookup.ts`).
 *
 * @example Append, then claim
 * ```ts
 * import assert from "node:assert/strict";
 * import { Inbox, type InboxEvent } from "./inbox.ts";
 *
 * const inbox = new Inbox(Deno.makeTempDirSync());
 * const event: InboxEvent = {
 *   id: "1100000000000000001",
 *   kind: "message",
 *   channelId: "1100000000000000002",
 *   author: { id: "1100000000000000003", name: "ada" },
 *   content: "please run the tests",
 *   timestamp: new Date().toISOString(),
 *   attachments: [],
 * };
 * await inbox.append("session-a", [event]);
 * await inbox.append("session-a", [event]); // a duplicate id is skipped
 * const got = await inbox.claim("session-a", (events) => {
 *   console.log(events.map((e) => e.content).join("\n"));
 * });
 * assert(got.length === 1);
 * assert(await inbox.pending("session-a") === 0);
 * ```
 *
 * @module
 */
import { ensurePrivateDir, writePrivateFileAtomic } from "./_shared/fs.ts";
import { withFileLock } from "./_shared/lock.ts";
import { waitForChange } from "./_inbox/wait.ts";
import {
  appendCommit,
  appendDurably,
  appendRejected,
  DeliveredReader,
  eventProblem,
  parseEventLine,
  readSplit,
  type RejectedEntry,
  sizeOf,
} from "./_inbox/io.ts";
import { readDeliveredLookup } from "./_inbox/lookup.ts";
import { PendingIds } from "./_inbox/pending.ts";
import type { InboxEvent } from "./_inbox/types.ts";

export type { InboxAttachment, InboxEvent } from "./_inbox/types.ts";
export { type LastDelivered, noteLastDelivered, readLastDelivered } from "./_inbox/last.ts";

/** Mailbox for messages that arrived while no session was live. */
export const HELD = "_held";

/** Options of {@linkcode Inbox}. */
export interface InboxOptions {
  /** Clock in ms since the epoch (held retention, commit times). Default `Date.now`. */
  now?: () => number;
  /** How many delivered ids each mailbox remembers at least. Default 5000. */
  dedupeWindow?: number;
  /** Held events older than this (by their `timestamp`) are dropped. Default 24 (config `heldRetentionHours`). */
  heldRetentionHours?: number;
  /** Receives warnings (malformed lines, dropped held events). Default: ignored (they stay in `rejected.jsonl`). */
  onWarning?: (message: string) => void;
  /** {@linkcode Inbox.waitForMessages} re-checks the mailbox this often, in case a file event is lost. Default 2000. */
  recheckMs?: number;
}

/** Options of {@linkcode Inbox.waitForMessages}. */
export interface WaitOptions {
  /** Stops waiting (resolves `false`). */
  signal?: AbortSignal;
  /** Gives up after this many ms (resolves `false`). */
  timeoutMs: number;
}

const MAILBOX_NAME = /^[A-Za-z0-9_-]{1,128}$/;
const RESERVED = new Set(["rejected"]);

/**
 * The queue: one JSONL mailbox per session plus {@linkcode HELD}. Safe to use from many
 * processes at once (bridge, hooks, several sessions). See the module doc for the
 * two-phase delivery contract.
 *
 * @example Wait for a message, then claim it
 * ```ts
 * import assert from "node:assert/strict";
 * import { Inbox, type InboxEvent } from "./inbox.ts";
 *
 * const inbox = new Inbox(Deno.makeTempDirSync());
 * const event: InboxEvent = {
 *   id: "1", kind: "message", channelId: "2", author: { id: "3", name: "ada" },
 *   content: "hi", timestamp: new Date().toISOString(), attachments: [],
 * };
 * setTimeout(() => inbox.append("s1", [event]), 20);
 * const arrived = await inbox.waitForMessages("s1", { timeoutMs: 5000 });
 * assert(arrived);
 * await inbox.claim("s1", (events) => console.log(events[0].content));
 * ```
 */
export class Inbox {
  readonly #dir: string;
  readonly #stateDir: string;
  readonly #now: () => number;
  readonly #window: number;
  readonly #retentionMs: number;
  readonly #warn: (message: string) => void;
  readonly #recheckMs: number;
  #dirsReady = false;
  readonly #delivered = new DeliveredReader();
  readonly #pendingIds = new PendingIds();

  /**
   * Opens the mailboxes of a state directory (nothing is created until first use).
   *
   * @param home The state directory (`CLAUDE_DISCORD_HOME`); mailboxes live in `home/inbox/`.
   * @param options Clock, de-dup window, held retention, warning sink.
   */
  constructor(home: string, options: InboxOptions = {}) {
    if (typeof home !== "string" || home === "") {
      throw new TypeError("Inbox needs a home directory");
    }
    const window = options.dedupeWindow ?? 5000;
    if (!Number.isInteger(window) || window < 1) {
      throw new RangeError(`dedupeWindow must be a positive integer, got ${window}`);
    }
    const hours = options.heldRetentionHours ?? 24;
    if (!(hours >= 0)) throw new RangeError(`heldRetentionHours must be >= 0, got ${hours}`);
    this.#dir = `${home.replace(/\/+$/, "") || "/"}/inbox`;
    this.#stateDir = `${this.#dir}/.state`;
    this.#now = options.now ?? Date.now;
    this.#window = window;
    this.#retentionMs = hours * 3_600_000;
    this.#warn = options.onWarning ?? (() => {});
    this.#recheckMs = options.recheckMs ?? 2000;
  }

  /**
   * The pending file of a mailbox: absent or empty when nothing is pending.
   *
   * @param mailbox A session id or {@linkcode HELD} (letters, digits, `_`, `-`).
   * @returns `${home}/inbox/${mailbox}.jsonl`.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Inbox } from "./inbox.ts";
   * assert(new Inbox("/tmp/h").mailboxPath("abc") === "/tmp/h/inbox/abc.jsonl");
   * ```
   */
  mailboxPath(mailbox: string): string {
    checkMailbox(mailbox);
    return `${this.#dir}/${mailbox}.jsonl`;
  }

  /** The file that keeps torn and malformed lines. */
  get rejectedPath(): string {
    return `${this.#dir}/rejected.jsonl`;
  }

  /**
   * Appends events to a mailbox, durably: when the promise resolves they are on disk.
   * Ids already pending there or among the recently delivered ones are skipped, as are
   * repeats inside `events`.
   *
   * @param mailbox Target mailbox.
   * @param events Events to add, in order.
   * @returns How many lines were actually written (a `Promise<void>` for callers that do not care).
   * @throws {TypeError} On a bad mailbox name or an event that lacks a required field.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Inbox } from "./inbox.ts";
   * const inbox = new Inbox(Deno.makeTempDirSync());
   * const e = { id: "9", kind: "message" as const, channelId: "1", author: { id: "2", name: "bo" },
   *   content: "x", timestamp: new Date().toISOString(), attachments: [] };
   * assert(await inbox.append("s", [e, e]) === 1);
   * ```
   */
  async append(mailbox: string, events: InboxEvent[]): Promise<number> {
    const path = this.mailboxPath(mailbox);
    for (const event of events) {
      const problem = eventProblem(event);
      if (problem !== undefined) throw new TypeError(`Cannot append to ${mailbox}: ${problem}`);
    }
    if (events.length === 0) return 0;
    this.#ensureDirs();
    return await withFileLock(this.#lockPath(mailbox), async () => {
      try {
        // Remembered from this writer's last append; re-read as far as others changed it.
        const box = this.#pendingIds.scan(path);
        if (box.torn !== "") {
          await appendRejected(this.rejectedPath, [this.#rejected(mailbox, "torn", box.torn)]);
          Deno.truncateSync(path, box.completeBytes);
          this.#warn(`${mailbox}: moved a torn line (${box.torn.length} chars) to rejected.jsonl`);
        }
        const delivered = this.#delivered.read(this.#deliveredPath(mailbox)).set;
        const known = box.ids;
        const fresh: string[] = [];
        for (const event of events) {
          if (known.has(event.id) || delivered.has(event.id)) continue;
          known.add(event.id);
          fresh.push(JSON.stringify(event));
        }
        if (fresh.length > 0) {
          const after = await appendDurably(path, fresh.join("\n") + "\n");
          this.#pendingIds.appended(path, known, after, fresh[fresh.length - 1]);
        }
        return fresh.length;
      } catch (err) {
        // What reached the file is unknown: the next append reads it again.
        this.#pendingIds.forget(path);
        throw err;
      }
    });
  }

  /**
   * Takes every pending event of a mailbox and hands it to `deliver`, exactly once.
   *
   * Under the mailbox lock: reads the complete lines, skips delivered ids and malformed
   * lines (warned about and kept in `rejected.jsonl`), awaits `deliver(events)`, and only
   * then commits (one line in the delivered log) and empties the mailbox file. If `deliver`
   * throws, the error propagates and nothing is committed: the next claim delivers the same
   * events again. `deliver` is not called when nothing is pending. It must not append to or
   * claim the same mailbox (that would wait for the lock it holds).
   *
   * An absent or empty mailbox costs one `stat` and creates no file.
   *
   * @param mailbox The mailbox to drain.
   * @param deliver Takes the events over (the hooks: into their own overflow file).
   * @returns The events delivered and committed, in arrival order.
   *
   * @example Redelivery after a failed deliver
   * ```ts
   * import assert from "node:assert/strict";
   * import { Inbox } from "./inbox.ts";
   * const inbox = new Inbox(Deno.makeTempDirSync());
   * const e = { id: "7", kind: "message" as const, channelId: "1", author: { id: "2", name: "bo" },
   *   content: "x", timestamp: new Date().toISOString(), attachments: [] };
   * await inbox.append("s", [e]);
   * await inbox.claim("s", () => { throw new Error("stdout closed"); }).catch(() => {});
   * assert((await inbox.claim("s", () => {})).length === 1);
   * ```
   */
  async claim(
    mailbox: string,
    deliver: (events: InboxEvent[]) => void | Promise<void>,
  ): Promise<InboxEvent[]> {
    const path = this.mailboxPath(mailbox);
    if (sizeOf(path) <= 0) return [];
    this.#ensureDirs();
    return await withFileLock(this.#lockPath(mailbox), async () => {
      const box = readSplit(path);
      if (box === undefined) return [];
      const deliveredPath = this.#deliveredPath(mailbox);
      // Looked up, not parsed: see _inbox/lookup.ts (a claim usually runs in a fresh process).
      const log = readDeliveredLookup(deliveredPath);
      const known = new Set<string>();
      const events: InboxEvent[] = [];
      const rejected: RejectedEntry[] = [];
      for (const line of box.lines) {
        if (line.trim() === "") continue;
        const parsed = parseEventLine(line);
        if (typeof parsed === "string") {
          rejected.push(this.#rejected(mailbox, `malformed: ${parsed}`, line));
          this.#warn(`${mailbox}: skipped a malformed line (${parsed}); kept in rejected.jsonl`);
          continue;
        }
        if (known.has(parsed.id) || log.has(parsed.id)) continue;
        known.add(parsed.id);
        events.push(parsed);
      }
      if (box.torn !== "") {
        // Writers hold this lock while writing, so a fragment here means its writer died.
        rejected.push(this.#rejected(mailbox, "torn", box.torn));
        this.#warn(`${mailbox}: moved a torn line (${box.torn.length} chars) to rejected.jsonl`);
      }
      if (events.length > 0) {
        await deliver(events);
        // Phase two. The commit line is the point of no return.
        const at = new Date(this.#now()).toISOString();
        await appendCommit(deliveredPath, log, events.map((e) => e.id), at);
      }
      await appendRejected(this.rejectedPath, rejected);
      // Emptied, not removed: the next append then needs no new directory entry.
      Deno.truncateSync(path, 0);
      const all = log.idsAtMost + events.length > 2 * this.#window
        ? [...log.ids(), ...events.map((e) => e.id)]
        : [];
      if (all.length > 2 * this.#window) {
        const keep = Math.max(this.#window, events.length);
        const ids = all.slice(-keep);
        const at = new Date(this.#now()).toISOString();
        // `gen` makes the new file's first bytes unique, for DeliveredReader's cache.
        const gen = crypto.randomUUID();
        writePrivateFileAtomic(deliveredPath, JSON.stringify({ gen, at, ids }) + "\n");
        this.#delivered.forget(deliveredPath);
      }
      return events;
    });
  }

  /**
   * Counts the complete, valid, not yet delivered events of a mailbox (no lock taken).
   *
   * @param mailbox The mailbox.
   * @returns The number of events a claim would deliver now.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Inbox } from "./inbox.ts";
   * assert(await new Inbox(Deno.makeTempDirSync()).pending("s") === 0);
   * ```
   */
  pending(mailbox: string): Promise<number> {
    return new Promise((resolve) => resolve(this.#pending(mailbox)));
  }

  #pending(mailbox: string): number {
    const path = this.mailboxPath(mailbox);
    if (sizeOf(path) <= 0) return 0;
    const box = readSplit(path);
    if (box === undefined) return 0;
    const delivered = this.#delivered.read(this.#deliveredPath(mailbox)).set;
    const known = new Set<string>();
    let count = 0;
    for (const line of box.lines) {
      const parsed = parseEventLine(line);
      if (typeof parsed === "string" || known.has(parsed.id) || delivered.has(parsed.id)) continue;
      known.add(parsed.id);
      count++;
    }
    return count;
  }

  /**
   * Moves held events (those that arrived while no session was live) into a newly started
   * session's mailbox; events older than the retention are dropped. The move is a claim of
   * {@linkcode HELD} whose `deliver` appends to `mailbox`, so it is atomic per batch: the
   * first session to call this gets them all.
   *
   * @param mailbox The receiving session's mailbox (not {@linkcode HELD}).
   * @returns How many events were moved.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { HELD, Inbox } from "./inbox.ts";
   * const inbox = new Inbox(Deno.makeTempDirSync());
   * await inbox.append(HELD, [{ id: "5", kind: "message", channelId: "1",
   *   author: { id: "2", name: "bo" }, content: "anyone?", timestamp: new Date().toISOString(),
   *   attachments: [] }]);
   * assert(await inbox.releaseHeld("new-session") === 1);
   * assert(await inbox.pending("new-session") === 1);
   * ```
   */
  async releaseHeld(mailbox: string): Promise<number> {
    this.mailboxPath(mailbox);
    if (mailbox === HELD) {
      throw new TypeError("releaseHeld needs a session mailbox, not the held one");
    }
    const cutoff = this.#now() - this.#retentionMs;
    let moved = 0;
    // Lock order is always HELD, then the session mailbox; nothing takes them the other way.
    await this.claim(HELD, async (events) => {
      const keep = events.filter((e) => !(Date.parse(e.timestamp) < cutoff));
      if (keep.length < events.length) {
        this.#warn(`${HELD}: dropped ${events.length - keep.length} event(s) past the retention`);
      }
      if (keep.length > 0) moved = await this.append(mailbox, keep);
    });
    return moved;
  }

  /**
   * Waits until a mailbox has pending events, watching the inbox directory (no polling of
   * Discord; a slow local re-check guards against lost file events).
   *
   * @param mailbox The mailbox.
   * @param options `timeoutMs` and an optional `signal`.
   * @returns `true` as soon as events are pending; `false` on timeout or abort.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Inbox } from "./inbox.ts";
   * const inbox = new Inbox(Deno.makeTempDirSync());
   * assert(await inbox.waitForMessages("s", { timeoutMs: 10 }) === false);
   * ```
   */
  async waitForMessages(mailbox: string, options: WaitOptions): Promise<boolean> {
    const path = this.mailboxPath(mailbox);
    if (options.signal?.aborted) return false;
    this.#ensureDirs();
    return await waitForChange(this.#dir, path.slice(this.#dir.length), {
      ...options,
      recheckMs: this.#recheckMs,
      ready: async () => (await this.pending(mailbox)) > 0,
    });
  }

  #lockPath(mailbox: string): string {
    return `${this.#stateDir}/${mailbox}.lock`;
  }

  #deliveredPath(mailbox: string): string {
    return `${this.#stateDir}/${mailbox}.delivered.jsonl`;
  }

  #rejected(mailbox: string, reason: string, line: string): RejectedEntry {
    return { at: new Date(this.#now()).toISOString(), mailbox, reason, line };
  }

  #ensureDirs(): void {
    if (this.#dirsReady) return;
    ensurePrivateDir(this.#dir);
    ensurePrivateDir(this.#stateDir);
    this.#dirsReady = true;
  }
}

function checkMailbox(mailbox: string): void {
  if (typeof mailbox !== "string" || !MAILBOX_NAME.test(mailbox) || RESERVED.has(mailbox)) {
    throw new TypeError(
      `Mailbox name ${JSON.stringify(mailbox)} is invalid: use 1-128 letters, digits, "_" or "-"`,
    );
  }
}
