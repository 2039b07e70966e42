// Private: the outbox's bounds. While the bridge is down posts wait in the outbox, and a queue
// without a bound is a disk leak: past `maxEntries` entries or `maxBytes` bytes (all sessions
// together) the oldest entries (by their `at`) are dropped, whichever session they belong to.
//
// Enforced by the writer, right after its append (the bridge may be down), so it costs a
// hook one directory listing and a `stat` per queue file while the outbox is small: the
// entries are only counted once the bytes could hold more than `maxEntries` of the smallest
// entry. Dropping happens under `.state/cap.lock` (one capper at a time), each queue file
// rewritten under its own lock, one at a time (a capper never holds two queue locks, so it
// cannot deadlock with a writer or the sender). Entries already sent (their record has a line)
// are not counted. The counters file keeps how many were dropped, for `deno task status`.
import { withFileLock } from "../_shared/lock.ts";
import { readJsonState, statIfExists, writePrivateFileAtomic } from "../_shared/fs.ts";
import { readSplit } from "../_shared/jsonl.ts";
import { readLog } from "./log.ts";
import { parseEntryLine } from "./types.ts";

/** The outbox's bounds. */
export interface CapLimits {
  /** Most entries, all sessions together. */
  maxEntries: number;
  /** Most bytes of queue files, all sessions together. */
  maxBytes: number;
}

/** One session's queue. */
export interface QueueFile {
  /** The session. */
  session: string;
  /** `outbox/<session>.jsonl`. */
  path: string;
  /** Its lock. */
  lock: string;
  /** Its record. */
  log: string;
}

/** What the cap needs to know about the outbox. */
export interface CapContext {
  /** The bounds. */
  limits: CapLimits;
  /** Every queue file. */
  queues: () => QueueFile[];
  /** `.state/cap.lock`. */
  capLock: string;
  /** `.state/counters.json` and its lock. */
  counters: CountersFile;
  /** Now, ISO 8601. */
  now: () => string;
}

/** An entry is at least this long (with its "\n"): below `maxEntries` times it, none is counted. */
export const MIN_ENTRY_BYTES = 64;

/** The counters' file, its lock, and where a damaged one is reported. */
export interface CountersFile {
  /** `.state/counters.json`. */
  path: string;
  /** `.state/counters.lock`. */
  lock: string;
  /** Receives the line about a damaged file. */
  warn: (message: string) => void;
}

/** The counters kept across processes. */
export interface Counters {
  /** Entries dropped by the cap so far. */
  dropped: number;
  /** When the last were dropped (ISO 8601). */
  droppedAt?: string;
  /** Entries Discord refused for good so far. */
  failed: number;
  /** When the last failed (ISO 8601). */
  failedAt?: string;
}

/**
 * Reads the counters: zero when the file is absent; a damaged file is moved aside (one line to
 * `warn`) and counts from zero.
 *
 * @param path `.state/counters.json`.
 * @param warn Receives the line about a damaged file.
 * @returns The counters.
 * @throws {StateError} When the file exists but cannot be read.
 */
export function readCounters(path: string, warn: (message: string) => void): Counters {
  const found = readJsonState(path, (v): Counters | undefined => {
    if (typeof v !== "object" || v === null) return undefined;
    const c = v as Record<string, unknown>;
    return {
      dropped: Number.isInteger(c.dropped) ? c.dropped as number : 0,
      failed: Number.isInteger(c.failed) ? c.failed as number : 0,
      ...(typeof c.droppedAt === "string" ? { droppedAt: c.droppedAt } : {}),
      ...(typeof c.failedAt === "string" ? { failedAt: c.failedAt } : {}),
    };
  }, { dropped: 0, failed: 0 });
  if (found.damaged !== undefined) warn(found.damaged);
  return found.value;
}

/**
 * Adds to a counter, under the counters' lock.
 *
 * @param counters The file, its lock, and where a damaged file is reported.
 * @param name Which counter.
 * @param n How many.
 * @param at Now (ISO 8601).
 */
export async function bumpCounter(
  counters: CountersFile,
  name: "dropped" | "failed",
  n: number,
  at: string,
): Promise<void> {
  await withFileLock(counters.lock, () => {
    const c = readCounters(counters.path, counters.warn);
    c[name] += n;
    c[`${name}At`] = at;
    writePrivateFileAtomic(counters.path, JSON.stringify(c) + "\n");
  });
}

function sizeOf(path: string): number {
  return statIfExists(path)?.size ?? 0;
}

/** A pending entry, as the cap weighs it. */
interface Weighed {
  queue: QueueFile;
  id: string;
  at: number;
  order: number;
  bytes: number;
}

const encoder = new TextEncoder();

/**
 * Drops the oldest entries while the outbox is over its bounds.
 *
 * @param ctx The outbox's files and bounds.
 * @returns How many entries were dropped (0 when within bounds).
 */
export async function enforceCap(ctx: CapContext): Promise<number> {
  const { maxEntries, maxBytes } = ctx.limits;
  const queues = ctx.queues();
  const bytes = queues.reduce((n, q) => n + sizeOf(q.path), 0);
  if (bytes <= maxBytes && bytes <= maxEntries * MIN_ENTRY_BYTES) return 0;
  return await withFileLock(ctx.capLock, async () => {
    // Weighed again under the cap lock: another writer may have dropped meanwhile.
    const all: Weighed[] = [];
    let total = 0;
    for (const queue of queues) {
      const split = readSplit(queue.path);
      if (split === undefined) continue;
      const done = readLog(queue.log).done;
      for (const line of split.lines) {
        const entry = parseEntryLine(line);
        if (typeof entry === "string" || done.has(entry.id)) continue;
        const size = encoder.encode(line).length + 1;
        all.push({ queue, id: entry.id, at: Date.parse(entry.at), order: all.length, bytes: size });
        total += size;
      }
    }
    let count = all.length;
    if (count <= maxEntries && total <= maxBytes) return 0;
    all.sort((a, b) => a.at - b.at || a.order - b.order);
    const victims = new Map<QueueFile, Set<string>>();
    for (const w of all) {
      if (count <= maxEntries && total <= maxBytes) break;
      let ids = victims.get(w.queue);
      if (ids === undefined) victims.set(w.queue, ids = new Set());
      ids.add(w.id);
      count--;
      total -= w.bytes;
    }
    let dropped = 0;
    for (const [queue, ids] of victims) {
      dropped += await withFileLock(queue.lock, () => dropFrom(queue.path, ids));
    }
    if (dropped > 0) await bumpCounter(ctx.counters, "dropped", dropped, ctx.now());
    return dropped;
  });
}

/** Rewrites a queue file without the entries `ids` (and without a torn tail); returns how many went. */
function dropFrom(path: string, ids: ReadonlySet<string>): number {
  const split = readSplit(path);
  if (split === undefined) return 0;
  const keep: string[] = [];
  let dropped = 0;
  for (const line of split.lines) {
    const entry = parseEntryLine(line);
    if (typeof entry !== "string" && ids.has(entry.id)) dropped++;
    else keep.push(line);
  }
  if (dropped === 0) return 0;
  if (keep.length === 0) Deno.truncateSync(path, 0);
  else writePrivateFileAtomic(path, keep.join("\n") + "\n");
  return dropped;
}
