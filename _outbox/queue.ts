// Private: the files of the outbox's queues (outbox.ts): which files are queues, what a queue
// file holds (pending, committed, malformed lines, a torn tail), rewriting it, and the bounded
// files beside the queues (`rejected.jsonl`, `failed.jsonl`). The callers hold the queue's lock.
import { readDirIfExists, writePrivateFileAtomic } from "../_shared/fs.ts";
import { appendDurably, readSplit, sizeOf } from "../_shared/jsonl.ts";
import type { QueueFile } from "./cap.ts";
import { type OutboxEntry, parseEntryLine } from "./types.ts";

const SESSION_NAME = /^[A-Za-z0-9_-]{1,128}$/;
/** Files of the outbox directory that are not queues. */
const RESERVED = new Set(["rejected", "failed"]);
/** `failed.jsonl` is cut to its newer half past this size. */
const FAILED_MAX_BYTES = 2 * 1024 * 1024;
const NEWLINE = 10;

/**
 * Checks a session name (it names files).
 *
 * @throws {TypeError} When it is not 1-128 letters, digits, `_` or `-`, or a reserved name.
 */
export function checkSession(session: string): void {
  if (typeof session !== "string" || !SESSION_NAME.test(session) || RESERVED.has(session)) {
    throw new TypeError(
      `Session name ${JSON.stringify(session)} is invalid: use 1-128 letters, digits, "_" or "-"`,
    );
  }
}

/**
 * The queue files of an outbox directory, by session.
 *
 * @param dir `home/outbox`.
 * @param lockPath The lock file of a session.
 * @param logPath The record file of a session.
 * @returns The queues, sorted by session.
 */
export function listQueues(
  dir: string,
  lockPath: (session: string) => string,
  logPath: (session: string) => string,
): QueueFile[] {
  const out: QueueFile[] = [];
  for (const e of readDirIfExists(dir)) {
    if (!e.isFile || !e.name.endsWith(".jsonl")) continue;
    const session = e.name.slice(0, -".jsonl".length);
    if (!SESSION_NAME.test(session) || RESERVED.has(session)) continue;
    out.push({ session, path: `${dir}/${e.name}`, lock: lockPath(session), log: logPath(session) });
  }
  return out.sort((a, b) => a.session.localeCompare(b.session));
}

/** What a queue file holds, as {@linkcode readQueue} sorts it. */
export interface QueueContents {
  /** Entries without an outcome, in order. */
  pending: OutboxEntry[];
  /** Their lines. */
  pendingLines: string[];
  /** Every well-formed line, committed or not. */
  keep: string[];
  /** Malformed lines with their problem, and a torn tail (`problem` "torn"). */
  bad: { problem: string; line: string }[];
}

/**
 * Reads a queue file and sorts its lines; `undefined` when it does not exist.
 *
 * @param path The queue file.
 * @param done The ids with an outcome.
 * @returns The contents.
 */
export function readQueue(
  path: string,
  done: ReadonlyMap<string, unknown>,
): QueueContents | undefined {
  const split = readSplit(path);
  if (split === undefined) return undefined;
  const contents: QueueContents = { pending: [], pendingLines: [], keep: [], bad: [] };
  for (const line of split.lines) {
    if (line.trim() === "") continue;
    const entry = parseEntryLine(line);
    if (typeof entry === "string") {
      contents.bad.push({ problem: `malformed: ${entry}`, line });
      continue;
    }
    contents.keep.push(line);
    if (done.has(entry.id)) continue;
    contents.pending.push(entry);
    contents.pendingLines.push(line);
  }
  // Writers hold the queue's lock while writing, so a fragment here means its writer died.
  if (split.torn !== "") contents.bad.push({ problem: "torn", line: split.torn });
  return contents;
}

/** Replaces a queue file's lines, or empties it. */
export function rewriteQueue(path: string, lines: string[]): void {
  if (lines.length === 0) Deno.truncateSync(path, 0);
  else writePrivateFileAtomic(path, lines.join("\n") + "\n");
}

/**
 * Cuts a fragment left at the end of a queue file by a writer killed mid-line.
 *
 * @param path The queue file.
 * @returns The fragment cut off, or `undefined` when the file ends with a whole line.
 */
export function cutTornTail(path: string): string | undefined {
  const size = sizeOf(path);
  if (size <= 0) return undefined;
  const file = Deno.openSync(path, { read: true });
  try {
    const last = new Uint8Array(1);
    file.seekSync(size - 1, Deno.SeekMode.Start);
    file.readSync(last);
    if (last[0] === NEWLINE) return undefined;
  } finally {
    file.close();
  }
  const split = readSplit(path)!;
  Deno.truncateSync(path, split.completeBytes);
  return split.torn;
}

/**
 * Appends lines to `rejected.jsonl` (torn fragments and malformed lines, kept for inspection).
 *
 * @param dir `home/outbox`.
 * @param lines JSON lines, without their "\n".
 */
export async function appendRejected(dir: string, lines: string[]): Promise<void> {
  if (lines.length > 0) await appendDurably(`${dir}/rejected.jsonl`, lines.join("\n") + "\n");
}

/**
 * Appends one record to `failed.jsonl`, cutting the file to its newer half past
 * {@linkcode FAILED_MAX_BYTES}.
 *
 * @param dir `home/outbox`.
 * @param record What failed and why (one JSON line).
 */
export async function appendFailed(dir: string, record: object): Promise<void> {
  const failed = `${dir}/failed.jsonl`;
  await appendDurably(failed, JSON.stringify(record) + "\n");
  if (sizeOf(failed) > FAILED_MAX_BYTES) {
    const text = Deno.readTextFileSync(failed);
    writePrivateFileAtomic(failed, text.slice(text.indexOf("\n", text.length / 2) + 1));
  }
}
