// Private file helpers: state files are 0600, state directories 0700, writes atomic.

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
