// Private: a session's outbox record, `outbox/.state/<session>.log.jsonl`: one JSON line per
// fact, appended (fsync) by the sender under the session's lock and read by anyone.
//
//   {"at","id","messageId","channelId","key"?}   entry sent (a post's message, an edit's target)
//   {"at","id","failed","key"?}                  entry refused by Discord for good
//   {"at","id","skipped","key"?}                 entry not sent (expired, nothing to edit)
//   {"at","thread","name","parentId","starter"?} the session's thread (thread null: forgotten);
//                                                `starter`: the entry that is its first message
//   {"at","creating","name","parentId"}          entry `creating` is about to open that thread
//
// The line of an entry is its commit: written after Discord answered, before the entry leaves
// the queue file, so an entry with a line is never sent again. `creating` is written before a
// thread is opened with the entry as its first message (a forum post's starter), which Discord
// takes without a nonce: see _bridge/outbox_send.ts for how a lost answer is recovered.
//
// A line without its "\n" (a sender killed mid-write) is not a fact; the next append cuts it.
// The record is compacted (rewritten atomically) once it is long and the queue holds no
// committed entry any more: the last KEEP_LINES lines stay, with the thread, the last thread
// opening and the newest line of each of the last KEEP_KEYS keys.
import { statIfExists, writePrivateFileAtomic } from "../_shared/fs.ts";
import { parseJson } from "../_shared/json.ts";
import { appendDurably, readSplit } from "../_shared/jsonl.ts";

/** What became of an entry. */
export type Outcome =
  | { sent: { messageId: string; channelId: string } }
  | { failed: string }
  | { skipped: string };

/** A session's thread, as the sender knows it. */
export interface ThreadRecord {
  /** The thread's channel id. */
  id: string;
  /** Its title. */
  name: string;
  /** The channel it is in. */
  parentId: string;
  /** The entry whose message opened it (a forum post's starter), when one did. */
  starter?: string;
}

/** A thread being opened with an entry as its first message. */
export interface Creating {
  /** The entry. */
  id: string;
  /** The thread's title. */
  name: string;
  /** The channel it is opened in. */
  parentId: string;
}

/** A session's record, as read. */
export interface SessionLog {
  /** Entries with an outcome (the recent ones), by id. */
  done: Map<string, Outcome>;
  /** Keyed messages: key → where the message is. */
  keys: Map<string, { messageId: string; channelId: string }>;
  /** The session's thread, if any. */
  thread: ThreadRecord | undefined;
  /** Whether any thread line was recorded (a forgotten thread leaves this true). */
  threadNoted: boolean;
  /** The last thread opening announced, if any. */
  creating: Creating | undefined;
  /** Complete lines. */
  lines: number;
  /** Bytes of the complete lines. */
  completeBytes: number;
  /** File size (-1 when absent). */
  size: number;
  /** The complete lines' text, for compaction. */
  text: string[];
}

/** A session's record as a reader sees it (outbox.ts `Outbox.record`). */
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

/**
 * Session records as last read, each read again when its file is another (compacted) or has
 * grown (another process appended). Bounded: the least recently read go first.
 */
export class LogCache {
  readonly #logs = new Map<string, { ino: number | null; log: SessionLog }>();

  /** The record of `session`, from `path`. */
  get(session: string, path: string): SessionLog {
    const info = statIfExists(path);
    const cached = this.#logs.get(session);
    if (
      cached !== undefined && info !== undefined && cached.ino === info.ino &&
      cached.log.size === info.size
    ) {
      return cached.log;
    }
    const log = readLog(path);
    this.set(session, path, log);
    return log;
  }

  /** Replaces the record of `session` (after a compaction of `path`). */
  set(session: string, path: string, log: SessionLog): void {
    this.#logs.delete(session);
    this.#logs.set(session, { ino: statIfExists(path)?.ino ?? null, log });
    if (this.#logs.size > CACHED_LOGS) this.#logs.delete(this.#logs.keys().next().value!);
  }
}

/** How many sessions' records a {@linkcode LogCache} keeps. */
const CACHED_LOGS = 256;

/** Lines a compacted record keeps. */
const KEEP_LINES = 500;
/** Keys a compacted record keeps (the newest line of each). */
const KEEP_KEYS = 1000;
/** A record is compacted past this many lines. */
const COMPACT_LINES = 4 * KEEP_LINES;

function emptyLog(): SessionLog {
  return {
    done: new Map(),
    keys: new Map(),
    thread: undefined,
    threadNoted: false,
    creating: undefined,
    lines: 0,
    completeBytes: 0,
    size: -1,
    text: [],
  };
}

function str(value: unknown): value is string {
  return typeof value === "string" && value !== "";
}

/** Applies one line to a log being read. */
function apply(log: SessionLog, line: string): void {
  const value = parseJson(line); // a damaged line is no fact
  if (typeof value !== "object" || value === null) return;
  const r = value as Record<string, unknown>;
  log.lines++;
  log.text.push(line);
  if ("thread" in r) {
    log.threadNoted = true;
    log.thread = str(r.thread) && str(r.name) && str(r.parentId)
      ? {
        id: r.thread,
        name: r.name,
        parentId: r.parentId,
        ...(str(r.starter) ? { starter: r.starter } : {}),
      }
      : undefined;
    return;
  }
  if (str(r.creating) && str(r.name) && str(r.parentId)) {
    log.creating = { id: r.creating, name: r.name, parentId: r.parentId };
    return;
  }
  if (!str(r.id)) return;
  let outcome: Outcome;
  if (str(r.messageId) && str(r.channelId)) {
    outcome = { sent: { messageId: r.messageId, channelId: r.channelId } };
    if (str(r.key)) {
      log.keys.delete(r.key);
      log.keys.set(r.key, { messageId: r.messageId, channelId: r.channelId });
    }
  } else if (typeof r.failed === "string") outcome = { failed: r.failed };
  else if (typeof r.skipped === "string") outcome = { skipped: r.skipped };
  else return;
  log.done.set(r.id, outcome);
}

/**
 * Reads a session's record (an absent file is an empty record).
 *
 * @param path The record file.
 * @returns What it says.
 */
export function readLog(path: string): SessionLog {
  const split = readSplit(path);
  const log = emptyLog();
  if (split === undefined) return log;
  for (const line of split.lines) if (line.trim() !== "") apply(log, line);
  log.completeBytes = split.completeBytes;
  log.size = split.size;
  return log;
}

/** One fact to record. */
export type LogLine =
  | { id: string; outcome: Outcome; key?: string }
  | { thread: ThreadRecord | null }
  | { creating: Creating };

/** The JSON line of a fact (without its "\n"). */
function lineOf(fact: LogLine, at: string): string {
  if ("outcome" in fact) {
    const o = fact.outcome;
    const what = "sent" in o
      ? { messageId: o.sent.messageId, channelId: o.sent.channelId }
      : "failed" in o
      ? { failed: o.failed }
      : { skipped: o.skipped };
    return JSON.stringify({ at, id: fact.id, ...what, ...(fact.key ? { key: fact.key } : {}) });
  }
  if ("thread" in fact) {
    const t = fact.thread;
    return JSON.stringify(
      t
        ? {
          at,
          thread: t.id,
          name: t.name,
          parentId: t.parentId,
          ...(t.starter ? { starter: t.starter } : {}),
        }
        : {
          at,
          thread: null,
        },
    );
  }
  const c = fact.creating;
  return JSON.stringify({ at, creating: c.id, name: c.name, parentId: c.parentId });
}

/**
 * Appends one fact, durably; a torn tail left by a killed writer is cut off first. Updates
 * `log` to match the file.
 *
 * @param path The record file.
 * @param log The record as last read (from this file).
 * @param fact What to record.
 * @param at The time (ISO 8601).
 */
export async function appendLog(
  path: string,
  log: SessionLog,
  fact: LogLine,
  at: string,
): Promise<void> {
  if (log.size > log.completeBytes) Deno.truncateSync(path, log.completeBytes);
  const line = lineOf(fact, at);
  const after = await appendDurably(path, line + "\n");
  apply(log, line);
  log.completeBytes = after.size;
  log.size = after.size;
}

/**
 * Rewrites a long record with what must stay (see the module doc); a short one is left alone.
 *
 * @param path The record file.
 * @param log The record as read; replaced by the compacted one.
 * @returns The record after compaction (the same object when nothing was done).
 */
export function compactLog(path: string, log: SessionLog): SessionLog {
  if (log.lines <= COMPACT_LINES) return log;
  const keep = new Set<number>();
  for (let i = Math.max(0, log.text.length - KEEP_LINES); i < log.text.length; i++) keep.add(i);
  const keyLine = new Map<string, number>();
  let threadLine = -1;
  let creatingLine = -1;
  log.text.forEach((line, i) => {
    const r = parseJson(line) as Record<string, unknown>; // applied lines: objects
    if ("thread" in r) threadLine = i;
    else if ("creating" in r) creatingLine = i;
    else if (typeof r.key === "string") {
      keyLine.delete(r.key);
      keyLine.set(r.key, i);
    }
  });
  if (threadLine >= 0) keep.add(threadLine);
  if (creatingLine >= 0) keep.add(creatingLine);
  for (const i of [...keyLine.values()].slice(-KEEP_KEYS)) keep.add(i);
  const text = [...keep].sort((a, b) => a - b).map((i) => log.text[i]);
  writePrivateFileAtomic(path, text.join("\n") + "\n");
  return readLog(path);
}
