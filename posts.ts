/**
 * The posts index: "this Discord message was posted by that session".
 *
 * Whoever posts for a session (notify, the MCP server, the permission hook) records the
 * message id with {@linkcode recordPost}; the bridge reads the index to route replies,
 * button clicks and reactions back to the session that posted (ARCHITECTURE.md, Routing).
 *
 * Storage: one `<messageId> <sessionId>` pair per line in `$home/posts.txt` (0600). Writers append under an exclusive `flock` on
 * `$home/posts.lock`, so any number of processes can record at once. The file is bounded:
 * past twice `maxEntries` lines it is rewritten atomically with the newest `maxEntries`.
 * A line torn by a killed writer is cut off by the next writer and never read (readers
 * ignore a last line without its newline).
 *
 * @example Record, then look up
 * ```ts
 * import assert from "node:assert/strict";
 * import { PostIndex, recordPost } from "./posts.ts";
 *
 * const home = Deno.makeTempDirSync();
 * await recordPost(home, "session-a", "1100000000000000001");
 * const index = new PostIndex(home);
 * assert(index.ownerOf("1100000000000000001") === "session-a");
 * assert(index.ownerOf("1100000000000000002") === undefined);
 * ```
 *
 * @module
 */
import { ensurePrivateDir, writePrivateFileAtomic } from "./_shared/fs.ts";
import { withFileLock } from "./_shared/lock.ts";

/** How many posts the index keeps by default (it is compacted past twice that). */
export const DEFAULT_MAX_POSTS = 10_000;

const MESSAGE_ID = /^[0-9]{1,21}$/;
const SESSION_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** Options of {@linkcode PostIndex} and {@linkcode recordPost}. */
export interface PostIndexOptions {
  /** Posts kept after a compaction. Default {@linkcode DEFAULT_MAX_POSTS}. */
  maxEntries?: number;
}

/**
 * The index file under a state directory.
 *
 * @param home The state directory.
 * @returns `${home}/posts.txt`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { postsPath } from "./posts.ts";
 * assert(postsPath("/tmp/h") === "/tmp/h/posts.txt");
 * ```
 */
export function postsPath(home: string): string {
  return `${home.replace(/\/+$/, "")}/posts.txt`;
}

/**
 * Records that `sessionId` posted `messageId` (durable and visible to readers on return).
 *
 * @param home The state directory (`CLAUDE_DISCORD_HOME`).
 * @param sessionId The posting session's id (its mailbox name).
 * @param messageId The Discord message id.
 * @param options Bound of the index.
 * @throws {TypeError} When an id has the wrong shape.
 *
 * @example
 * ```ts
 * import { recordPost } from "./posts.ts";
 * await recordPost(Deno.makeTempDirSync(), "s1", "1100000000000000001");
 * ```
 */
export async function recordPost(
  home: string,
  sessionId: string,
  messageId: string,
  options: PostIndexOptions = {},
): Promise<void> {
  if (!SESSION_ID.test(sessionId)) {
    throw new TypeError(`Cannot record a post: session id ${JSON.stringify(sessionId)} is invalid`);
  }
  if (!MESSAGE_ID.test(messageId)) {
    throw new TypeError(`Cannot record a post: message id ${JSON.stringify(messageId)} is invalid`);
  }
  const max = maxEntriesOf(options);
  ensurePrivateDir(home);
  const path = postsPath(home);
  await withFileLock(`${home.replace(/\/+$/, "")}/posts.lock`, async () => {
    const file = await Deno.open(path, { read: true, write: true, create: true, mode: 0o600 });
    let size: number;
    try {
      size = (await file.stat()).size;
      const end = await completeLength(file, size);
      // Cut off a fragment left by a writer that died mid-line.
      if (end !== size) await file.truncate(end);
      const line = new TextEncoder().encode(`${messageId} ${sessionId}\n`);
      await file.seek(end, Deno.SeekMode.Start);
      let written = 0;
      while (written < line.length) written += await file.write(line.subarray(written));
      await file.syncData();
      size = end + line.length;
    } finally {
      file.close();
    }
    // The shortest line is 4 bytes, so below this size there cannot be too many lines.
    if (size > 2 * max * 4) compact(path, max);
  });
}

/**
 * Reads the posts index, cheaply: it re-reads only what was appended since the last look
 * (one `stat` per lookup when nothing changed) and reloads after a compaction.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PostIndex } from "./posts.ts";
 *
 * const index = new PostIndex(Deno.makeTempDirSync());
 * await index.record("s1", "1100000000000000005");
 * assert(index.ownerOf("1100000000000000005") === "s1");
 * ```
 */
export class PostIndex {
  readonly #home: string;
  readonly #path: string;
  readonly #options: PostIndexOptions;
  #owners = new Map<string, string>();
  #ino: number | null = null;
  #offset = 0;
  #mtime = 0;

  /**
   * Opens the posts index of a state directory.
   *
   * @param home The state directory.
   * @param options Bound of the index (for {@linkcode PostIndex.record}).
   */
  constructor(home: string, options: PostIndexOptions = {}) {
    maxEntriesOf(options);
    this.#home = home;
    this.#path = postsPath(home);
    this.#options = options;
  }

  /**
   * The session that posted a message.
   *
   * @param messageId A Discord message id.
   * @returns The session id, or `undefined` when no session recorded it.
   */
  ownerOf(messageId: string): string | undefined {
    this.#refresh();
    return this.#owners.get(messageId);
  }

  /** How many posts are indexed now. */
  get size(): number {
    this.#refresh();
    return this.#owners.size;
  }

  /**
   * Records a post (same as {@linkcode recordPost} with this index's home and options).
   *
   * @param sessionId The posting session.
   * @param messageId The message.
   */
  async record(sessionId: string, messageId: string): Promise<void> {
    await recordPost(this.#home, sessionId, messageId, this.#options);
  }

  #refresh(): void {
    let info: Deno.FileInfo;
    try {
      info = Deno.statSync(this.#path);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
      this.#owners.clear();
      this.#ino = null;
      this.#offset = 0;
      return;
    }
    const unchanged = info.ino === this.#ino && info.size === this.#offset &&
      (info.mtime?.getTime() ?? 0) === this.#mtime;
    if (unchanged) return;
    const file = Deno.openSync(this.#path, { read: true });
    try {
      const opened = file.statSync();
      const size = opened.size;
      if (opened.ino !== this.#ino || size < this.#offset) {
        // A new file (compacted) or a shorter one: read it all again.
        this.#owners.clear();
        this.#offset = 0;
      }
      const buf = new Uint8Array(size - this.#offset);
      file.seekSync(this.#offset, Deno.SeekMode.Start);
      let read = 0;
      while (read < buf.length) {
        const n = file.readSync(buf.subarray(read));
        if (n === null) break;
        read += n;
      }
      const complete = buf.subarray(0, read).lastIndexOf(0x0a) + 1;
      const text = new TextDecoder().decode(buf.subarray(0, complete));
      for (const line of text.split("\n")) {
        const space = line.indexOf(" ");
        if (space <= 0) continue;
        const m = line.slice(0, space);
        const s = line.slice(space + 1);
        if (MESSAGE_ID.test(m) && SESSION_ID.test(s)) this.#owners.set(m, s);
      }
      this.#offset += complete;
      this.#ino = opened.ino;
      this.#mtime = opened.mtime?.getTime() ?? 0;
    } finally {
      file.close();
    }
  }
}

function maxEntriesOf(options: PostIndexOptions): number {
  const max = options.maxEntries ?? DEFAULT_MAX_POSTS;
  if (!Number.isInteger(max) || max < 1) {
    throw new RangeError(`maxEntries must be a positive integer, got ${max}`);
  }
  return max;
}

function compact(path: string, max: number): void {
  const text = Deno.readTextFileSync(path);
  const lines = text.slice(0, text.lastIndexOf("\n") + 1).split("\n").filter((l) => l !== "");
  if (lines.length <= 2 * max) return;
  writePrivateFileAtomic(path, lines.slice(-max).join("\n") + "\n");
}

/** Length of `file` up to and including its last newline. */
async function completeLength(file: Deno.FsFile, size: number): Promise<number> {
  let end = size;
  const chunk = new Uint8Array(256);
  while (end > 0) {
    const start = Math.max(0, end - chunk.length);
    await file.seek(start, Deno.SeekMode.Start);
    const want = end - start;
    let read = 0;
    while (read < want) {
      const n = await file.read(chunk.subarray(read, want));
      if (n === null) break;
      read += n;
    }
    const at = chunk.subarray(0, read).lastIndexOf(0x0a);
    if (at !== -1) return start + at + 1;
    end = start;
  }
  return 0;
}
