/**
 * What each session is doing, as its hooks note it (`$home/activity/<id>.json`, 0600 in a 0700
 * directory): waiting for a permission answer (PermissionRequest), idle after its turn (Stop),
 * stopped by an API error (StopFailure), ended (SessionEnd). A small file written atomically, no
 * lock, no network; the bridge reads it for the session's status card (card.ts).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readActivity, writeActivity } from "./activity.ts";
 * const home = Deno.makeTempDirSync();
 * writeActivity(home, "abcd1234", { state: "idle" });
 * assert.equal(readActivity(home, "abcd1234")?.state, "idle");
 * ```
 *
 * @module
 */
import { ensurePrivateDir, readJsonState, writePrivateFileAtomic } from "./_shared/fs.ts";

const ID = /^[A-Za-z0-9_-]{1,128}$/;

function checkId(id: string): void {
  if (typeof id !== "string" || !ID.test(id)) {
    throw new TypeError(
      `Session id ${JSON.stringify(id)} is invalid: use 1-128 letters, digits, "_" or "-"`,
    );
  }
}

/** What a session's hooks last said it is doing (`$home/activity/<id>.json`). */
export interface SessionActivity {
  /**
   * `waiting`: for a permission answer (PermissionRequest); `idle`: its turn ended (Stop);
   * `error`: its turn ended on an API error (StopFailure); `ended`: SessionEnd.
   */
  state: "waiting" | "idle" | "error" | "ended";
  /** `waiting`: the tool call, in one line (`Bash: touch x.txt`). */
  tool?: string;
  /** `error`, `ended`: why, in words. */
  reason?: string;
  /** When (ISO 8601). */
  at: string;
}

const ACTIVITY_STATES: ReadonlySet<string> = new Set(["waiting", "idle", "error", "ended"]);

/**
 * The directory of the sessions' activity files.
 *
 * @param home The state directory.
 * @returns `home/activity`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { activityDir } from "./activity.ts";
 * assert.equal(activityDir("/h/"), "/h/activity");
 * ```
 */
export function activityDir(home: string): string {
  return `${home.replace(/\/+$/, "") || ""}/activity`;
}

/**
 * Notes what a session is doing (a small file, written atomically, 0600 in a 0700 directory):
 * what the hooks may do on the way, without the registry's lock.
 *
 * @param home The state directory.
 * @param id The session id.
 * @param activity The state, and its tool or reason; `at` defaults to now.
 * @param now Clock (ms). Default `Date.now`.
 * @throws {TypeError} On a bad session id or state.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readActivity, writeActivity } from "./activity.ts";
 * const home = Deno.makeTempDirSync();
 * writeActivity(home, "abcd1234", { state: "waiting", tool: "Bash: touch x.txt" });
 * assert.equal(readActivity(home, "abcd1234")?.tool, "Bash: touch x.txt");
 * assert.equal(readActivity(home, "other00"), undefined);
 * ```
 */
export function writeActivity(
  home: string,
  id: string,
  activity: Omit<SessionActivity, "at"> & { at?: string },
  now: () => number = Date.now,
): void {
  checkId(id);
  if (!ACTIVITY_STATES.has(activity.state)) {
    throw new TypeError(`Unknown session activity ${JSON.stringify(activity.state)}`);
  }
  const dir = activityDir(home);
  ensurePrivateDir(dir);
  const record: SessionActivity = {
    state: activity.state,
    ...(activity.tool !== undefined ? { tool: activity.tool } : {}),
    ...(activity.reason !== undefined ? { reason: activity.reason } : {}),
    at: activity.at ?? new Date(now()).toISOString(),
  };
  writePrivateFileAtomic(`${dir}/${id}.json`, JSON.stringify(record) + "\n");
}

/**
 * Reads what a session's hooks last noted; a damaged file is moved aside (told to
 * `onWarning`).
 *
 * @param home The state directory.
 * @param id The session id.
 * @param onWarning Told when a damaged file was moved aside.
 * @returns The activity, or `undefined` when none was noted.
 * @throws {StateError} When the file cannot be read.
 */
export function readActivity(
  home: string,
  id: string,
  onWarning?: (message: string) => void,
): SessionActivity | undefined {
  checkId(id);
  const read = readJsonState(`${activityDir(home)}/${id}.json`, parseActivity, undefined);
  if (read.damaged) onWarning?.(read.damaged);
  return read.value;
}

function parseActivity(value: unknown): SessionActivity | undefined {
  const a = value as Partial<SessionActivity> | null;
  if (typeof a?.state !== "string" || !ACTIVITY_STATES.has(a.state)) return undefined;
  if (typeof a.at !== "string" || Number.isNaN(Date.parse(a.at))) return undefined;
  if (a.tool !== undefined && typeof a.tool !== "string") return undefined;
  if (a.reason !== undefined && typeof a.reason !== "string") return undefined;
  return a as SessionActivity;
}
