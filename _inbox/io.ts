// Private file-level helpers of inbox.ts: the delivered log (one JSON line per committed
// batch) and the rejected file; line splitting and durable appends are _shared/jsonl.ts's.
import { readFull, readToEnd } from "../_shared/fs.ts";
import { appendDurably } from "../_shared/jsonl.ts";
import type { InboxEvent } from "./types.ts";
import { parseJson } from "../_shared/json.ts";

export {
  appendDurably,
  readSplit,
  sizeOf,
  splitBytes,
  type SplitFile,
  syncDir,
} from "../_shared/jsonl.ts";

const NEWLINE = 10;
const decoder = new TextDecoder();

/** The delivered log of one mailbox, as read. */
export interface DeliveredLog {
  /** Every committed id, oldest first. Shared with the cache: do not modify. */
  ids: readonly string[];
  /** The same ids as a set. Shared with the cache: do not modify. */
  set: ReadonlySet<string>;
  /** Bytes of complete lines; a longer file has a torn (uncommitted) tail. */
  completeBytes: number;
  /** Total size (-1 when the file does not exist). */
  size: number;
}

interface CachedLog {
  identity: string;
  head: string;
  offset: number;
  ids: string[];
  set: Set<string>;
}

const HEAD_BYTES = 96;

/** How many mailboxes' parsed logs a reader keeps (least recently used go first). */
const CACHED_LOGS = 64;

/**
 * Reads delivered logs, remembering what it parsed: a log only grows by appended lines
 * until it is compacted, which replaces the file (new inode, new birth time, a random
 * `gen` in its first line). While the identity and the first bytes are unchanged, only
 * the new tail is read and parsed. A line without its "\n" (a committer killed mid-line)
 * is not committed and is not consumed. Synchronous: a few small reads cost less on the
 * event loop than trips to a worker thread.
 */
export class DeliveredReader {
  readonly #cache = new Map<string, CachedLog>();

  /** Reads `path` (an absent file is an empty log). */
  read(path: string): DeliveredLog {
    let file: Deno.FsFile;
    try {
      file = Deno.openSync(path, { read: true });
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) {
        this.#cache.delete(path);
        return { ids: [], set: new Set(), completeBytes: 0, size: -1 };
      }
      throw err;
    }
    try {
      const info = file.statSync();
      const identity = `${info.dev}:${info.ino}:${info.birthtime?.getTime() ?? "?"}`;
      const headBuffer = new Uint8Array(Math.min(HEAD_BYTES, info.size));
      const headRead = readFull(file, headBuffer);
      const head = decoder.decode(headBuffer.subarray(0, headRead));
      let entry = this.#cache.get(path);
      if (
        entry === undefined || entry.identity !== identity ||
        head.slice(0, entry.head.length) !== entry.head || info.birthtime === null ||
        info.size < entry.offset
      ) {
        entry = { identity, head, offset: 0, ids: [], set: new Set() };
      }
      if (head.length > entry.head.length) entry.head = head;
      let size = entry.offset;
      if (info.size > entry.offset) {
        file.seekSync(entry.offset, Deno.SeekMode.Start);
        const tail = readToEnd(file);
        size = entry.offset + tail.length;
        const last = tail.lastIndexOf(NEWLINE);
        if (last >= 0) {
          for (const line of decoder.decode(tail.subarray(0, last)).split("\n")) {
            for (const id of idsOfCommitLine(line)) {
              entry.ids.push(id);
              entry.set.add(id);
            }
          }
          entry.offset += last + 1;
        }
      }
      this.#cache.delete(path);
      if (info.birthtime !== null) {
        this.#cache.set(path, entry);
        if (this.#cache.size > CACHED_LOGS) {
          this.#cache.delete(this.#cache.keys().next().value!);
        }
      }
      return { ids: entry.ids, set: entry.set, completeBytes: entry.offset, size };
    } finally {
      file.close();
    }
  }

  /** Forgets a log (after this process rewrote it). */
  forget(path: string): void {
    this.#cache.delete(path);
  }
}

/**
 * The event ids of one line of a delivered log (`{"ids": [...], "at": ...}`): none for a
 * damaged line (only the tail can be torn, and it is never a complete line).
 */
export function idsOfCommitLine(line: string): string[] {
  const record = parseJson(line) as { ids?: unknown } | null | undefined;
  return Array.isArray(record?.ids)
    ? record.ids.filter((id: unknown): id is string => typeof id === "string")
    : [];
}

/** Appends one commit line; a torn tail left by a killed committer is cut off first. */
export async function appendCommit(
  path: string,
  log: Pick<DeliveredLog, "size" | "completeBytes">,
  ids: readonly string[],
  at: string,
): Promise<void> {
  if (log.size > log.completeBytes) Deno.truncateSync(path, log.completeBytes);
  await appendDurably(path, JSON.stringify({ at, ids }) + "\n", true);
}

/** One line of `rejected.jsonl`. */
export interface RejectedEntry {
  /** When it was moved there (ISO 8601). */
  at: string;
  /** The mailbox it came from. */
  mailbox: string;
  /** `torn` (a writer was killed mid-line) or `malformed: <why>`. */
  reason: string;
  /** The raw text. */
  line: string;
}

/** Appends entries to the shared rejected file (one `write` per call, O_APPEND). */
export async function appendRejected(path: string, entries: RejectedEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await appendDurably(path, entries.map((e) => JSON.stringify(e)).join("\n") + "\n");
}

const KINDS = new Set(["message", "button", "reaction"]);

function isString(value: unknown): value is string {
  return typeof value === "string";
}

function optionalString(value: unknown): boolean {
  return value === undefined || typeof value === "string";
}

/** Why `value` is not a valid InboxEvent, or `undefined` when it is. */
export function eventProblem(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return "not a JSON object";
  }
  const e = value as Record<string, unknown>;
  if (!isString(e.id) || e.id === "") return "id is missing";
  if (!isString(e.kind) || !KINDS.has(e.kind)) return `kind ${JSON.stringify(e.kind)} is unknown`;
  if (!isString(e.channelId) || e.channelId === "") return "channelId is missing";
  const author = e.author as Record<string, unknown> | undefined;
  if (typeof author !== "object" || author === null || !isString(author.id)) {
    return "author.id is missing";
  }
  if (!isString(author.name)) return "author.name is missing";
  if (!isString(e.content)) return "content is not a string";
  if (!isString(e.timestamp)) return "timestamp is missing";
  if (!Array.isArray(e.attachments)) return "attachments is not an array";
  for (const a of e.attachments) {
    if (typeof a !== "object" || a === null || !isString(a.id) || !isString(a.url)) {
      return "an attachment lacks id or url";
    }
  }
  for (
    const key of [
      "threadId",
      "parentId",
      "channelName",
      "guildId",
      "editedTimestamp",
      "customId",
      "emoji",
    ]
  ) {
    if (!optionalString(e[key])) return `${key} is not a string`;
  }
  if (!optionalString(e.targetMessageId)) return "targetMessageId is not a string";
  if (e.replyTo !== undefined) {
    const r = e.replyTo as Record<string, unknown>;
    if (typeof r !== "object" || r === null || !isString(r.messageId)) {
      return "replyTo.messageId is missing";
    }
  }
  return undefined;
}

/** Parses one mailbox line: the event, or a string saying why it is malformed. */
export function parseEventLine(line: string): InboxEvent | string {
  const value = parseJson(line);
  if (value === undefined) return "not valid JSON";
  const problem = eventProblem(value);
  return problem === undefined ? value as InboxEvent : problem;
}
