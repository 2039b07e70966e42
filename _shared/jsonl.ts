// Private: JSON Lines files that several processes append to and one reads: splitting into
// complete lines and a torn tail (a writer killed mid-line), durable appends, directory fsync.
// The mailboxes (inbox.ts) and the outbox (outbox.ts) are built on these.

const NEWLINE = 10;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A JSON Lines file split into complete lines and a torn tail. */
export interface SplitFile {
  /** Complete lines (without their "\n"), in file order. */
  lines: string[];
  /** Bytes up to and including the last "\n". */
  completeBytes: number;
  /** Bytes after the last "\n" (a writer killed mid-line); "" when none. */
  torn: string;
  /** Total size read. */
  size: number;
}

/** Splits file bytes into complete lines and a torn tail. */
export function splitBytes(bytes: Uint8Array): SplitFile {
  const last = bytes.lastIndexOf(NEWLINE);
  const completeBytes = last + 1;
  const text = decoder.decode(bytes.subarray(0, completeBytes));
  const lines = completeBytes === 0 ? [] : text.slice(0, -1).split("\n");
  const torn = completeBytes < bytes.length ? decoder.decode(bytes.subarray(completeBytes)) : "";
  return { lines, completeBytes, torn, size: bytes.length };
}

/**
 * Reads `path` and splits it; `undefined` when the file does not exist. Synchronous: a
 * queue file is small, and a read on the event loop costs less than a trip to a worker thread.
 */
export function readSplit(path: string): SplitFile | undefined {
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
  return splitBytes(bytes);
}

/** Size of `path`, or -1 when it does not exist. */
export function sizeOf(path: string): number {
  try {
    return Deno.statSync(path).size;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return -1;
    throw err;
  }
}

/**
 * Appends `text` to `path` (created 0600), flushes it to disk, and when the file was new
 * flushes its directory entry as well. One `write` loop, so concurrent appenders under the
 * same lock never interleave.
 *
 * The flush runs on a worker thread by default: it takes the time, and whatever arrives
 * meanwhile is batched by the bridge's writer into the next append. `syncFlush` keeps it on
 * the calling thread, for a caller with nothing else to do meanwhile (a claim, under its
 * lock, in a hook): the round trip to a worker costs it more than the flush.
 *
 * @returns The file's size and identity after the write.
 */
export async function appendDurably(
  path: string,
  text: string | Uint8Array,
  syncFlush = false,
): Promise<{ size: number; dev: number; ino: number | null }> {
  const data = typeof text === "string" ? encoder.encode(text) : text;
  const existed = sizeOf(path) >= 0;
  const file = Deno.openSync(path, { append: true, create: true, mode: 0o600 });
  let info: Deno.FileInfo;
  try {
    let offset = 0;
    while (offset < data.length) offset += file.writeSync(data.subarray(offset));
    if (syncFlush) file.syncDataSync();
    else await file.syncData();
    info = file.statSync();
  } finally {
    file.close();
  }
  if (!existed) await syncDir(path.slice(0, path.lastIndexOf("/")) || "/");
  return { size: info.size, dev: info.dev, ino: info.ino };
}

/** fsyncs a directory so a new or removed entry survives a power cut. Best effort. */
export async function syncDir(dir: string): Promise<void> {
  try {
    const handle = Deno.openSync(dir, { read: true });
    try {
      await handle.syncData();
    } finally {
      handle.close();
    }
  } catch {
    // Any failure: some filesystems refuse fsync on directories (EINVAL, ENOTSUP, …), and
    // the data itself is already synced.
  }
}
