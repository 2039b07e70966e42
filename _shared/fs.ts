// Private file helpers: state files are 0600, state directories 0700, writes atomic; reads
// that fill a buffer or run to the end of a file.

/** Creates `dir` (and parents) and makes it 0700. */
export function ensurePrivateDir(dir: string): void {
  Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
  try {
    Deno.chmodSync(dir, 0o700);
  } catch {
    // Not ours to chmod (e.g. a shared parent): leave it.
  }
}

/** Writes `data` to `path` atomically (temp file + rename), mode 0600. */
export function writePrivateFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    if (typeof data === "string") {
      Deno.writeTextFileSync(tmp, data, { mode: 0o600 });
    } else {
      Deno.writeFileSync(tmp, data, { mode: 0o600 });
    }
    Deno.chmodSync(tmp, 0o600);
    Deno.renameSync(tmp, path);
  } catch (err) {
    try {
      Deno.removeSync(tmp);
    } catch {
      // already gone
    }
    throw err;
  }
}

/** Reads a text file, or returns `undefined` when it does not exist. */
export function readTextIfExists(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
}

/** Reads into `buffer` until it is full or the file ends; returns the bytes read. */
export function readFull(file: Deno.FsFile, buffer: Uint8Array): number {
  let filled = 0;
  while (filled < buffer.length) {
    const n = file.readSync(buffer.subarray(filled));
    if (n === null || n === 0) break;
    filled += n;
  }
  return filled;
}

/** Reads from the file's position to its end. */
export function readToEnd(file: Deno.FsFile): Uint8Array {
  const chunks: Uint8Array[] = [];
  let total = 0;
  while (true) {
    const chunk = new Uint8Array(64 * 1024);
    const n = file.readSync(chunk);
    if (n === null || n === 0) break;
    chunks.push(chunk.subarray(0, n));
    total += n;
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
