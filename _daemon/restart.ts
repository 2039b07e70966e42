// Private: keeping the bridge running: the one "ensure the bridge runs" entry (see daemon.ts),
// and when a bridge that is down may start again.
//
// A bridge that is down is started at once, unless its runs keep crashing: each crash after a
// short run (under HEALTHY_RUN_MS) in a row waits longer before the next start: 0 s after the
// first, then 2 s, 4 s, 8 s … up to RESTART_MAX_MS. A run that ends cleanly (`status.json`
// says `ended: "stopped"`) resets the count; a crash after a healthy run counts as the first.
// Each start may IDENTIFY on the gateway, which Discord allows about 1,000 times a day per
// token, so the count never resets on its own: a bridge that dies young over and over settles
// at one start per RESTART_MAX_MS.
//
// What ended last is read from the bridge's own `status.json` (its `startedAt`, `healthyAt`
// and `ended`): a bridge killed with SIGKILL writes nothing, so a run without `ended` crashed.
// The count lives in `bridge/starts.json` (StartRecord), changed under `bridge/starts.lock` by
// whoever starts the bridge (the hooks, through ensureBridgeRunning).
import { ensurePrivateDir, readJsonState, writePrivateFileAtomic } from "../_shared/fs.ts";
import { withFileLock } from "../_shared/lock.ts";
import type { BridgeCommand } from "./command.ts";
import { startDetached } from "./process.ts";
import {
  type BridgePaths,
  bridgePaths,
  type BridgeStatusFile,
  probeBridge,
  readBridgeStatus,
} from "./state.ts";

/** A run of at least this long counts as healthy (the bridge marks it in `status.json`). */
export const HEALTHY_RUN_MS = 10 * 60_000;
/** The wait after the second short-lived crash in a row; it doubles with each further one. */
export const RESTART_BASE_MS = 2_000;
/** The longest wait between starts of a bridge that keeps crashing. */
export const RESTART_MAX_MS = 10 * 60_000;
/** How long a bridge just spawned may take to take its lock before the start counts as failed. */
export const START_GRACE_MS = 15_000;

/** `bridge/starts.json`: the starts made and the crashes in a row. */
export interface StartRecord {
  /** When the last start was made (ms since the epoch). */
  startedAt?: number;
  /** Short-lived crashes in a row (see restartDelay). */
  crashes: number;
  /** Which ended run was counted last (its `startedAt`, or `spawn <ms>` for a failed start). */
  counted?: string;
  /** When that run was found ended (ms): the wait runs from here. */
  downAt?: number;
}

/**
 * The wait before the next start after `crashes` short-lived crashes in a row.
 *
 * @param crashes Crashes in a row.
 * @returns Milliseconds: 0 for none or one, then 2 s, 4 s, 8 s … at most RESTART_MAX_MS.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RESTART_MAX_MS, restartDelay } from "../daemon.ts";
 * assert.deepEqual([0, 1, 2, 3, 4].map(restartDelay), [0, 0, 2000, 4000, 8000]);
 * assert.equal(restartDelay(40), RESTART_MAX_MS);
 * ```
 */
export function restartDelay(crashes: number): number {
  if (crashes <= 1) return 0;
  return Math.min(RESTART_BASE_MS * 2 ** Math.min(crashes - 2, 30), RESTART_MAX_MS);
}

/** What {@linkcode decideStart} decided. */
export interface StartDecision {
  /** Start the bridge now. */
  start: boolean;
  /** The record to save (before starting). */
  record: StartRecord;
  /**
   * For the log: why it waits (`bridge crashed (3 short runs in a row); next start in 4 s`), or,
   * for a start, how the last run ended (` after the last one crashed`), empty when unknown.
   */
  reason: string;
}

/**
 * Whether a bridge that is not running starts now (pure: the record, the last `status.json`,
 * the time).
 *
 * @param record The start record.
 * @param status The last bridge's `status.json`, if any.
 * @param now The time (ms).
 * @returns The decision and the record to save.
 *
 * @example A crash starts again at once; a second short-lived one waits 2 s
 * ```ts
 * import assert from "node:assert/strict";
 * import { decideStart } from "../daemon.ts";
 * const t = Date.parse("2025-01-01T00:00:00Z");
 * const run = (at: number) => ({
 *   pid: 1, startedAt: new Date(at).toISOString(), state: "connected" as const,
 *   since: new Date(at).toISOString(), delivered: 0, dropped: {},
 * });
 * const first = decideStart({ startedAt: t, crashes: 0 }, run(t + 100), t + 5_000);
 * assert(first.start && first.record.crashes === 1);
 * const second = decideStart(first.record, run(t + 5_100), t + 9_000);
 * assert(!second.start && second.record.crashes === 2);
 * assert(decideStart(second.record, run(t + 5_100), t + 11_000).start);
 * ```
 */
export function decideStart(
  record: StartRecord,
  status: BridgeStatusFile | undefined,
  now: number,
): StartDecision {
  const runStart = status ? Date.parse(status.startedAt) : NaN;
  let next: StartRecord = { ...record };
  let ended: string | undefined;
  let key: string | undefined;
  if (record.startedAt !== undefined && !(runStart >= record.startedAt)) {
    // The last start has left no status.json: still starting, or it failed to.
    if (now - record.startedAt < START_GRACE_MS) {
      return { start: false, record, reason: "bridge starting" };
    }
    key = `spawn ${record.startedAt}`;
    ended = "failed to start";
    if (key !== record.counted) next.crashes = record.crashes + 1;
  } else if (status !== undefined) {
    key = status.startedAt;
    if (status.ended === "stopped") {
      ended = "stopped";
      if (key !== record.counted) next.crashes = 0;
    } else {
      ended = status.healthyAt ? "crashed after a healthy run" : "crashed";
      if (key !== record.counted) next.crashes = status.healthyAt ? 1 : record.crashes + 1;
    }
  }
  if (key !== undefined && key !== record.counted) next = { ...next, counted: key, downAt: now };
  const wait = (next.downAt ?? now) + restartDelay(next.crashes) - now;
  const runs = next.crashes > 1 ? ` (${next.crashes} short runs in a row)` : "";
  if (wait > 0) {
    return {
      start: false,
      record: next,
      reason: `bridge ${ended}${runs}; next start in ${Math.ceil(wait / 1000)} s`,
    };
  }
  // A further limit on starts (a budget of gateway IDENTIFYs per token) turns a start into a
  // wait here.
  return {
    start: true,
    record: { ...next, startedAt: now },
    reason: ended === undefined ? "" : ` after the last one ${ended}${runs}`,
  };
}

/**
 * Reads `bridge/starts.json` under the state-file policy (`readJsonState`): a missing one is a
 * fresh record; a damaged one is moved aside to `starts.json.damaged`, told to `onDamaged`, and
 * is a fresh record too.
 *
 * @param paths The bridge's paths.
 * @param onDamaged Gets the line saying a damaged file was moved aside.
 * @returns The record.
 * @throws {StateError} When the file exists but cannot be read.
 */
export function readStartRecord(
  paths: BridgePaths,
  onDamaged?: (line: string) => void,
): StartRecord {
  const read = readJsonState(paths.starts, parseStartRecord, { crashes: 0 });
  if (read.damaged) onDamaged?.(read.damaged);
  return read.value;
}

function parseStartRecord(value: unknown): StartRecord | undefined {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
  const v = value as Partial<Record<keyof StartRecord, unknown>>;
  const num = (x: unknown) => typeof x === "number" && Number.isFinite(x) ? x : undefined;
  const startedAt = num(v.startedAt);
  const downAt = num(v.downAt);
  return {
    crashes: Math.max(0, Math.floor(num(v.crashes) ?? 0)),
    ...(startedAt !== undefined ? { startedAt } : {}),
    ...(typeof v.counted === "string" ? { counted: v.counted } : {}),
    ...(downAt !== undefined ? { downAt } : {}),
  };
}

/** Options of {@linkcode ensureBridgeRunning}. */
export interface EnsureOptions extends BridgeCommand {
  /** The state directory. */
  home: string;
  /** Clock in ms. Default `Date.now`. */
  now?: () => number;
}

/** The result of {@linkcode ensureBridgeRunning}. */
export interface EnsureResult {
  /** `running` (nothing to do), `started` (spawned now), `waiting` (down; not started yet). */
  state: "running" | "started" | "waiting";
  /** The bridge's pid, when running or started. */
  pid?: number;
  /** Short-lived crashes in a row. */
  crashes: number;
  /** One line for the log (it says so first when a damaged `starts.json` was moved aside). */
  message: string;
}

/**
 * Makes sure the bridge runs: starts it (detached, see {@linkcode startDetached}) when it is
 * down and {@linkcode decideStart} allows, under `bridge/starts.lock` so that hooks firing
 * together start one. Returns without waiting for the bridge to connect.
 *
 * @param options The state directory and the bridge's command (see `bridgeCommand`).
 * @returns What it found or did.
 *
 * @example
 * ```ts ignore
 * import { bridgeCommand, ensureBridgeRunning } from "../daemon.ts";
 * const home = "/abs/state";
 * const r = await ensureBridgeRunning({ home, ...bridgeCommand({ home, apiUrl: "https://discord.com/api" }) });
 * console.log(r.message);
 * ```
 */
export async function ensureBridgeRunning(options: EnsureOptions): Promise<EnsureResult> {
  const damaged: string[] = [];
  const result = await ensure(options, (line) => damaged.push(line));
  return damaged.length === 0
    ? result
    : { ...result, message: [...damaged, result.message].join("; ") };
}

async function ensure(
  options: EnsureOptions,
  onDamaged: (line: string) => void,
): Promise<EnsureResult> {
  const now = options.now ?? Date.now;
  const paths = bridgePaths(options.home);
  const before = probeBridge(options.home);
  if (before.running) return running(before.pid, readStartRecord(paths, onDamaged));
  ensurePrivateDir(options.home);
  ensurePrivateDir(paths.dir);
  return await withFileLock(paths.startsLock, async () => {
    const again = probeBridge(options.home);
    const record = readStartRecord(paths, onDamaged);
    if (again.running) return running(again.pid, record);
    const decision = decideStart(record, readBridgeStatus(options.home), now());
    if (JSON.stringify(decision.record) !== JSON.stringify(record)) {
      writePrivateFileAtomic(paths.starts, JSON.stringify(decision.record) + "\n");
    }
    const crashes = decision.record.crashes;
    if (!decision.start) return { state: "waiting", crashes, message: decision.reason };
    const result = await startDetached(options);
    return result.started
      ? {
        state: "started",
        pid: result.pid,
        crashes,
        message: `bridge started (pid ${result.pid ?? "?"})${decision.reason}`,
      }
      : running(result.pid, decision.record);
  });
}

function running(pid: number | undefined, record: StartRecord): EnsureResult {
  return {
    state: "running",
    ...(pid !== undefined ? { pid } : {}),
    crashes: record.crashes,
    message: `bridge running (pid ${pid ?? "?"})`,
  };
}
