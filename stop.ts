/**
 * Stop from Discord: the marker the bridge writes when an allowlisted user stops a session (the
 * ⏹ Stop button of its card, `/stop`, or `stop` typed alone in its thread), and the one hooks and
 * the card read (ARCHITECTURE.md, "Stop from Discord").
 *
 * The marker is `$home/stop/<sessionId>` (directory 0700, file 0600, written atomically), JSON
 * {@linkcode StopRequest}. While it is non-empty:
 *
 * - the session's next PreToolUse is blocked and the turn ends (`hooks/fast.sh` tests the file
 *   with a shell builtin and starts the `stop` role only then);
 * - an open Discord permission prompt of the session is answered deny;
 * - a Stop-hook wait for messages ends without waking Claude.
 *
 * It stays until the session's next turn begins (UserPromptSubmit empties it), a Stop-hook
 * wait ends on it, or the session ends, so every tool call of the stopped turn is blocked, also
 * parallel ones. A stop is not a kill: messages delivered after it reach the session as usual.
 *
 * @example The bridge stops a session; a hook reads and applies it
 * ```ts
 * import assert from "node:assert/strict";
 * import { clearStop, markStopApplied, readStop, requestStop, stopReason } from "./stop.ts";
 *
 * const home = Deno.makeTempDirSync();
 * const id = "3f2a9c1e-0000-4000-8000-000000000000";
 * requestStop(home, id, { by: "ada", userId: "1100000000000000001", via: "button" });
 * assert.equal(readStop(home, id)?.by, "ada");
 * assert.equal(stopReason(readStop(home, id)!), "Stopped from Discord by ada");
 * assert.equal(markStopApplied(home, id)?.first, true);  // audited once
 * assert.equal(markStopApplied(home, id)?.first, false);
 * clearStop(home, id);
 * assert.equal(readStop(home, id), undefined);
 * ```
 *
 * @module
 */
import {
  ensurePrivateDir,
  readJsonState,
  removeIfExists,
  statIfExists,
  writePrivateFileAtomic,
} from "./_shared/fs.ts";

/** How a stop was asked for. */
export type StopVia = "button" | "command" | "text";

/** What the stop marker holds. */
export interface StopRequest {
  /** Display name of the Discord user who stopped the session. */
  by: string;
  /** Their Discord user id. */
  userId: string;
  /** ISO time the bridge wrote the marker. */
  at: string;
  /** The card's Stop button, `/stop`, or `stop` typed in the session's thread. */
  via: StopVia;
  /** ISO time a hook first acted on it (blocked a tool call, denied a prompt, ended a wait). */
  appliedAt?: string;
}

/** Prefix of the Stop button's custom id: `cd:stop:<sessionId>`. */
export const STOP_CUSTOM_ID_PREFIX = "cd:stop:";

const SESSION_ID = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * The custom id of a session's ⏹ Stop button (the card's).
 *
 * @param sessionId The session (Claude Code's session id).
 * @returns `cd:stop:<sessionId>`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stopCustomId } from "./stop.ts";
 * assert.equal(stopCustomId("abc-1"), "cd:stop:abc-1");
 * ```
 */
export function stopCustomId(sessionId: string): string {
  checkId(sessionId);
  return `${STOP_CUSTOM_ID_PREFIX}${sessionId}`;
}

/**
 * The session a Stop button's custom id names.
 *
 * @param customId A component's custom id.
 * @returns The session id, or `undefined` when it is not a Stop button's.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sessionOfStopButton } from "./stop.ts";
 * assert.equal(sessionOfStopButton("cd:stop:abc-1"), "abc-1");
 * assert.equal(sessionOfStopButton("cd:perm:1234:deny"), undefined);
 * ```
 */
export function sessionOfStopButton(customId: string): string | undefined {
  if (!customId.startsWith(STOP_CUSTOM_ID_PREFIX)) return undefined;
  const id = customId.slice(STOP_CUSTOM_ID_PREFIX.length);
  return SESSION_ID.test(id) ? id : undefined;
}

/**
 * The directory of the stop markers.
 *
 * @param home The state directory.
 * @returns `$home/stop`.
 */
export function stopDir(home: string): string {
  return `${home.replace(/\/+$/, "")}/stop`;
}

/**
 * A session's stop marker (what `hooks/fast.sh` tests).
 *
 * @param home The state directory.
 * @param sessionId The session.
 * @returns `$home/stop/<sessionId>`.
 */
export function stopPath(home: string, sessionId: string): string {
  checkId(sessionId);
  return `${stopDir(home)}/${sessionId}`;
}

/**
 * Stops a session: writes its marker (atomically; a newer stop replaces an older one).
 *
 * @param home The state directory.
 * @param sessionId The session.
 * @param who Who asked and how.
 * @param now Clock (ms). Default `Date.now()`.
 * @returns What was written.
 */
export function requestStop(
  home: string,
  sessionId: string,
  who: { by: string; userId: string; via: StopVia },
  now: number = Date.now(),
): StopRequest {
  const path = stopPath(home, sessionId);
  const request: StopRequest = {
    by: who.by,
    userId: who.userId,
    at: new Date(now).toISOString(),
    via: who.via,
  };
  ensurePrivateDir(stopDir(home));
  writePrivateFileAtomic(path, JSON.stringify(request) + "\n");
  return request;
}

/**
 * A session's pending stop.
 *
 * @param home The state directory.
 * @param sessionId The session.
 * @param onDamaged Told when a damaged marker was moved aside (it then counts as none).
 * @returns The stop, or `undefined` when none is pending (no marker, or an emptied one).
 */
export function readStop(
  home: string,
  sessionId: string,
  onDamaged?: (message: string) => void,
): StopRequest | undefined {
  const path = stopPath(home, sessionId);
  // An empty marker is a cleared one: the UserPromptSubmit fast path empties it with a shell
  // redirection, which cannot remove a file.
  if ((statIfExists(path)?.size ?? 0) === 0) return undefined;
  const read = readJsonState(path, parseStop, undefined);
  if (read.damaged) onDamaged?.(read.damaged);
  return read.value;
}

/**
 * Notes that a hook acted on the stop (once: the first call says so, for the audit).
 *
 * @param home The state directory.
 * @param sessionId The session.
 * @param now Clock (ms). Default `Date.now()`.
 * @returns The stop and whether this was the first time, or `undefined` when none is pending.
 */
export function markStopApplied(
  home: string,
  sessionId: string,
  now: number = Date.now(),
): { stop: StopRequest; first: boolean } | undefined {
  const stop = readStop(home, sessionId);
  if (stop === undefined) return undefined;
  if (stop.appliedAt !== undefined) return { stop, first: false };
  const applied = { ...stop, appliedAt: new Date(now).toISOString() };
  writePrivateFileAtomic(stopPath(home, sessionId), JSON.stringify(applied) + "\n");
  return { stop: applied, first: true };
}

/**
 * Removes a session's stop marker (the stop is over).
 *
 * @param home The state directory.
 * @param sessionId The session.
 * @returns Whether there was one.
 */
export function clearStop(home: string, sessionId: string): boolean {
  return removeIfExists(stopPath(home, sessionId));
}

/**
 * The sentence Claude Code shows when the stop ends the turn.
 *
 * @param stop The stop.
 * @returns `Stopped from Discord by <user>`.
 */
export function stopReason(stop: StopRequest): string {
  return `Stopped from Discord by ${stop.by}`;
}

function parseStop(value: unknown): StopRequest | undefined {
  const v = value as Partial<StopRequest> | null;
  if (
    typeof v?.by !== "string" || typeof v.userId !== "string" || typeof v.at !== "string" ||
    (v.via !== "button" && v.via !== "command" && v.via !== "text")
  ) return undefined;
  return {
    by: v.by,
    userId: v.userId,
    at: v.at,
    via: v.via,
    ...(typeof v.appliedAt === "string" ? { appliedAt: v.appliedAt } : {}),
  };
}

function checkId(id: string): void {
  if (typeof id !== "string" || !SESSION_ID.test(id)) {
    throw new TypeError(
      `Session id ${JSON.stringify(id)} is invalid: use 1-128 letters, digits, "_" or "-"`,
    );
  }
}
