// The session threads the bot has open on Discord, every machine's (`bridge/session_threads.json`):
// the bridge writes what it sees (threads the bot created under the chat and STATUS channels),
// and a hook naming a new session reads it to learn the names other machines' sessions have
// (sessions.ts `otherMachines`; ARCHITECTURE.md, Machines).
import { ensurePrivateDir, readJsonState, writePrivateFileAtomic } from "../_shared/fs.ts";
import { bridgePaths } from "./state.ts";

/** A thread the bot created for a session (of this machine or another). */
export interface SessionThread {
  /** The thread's id. */
  id: string;
  /** Its name: the session's name (`notify.ts` `threadNameFor`). */
  name: string;
}

/** What `bridge/session_threads.json` holds. */
export interface SessionThreadsFile {
  /** ISO time the bridge wrote it. */
  at: string;
  /** The open session threads, oldest first. */
  threads: SessionThread[];
}

/**
 * Reads `bridge/session_threads.json`: empty when absent or damaged (then moved aside).
 *
 * @param home The state directory.
 * @returns The session threads the bridge saw open.
 * @throws {StateError} When the file cannot be read.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readSessionThreads, writeSessionThreads } from "../daemon.ts";
 * const home = Deno.makeTempDirSync();
 * assert.deepEqual(readSessionThreads(home), []);
 * writeSessionThreads(home, [{ id: "1100000000000000001", name: "api-3f2a" }], "now");
 * assert.deepEqual(readSessionThreads(home), [{ id: "1100000000000000001", name: "api-3f2a" }]);
 * ```
 */
export function readSessionThreads(home: string): SessionThread[] {
  return readJsonState(bridgePaths(home).sessionThreads, parse, undefined).value?.threads ?? [];
}

/**
 * Writes `bridge/session_threads.json` atomically (0600). Used by the running bridge.
 *
 * @param home The state directory.
 * @param threads The open session threads.
 * @param at ISO time of the writing.
 */
export function writeSessionThreads(
  home: string,
  threads: readonly SessionThread[],
  at: string,
): void {
  const paths = bridgePaths(home);
  ensurePrivateDir(paths.dir);
  const file: SessionThreadsFile = { at, threads: threads.map(({ id, name }) => ({ id, name })) };
  writePrivateFileAtomic(paths.sessionThreads, JSON.stringify(file) + "\n");
}

function parse(value: unknown): SessionThreadsFile | undefined {
  const v = value as Partial<SessionThreadsFile> | null;
  if (!v || typeof v !== "object" || !Array.isArray(v.threads)) return undefined;
  const threads = v.threads.filter((t): t is SessionThread =>
    typeof t?.id === "string" && typeof t.name === "string"
  );
  return { at: typeof v.at === "string" ? v.at : "", threads };
}
