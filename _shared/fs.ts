// Private file helpers: state files are 0600, state directories 0700, writes atomic; the one
// policy for a JSON state file that is missing or damaged; reads that fill a buffer or run to
// the end of a file.
import { StateError } from "../errors.ts";
import { parseJson } from "./json.ts";

/** Creates `dir` (and parents) and makes it 0700. */
export function ensurePrivateDir(dir: string): void {
  Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodIfOwned(dir, 0o700);
}

/** Sets the mode of `path`, unless it is not this user's (a shared parent): then leaves it. */
export function chmodIfOwned(path: string, mode: number): void {
  try {
    Deno.chmodSync(path, mode);
  } catch (err) {
    if (!(err instanceof Deno.errors.PermissionDenied)) throw err;
  }
}

/**
 * Removes a file, or does nothing when it is not there.
 *
 * @returns Whether a file was removed.
 */
export function removeIfExists(path: string): boolean {
  try {
    Deno.removeSync(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/** The file's information, or `undefined` when it does not exist. */
export function statIfExists(path: string): Deno.FileInfo | undefined {
  try {
    return Deno.statSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
}

/** The entries of a directory, none when it does not exist. */
export function readDirIfExists(dir: string): Deno.DirEntry[] {
  try {
    return [...Deno.readDirSync(dir)];
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
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
      // Any failure here: the write's own error is the one to report (the temp file may
      // never have been made).
    }
    throw err;
  }
}

/**
 * Creates `path` with `data` (0600) unless it exists, atomically: the whole file appears at once
 * (temp file + hard link), and of two processes creating it at the same time exactly one wins.
 *
 * @returns Whether this call created it (`false`: it existed, and is left as it was).
 */
export function createPrivateFileExclusive(path: string, data: string): boolean {
  const tmp = `${path}.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  Deno.writeTextFileSync(tmp, data, { mode: 0o600 });
  try {
    Deno.chmodSync(tmp, 0o600);
    Deno.linkSync(tmp, path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.AlreadyExists) return false;
    throw err;
  } finally {
    removeIfExists(tmp);
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

/** What {@linkcode readJsonState} found. */
export interface JsonState<T> {
  /** The file's value, or the fallback when the file is missing or damaged. */
  value: T;
  /** Set when the file was damaged: one line naming it and where it went, for the caller's log. */
  damaged?: string;
}

/**
 * Reads a JSON state file under the package's one policy: a missing file gives `fallback`; one
 * that cannot be read (permissions, a directory in its place) throws a {@linkcode StateError}
 * with the cause; a damaged one (not JSON, or a value `parse` refuses) is moved aside to
 * `<path>.damaged` (0600, replacing an older one) and gives `fallback`, with a line in
 * `damaged` for the caller to log.
 *
 * @param path The state file.
 * @param parse Checks the parsed JSON: the value to use, or `undefined` to refuse it.
 * @param fallback The value when the file is missing or damaged.
 * @returns The value, and what happened to a damaged file.
 * @throws {StateError} When the file exists but cannot be read.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readJsonState } from "./fs.ts";
 * const dir = Deno.makeTempDirSync();
 * const count = (v: unknown) => typeof v === "number" ? v : undefined;
 * assert.equal(readJsonState(`${dir}/n.json`, count, 0).value, 0);
 * Deno.writeTextFileSync(`${dir}/n.json`, "{torn");
 * const found = readJsonState(`${dir}/n.json`, count, 0);
 * assert.equal(found.value, 0);
 * assert.match(found.damaged ?? "", /n\.json is damaged .*moved to .*n\.json\.damaged/);
 * assert.equal(Deno.readTextFileSync(`${dir}/n.json.damaged`), "{torn");
 * ```
 */
export function readJsonState<T>(
  path: string,
  parse: (value: unknown) => T | undefined,
  fallback: T,
): JsonState<T> {
  let text: string | undefined;
  try {
    text = readTextIfExists(path);
  } catch (err) {
    throw new StateError(`Cannot read ${path}: check its owner and permissions`, { cause: err });
  }
  if (text === undefined) return { value: fallback };
  const json = parseJson(text);
  const value = json === undefined ? undefined : parse(json);
  if (value !== undefined) return { value };
  const why = json === undefined ? "not JSON" : "unexpected content";
  const aside = `${path}.damaged`;
  try {
    Deno.renameSync(path, aside);
    Deno.chmodSync(aside, 0o600);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return { value: fallback }; // replaced meanwhile
    return {
      value: fallback,
      damaged: `${path} is damaged (${why}) and cannot be moved aside (${err}): ignoring it`,
    };
  }
  return {
    value: fallback,
    damaged: `${path} is damaged (${why}): moved to ${aside}, starting over`,
  };
}

/**
 * Whether an error from iterating a file watcher (`Deno.watchFs`) says it was closed
 * meanwhile: the one failure a consumer that closes its own watcher expects.
 */
export function closedWatcher(err: unknown): boolean {
  return err instanceof Deno.errors.BadResource || err instanceof Deno.errors.Interrupted;
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
