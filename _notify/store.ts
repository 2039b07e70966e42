// Private: notify.ts state on disk — the session → thread map, the spool, and the lock.
//
//   $stateDir/threads.json        { version: 1, webhooks: { <webhookId>: { channel, sessions } } }
//   $stateDir/spool/<seq>-<pid>-<rand>.json   one undelivered STATUS each, sent in name order
//   $stateDir/spool/failed/       spooled posts Discord refused for good (kept, never resent)
//   threads.json.damaged          a damaged threads.json, moved aside (_shared/fs.ts)
//   $stateDir/notify.lock         flock held while posting, so processes keep order
//
// Files are 0600, directories 0700, writes atomic (temp file + rename).

import {
  ensurePrivateDir,
  type JsonState,
  readJsonState,
  readTextIfExists,
  writePrivateFileAtomic,
} from "../_shared/fs.ts";
import type { StatusSession, WebhookPayload } from "./render.ts";

/** Where a session's posts go. */
export interface ThreadRecord {
  /** The thread's channel id. */
  threadId: string;
  /** The session name when the thread was made. */
  name: string;
  /** ISO time of creation. */
  createdAt: string;
}

/** What is known about one webhook's channel. */
export interface WebhookState {
  /** `forum` (threads by `thread_name`) or `text` (threads by the bot, or none). */
  channel?: "forum" | "text";
  /** Session id → thread. */
  sessions: Record<string, ThreadRecord>;
}

/** The content of threads.json. */
export interface ThreadsFile {
  version: 1;
  webhooks: Record<string, WebhookState>;
}

/** One spooled STATUS: the payloads still to send, in order. */
export interface SpoolEntry {
  version: 1;
  /** When it was first attempted (ms since the epoch). */
  createdAt: number;
  /** The session it belongs to. */
  session: StatusSession;
  /** Payloads not yet delivered. */
  payloads: WebhookPayload[];
}

/**
 * Reads threads.json; a damaged file is moved aside and an empty map returned (a damaged map
 * must not stop notifications), with the line saying so in `damaged`.
 */
export function readThreads(dir: string): JsonState<ThreadsFile> {
  return readJsonState(`${dir}/threads.json`, (value) => {
    const v = value as ThreadsFile | null;
    return v?.version === 1 && v.webhooks && typeof v.webhooks === "object" ? v : undefined;
  }, { version: 1, webhooks: {} });
}

/** Writes threads.json (0600, atomic). */
export function writeThreads(dir: string, data: ThreadsFile): void {
  ensurePrivateDir(dir);
  writePrivateFileAtomic(`${dir}/threads.json`, JSON.stringify(data, null, 2) + "\n");
}

/** The spool directory. */
export function spoolDir(dir: string): string {
  return `${dir}/spool`;
}

const SPOOL_NAME = /^([0-9]{12})-[0-9]+-[0-9a-f]+\.json$/;

/** Spooled entries' paths, oldest first. */
export function listSpool(dir: string): string[] {
  const spool = spoolDir(dir);
  const names: string[] = [];
  try {
    for (const e of Deno.readDirSync(spool)) {
      if (e.isFile && SPOOL_NAME.test(e.name)) names.push(e.name);
    }
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  }
  return names.sort().map((n) => `${spool}/${n}`);
}

/** Appends an entry to the spool, after every existing one; returns its path. */
export function appendSpool(dir: string, entry: SpoolEntry): string {
  const spool = spoolDir(dir);
  ensurePrivateDir(dir);
  ensurePrivateDir(spool);
  const existing = listSpool(dir);
  const last = existing.length
    ? Number(existing[existing.length - 1].split("/").pop()!.match(SPOOL_NAME)![1])
    : 0;
  const rand = crypto.getRandomValues(new Uint8Array(3));
  const suffix = Array.from(rand, (b) => b.toString(16).padStart(2, "0")).join("");
  const path = `${spool}/${String(last + 1).padStart(12, "0")}-${Deno.pid}-${suffix}.json`;
  writePrivateFileAtomic(path, JSON.stringify(entry) + "\n");
  return path;
}

/**
 * Reads a spooled entry: `undefined` when it is gone (sent by another process) or damaged. A
 * spooled post is not state with a fallback but an undelivered post: a damaged one goes where
 * refused ones go, to spool/failed/ with its reason (status counts them), not `<file>.damaged`.
 */
export function readSpool(dir: string, path: string): SpoolEntry | undefined {
  const text = readTextIfExists(path);
  if (text === undefined) return undefined;
  let v: SpoolEntry | null = null;
  try {
    v = JSON.parse(text);
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
  }
  if (
    v?.version === 1 && typeof v.session?.id === "string" &&
    typeof v.session?.name === "string" && Array.isArray(v.payloads)
  ) {
    return v;
  }
  deadLetter(dir, path, "damaged spool file");
  return undefined;
}

/** Replaces a spooled entry (after part of it was delivered). */
export function rewriteSpool(path: string, entry: SpoolEntry): void {
  writePrivateFileAtomic(path, JSON.stringify(entry) + "\n");
}

/** Removes a delivered entry. */
export function removeSpool(path: string): void {
  try {
    Deno.removeSync(path);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
}

/** Moves an entry Discord refused for good to spool/failed/, with the reason beside it. */
export function deadLetter(dir: string, path: string, reason: string): void {
  const failed = `${spoolDir(dir)}/failed`;
  ensurePrivateDir(failed);
  const name = path.split("/").pop()!;
  try {
    Deno.renameSync(path, `${failed}/${name}`);
    writePrivateFileAtomic(`${failed}/${name}.reason`, reason + "\n");
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
}

/** A held lock. */
export interface HeldLock {
  /** Releases the lock. */
  release(): void;
}

/**
 * Takes `$dir/notify.lock` exclusively, polling every `pollMs` up to `timeoutMs`.
 *
 * @returns The lock, or `undefined` when another process held it all that time.
 */
export async function acquireLock(
  dir: string,
  timeoutMs: number,
  pollMs = 25,
): Promise<HeldLock | undefined> {
  ensurePrivateDir(dir);
  const file = await Deno.open(`${dir}/notify.lock`, {
    read: true,
    write: true,
    create: true,
    mode: 0o600,
  });
  const deadline = Date.now() + timeoutMs;
  try {
    while (!(await file.tryLock(true))) {
      if (Date.now() >= deadline) {
        file.close();
        return undefined;
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  } catch (err) {
    file.close();
    throw err;
  }
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      file.close(); // closing drops the flock
    },
  };
}
