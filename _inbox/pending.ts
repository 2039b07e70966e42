// Private: the writer's memory of what is pending in each mailbox, so that an append does not
// re-read and re-parse the whole mailbox for its de-dup (inbox.ts `Inbox.append`).
//
// The bridge is long-lived and appends almost all lines itself. After each of its durable
// appends it remembers the file's identity (device, inode), its size, the last line it wrote
// and the set of ids pending in the file. Under the mailbox lock, the next append compares:
//
// - same identity and size: nobody touched the file; the set is current (one `stat`);
// - same identity, larger, and the remembered last line still ends at the remembered size:
//   another process appended (a hook moving held messages, a writer killed mid-line); only
//   the new bytes are read;
// - anything else (a claim truncated it, the file was removed or replaced): read it all.
//
// Why a stale set can never lose a message: ids leave a mailbox only through a claim, which
// records them in the delivered log first. So an id the set remembers wrongly was pending
// (still is) or delivered (append skips those anyway). The other way round, an id missing
// from the set can only cause a duplicate line, and a claim hands each id over once.
import { readFull, readToEnd } from "../_shared/fs.ts";
import { parseEventLine, splitBytes } from "./io.ts";

/** The ids pending in a mailbox file, and a torn tail the caller must cut off. */
export interface PendingScan {
  /** Ids of the complete lines. Owned by the cache: add to it only what is then written. */
  ids: Set<string>;
  /** Bytes after the last "\n" (a writer killed mid-line); "" when none. */
  torn: string;
  /** Where the complete lines end (cut the file here when `torn` is set). */
  completeBytes: number;
}

interface Entry {
  dev: number;
  ino: number;
  /** File size after the last append seen (always at a line end). */
  size: number;
  /** The last complete line, with its "\n" (empty when the file was empty). */
  last: Uint8Array;
  ids: Set<string>;
}

/** Mailboxes remembered at once (least recently used go first). */
const MAX_MAILBOXES = 64;
/** A mailbox with more pending ids than this is read again on each append instead. */
const MAX_IDS = 20_000;

/** Per-mailbox pending ids for one long-lived writer. Call every method under the lock. */
export class PendingIds {
  readonly #entries = new Map<string, Entry>();

  /** The pending ids of `path` now, reading only what changed since this writer's last append. */
  scan(path: string): PendingScan {
    let info: Deno.FileInfo;
    try {
      info = Deno.statSync(path);
    } catch (err) {
      this.#entries.delete(path);
      if (err instanceof Deno.errors.NotFound) {
        return { ids: new Set(), torn: "", completeBytes: 0 };
      }
      throw err;
    }
    const entry = this.#entries.get(path);
    if (entry !== undefined && entry.dev === info.dev && entry.ino === info.ino) {
      if (info.size === entry.size) return { ids: entry.ids, torn: "", completeBytes: entry.size };
      if (info.size > entry.size) {
        const grown = readGrowth(path, entry);
        if (grown !== undefined) {
          const split = splitBytes(grown);
          for (const line of split.lines) addId(entry.ids, line);
          if (split.lines.length > 0) entry.last = lastLine(grown, split.completeBytes);
          entry.size += split.completeBytes;
          return { ids: entry.ids, torn: split.torn, completeBytes: entry.size };
        }
      }
    }
    // Read it all (a claim emptied it, or it is new to this writer).
    this.#entries.delete(path);
    let bytes: Uint8Array;
    try {
      bytes = Deno.readFileSync(path);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) {
        return { ids: new Set(), torn: "", completeBytes: 0 };
      }
      throw err;
    }
    const split = splitBytes(bytes);
    const ids = new Set<string>();
    for (const line of split.lines) addId(ids, line);
    const last = lastLine(bytes, split.completeBytes);
    const size = split.completeBytes;
    this.#remember(path, { dev: info.dev, ino: info.ino ?? -1, size, last, ids });
    return { ids, torn: split.torn, completeBytes: split.completeBytes };
  }

  /**
   * Records a durable append: `ids` (from the last scan, plus what was written) are pending,
   * the file has `after` (identity and size), and `lastLine` is the last line written
   * (without its "\n").
   */
  appended(
    path: string,
    ids: Set<string>,
    after: { dev: number; ino: number | null; size: number },
    lastLine: string,
  ): void {
    if (after.ino === null || ids.size > MAX_IDS) {
      this.#entries.delete(path);
      return;
    }
    const last = new TextEncoder().encode(lastLine + "\n");
    this.#remember(path, { dev: after.dev, ino: after.ino, size: after.size, last, ids });
  }

  /** Forgets a mailbox (after a failed write: what reached the file is unknown). */
  forget(path: string): void {
    this.#entries.delete(path);
  }

  #remember(path: string, entry: Entry): void {
    this.#entries.delete(path);
    if (entry.ino < 0 || entry.ids.size > MAX_IDS) return;
    this.#entries.set(path, entry);
    if (this.#entries.size > MAX_MAILBOXES) {
      this.#entries.delete(this.#entries.keys().next().value!);
    }
  }
}

/**
 * The bytes appended after `entry.size`, if the remembered last line still ends there (the
 * file only grew); `undefined` when the file was rewritten in between.
 */
function readGrowth(path: string, entry: Entry): Uint8Array | undefined {
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path, { read: true });
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined; // removed: rewritten too
    throw err;
  }
  try {
    const start = entry.size - entry.last.length;
    file.seekSync(start, Deno.SeekMode.Start);
    const check = new Uint8Array(entry.last.length);
    if (readFull(file, check) !== check.length) return undefined;
    for (let i = 0; i < check.length; i++) if (check[i] !== entry.last[i]) return undefined;
    return readToEnd(file);
  } finally {
    file.close();
  }
}

/** The last line of `bytes[0, end)` with its "\n" (`end` is just after a "\n", or 0). */
export function lastLine(bytes: Uint8Array, end: number): Uint8Array {
  const start = end < 2 ? 0 : bytes.lastIndexOf(10, end - 2) + 1;
  return bytes.slice(start, end);
}

function addId(ids: Set<string>, line: string): void {
  const parsed = parseEventLine(line);
  if (typeof parsed !== "string") ids.add(parsed.id);
}
