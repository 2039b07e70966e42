// Private: the bridge's files under a state directory, its status file, and the probe that
// tells whether a bridge runs (see daemon.ts).
import {
  ensurePrivateDir,
  readJsonState,
  readTextIfExists,
  writePrivateFileAtomic,
} from "../_shared/fs.ts";

/** The files of the bridge under a state directory. */
export interface BridgePaths {
  /** `$home/bridge` (0700). */
  dir: string;
  /** The instance lock (`flock`). */
  lock: string;
  /** The running bridge's pid. */
  pid: string;
  /** State and counters of the running bridge (JSON). */
  status: string;
  /** Catch-up cursors: last message id written per channel/thread (JSON). */
  cursors: string;
  /** Starts and crashes in a row, kept by whoever starts the bridge (JSON, `StartRecord`). */
  starts: string;
  /** Held while a start is decided and made (`flock`). */
  startsLock: string;
  /** The gateway session a restarted bridge RESUMEs (JSON). */
  gateway: string;
  /** The IDENTIFY budget: this machine's IDENTIFYs in 24 h, Discord's limit, a halt (JSON). */
  identify: string;
  /** The bridge's log file. */
  log: string;
  /** Downloaded attachments: `<message id>/<file name>` under it (0700 directories, 0600 files). */
  attachments: string;
  /** What the bridge learnt of the guild: its `attachment_size_limit` (JSON). */
  guild: string;
  /** The session threads the bot has open on Discord, every machine's (JSON). */
  sessionThreads: string;
}

/**
 * The bridge's files under `home`.
 *
 * @param home The state directory (`CLAUDE_DISCORD_HOME`).
 * @returns Absolute paths when `home` is absolute.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bridgePaths } from "../daemon.ts";
 * assert(bridgePaths("/tmp/h").lock === "/tmp/h/bridge/bridge.lock");
 * assert(bridgePaths("/tmp/h").log === "/tmp/h/bridge.log");
 * ```
 */
export function bridgePaths(home: string): BridgePaths {
  const root = home.replace(/\/+$/, "") || "/";
  const dir = `${root}/bridge`;
  return {
    dir,
    lock: `${dir}/bridge.lock`,
    pid: `${dir}/bridge.pid`,
    status: `${dir}/status.json`,
    cursors: `${dir}/cursors.json`,
    starts: `${dir}/starts.json`,
    startsLock: `${dir}/starts.lock`,
    gateway: `${dir}/gateway.json`,
    identify: `${dir}/identify.json`,
    log: `${root}/bridge.log`,
    attachments: `${root}/attachments`,
    guild: `${dir}/guild.json`,
    sessionThreads: `${dir}/session_threads.json`,
  };
}

/** What the running bridge reports in `status.json`. */
export interface BridgeStatusFile {
  /** The bridge's pid. */
  pid: number;
  /** ISO time the process started. */
  startedAt: string;
  /** Gateway state. */
  state: "starting" | "connected" | "reconnecting" | "stopping" | "halted";
  /** ISO time of the last state change. */
  since: string;
  /** ISO time of the last catch-up that finished. */
  lastCatchUpAt?: string;
  /** Events written to mailboxes (one per mailbox line). */
  delivered: number;
  /** Messages not delivered, by reason (`bot`, `webhook`, `system`, `not-allowed`, …). */
  dropped: Record<string, number>;
  /** A problem the user should fix (e.g. the message content intent). */
  warning?: string;
  /**
   * ISO time the run counted as healthy: it had then been up `HEALTHY_RUN_MS` (restart.ts); a
   * crash after that starts the restart back-off over.
   */
  healthyAt?: string;
  /**
   * How the run ended, written last: `stopped` when asked to (a signal, `--stop`), `failed` on a
   * fatal error. Absent while it runs, and after a crash (`kill -9`, out of memory).
   */
  ended?: "stopped" | "failed";
  /** Stored attachments: messages, files and bytes on disk. */
  attachments?: { messages: number; files: number; bytes: number };
  /** The outbox (outbox.ts): entries sent, refused and skipped by this run, queues waiting. */
  outbox?: BridgeOutboxStatus;
  /** This machine (machine.ts). */
  machine?: { id: string; label: string };
  /** How it last connected: a RESUME of the saved session, or an IDENTIFY. */
  connectedBy?: "resume" | "identify";
  /** The IDENTIFY budget (`bridge/identify.json`). */
  identify?: IdentifySummary;
}

/** The outbox's part of `status.json`. */
export interface BridgeOutboxStatus {
  /** Entries sent since the bridge started. */
  sent: number;
  /** Entries Discord refused for good since the bridge started. */
  failed: number;
  /** Entries skipped (expired, nothing to edit) since the bridge started. */
  skipped: number;
  /** Sessions whose queue waits for Discord now. */
  waiting: number;
  /** Why the last of them waits. */
  waitingWhy?: string;
  /** Entries the outbox's bounds dropped so far (all processes, kept across restarts). */
  dropped: number;
}

/** The IDENTIFY budget's figures (identify.ts), for status.json and `deno task status`. */
export interface IdentifySummary {
  /** IDENTIFYs this machine sent in the last 24 h. */
  last24h: number;
  /** Its cap. */
  cap: number;
  /** Discord's budget as last read, minus this machine's IDENTIFYs since. */
  remaining?: number;
  /** Discord's daily budget. */
  total?: number;
  /** When that was read (ISO). */
  readAt?: string;
  /** A halt in effect: until when (ISO) and why. */
  halted?: { until: string; reason: string };
}

/** The result of {@linkcode probeBridge}. */
export interface BridgeStatus {
  /** Whether a bridge holds the lock now. */
  running: boolean;
  /** Its pid (from the pid file), when running. */
  pid?: number;
  /** Its last `status.json`, when running and readable. */
  status?: BridgeStatusFile;
}

/**
 * Tells whether a bridge runs for `home`, by trying its lock (released at once).
 *
 * @param home The state directory.
 * @returns Running or not, with the pid and status file when running.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { acquireInstanceLock, probeBridge } from "../daemon.ts";
 * const home = Deno.makeTempDirSync();
 * const got = await acquireInstanceLock(home);
 * assert(got.acquired && probeBridge(home).pid === Deno.pid);
 * if (got.acquired) got.lock.release();
 * assert(!probeBridge(home).running);
 * ```
 */
export function probeBridge(home: string): BridgeStatus {
  const paths = bridgePaths(home);
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(paths.lock, { read: true, write: true });
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return { running: false };
    throw err;
  }
  try {
    if (file.tryLockSync(true)) {
      file.unlockSync();
      return { running: false };
    }
  } finally {
    file.close();
  }
  const pid = readPid(paths.pid);
  const status = readBridgeStatus(home);
  return {
    running: true,
    ...(pid === undefined ? {} : { pid }),
    ...(status === undefined || status.pid !== pid ? {} : { status }),
  };
}

/** The pid in a pid file, or `undefined`. */
export function readPid(path: string): number | undefined {
  const text = readTextIfExists(path)?.trim();
  if (!text || !/^[0-9]+$/.test(text)) return undefined;
  return Number(text);
}

/**
 * Reads `status.json` of the bridge (whatever bridge wrote it last).
 *
 * @param home The state directory.
 * @returns The status, or `undefined` when absent or damaged (then moved aside).
 * @throws {StateError} When the file cannot be read.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readBridgeStatus } from "../daemon.ts";
 * assert(readBridgeStatus(Deno.makeTempDirSync()) === undefined);
 * ```
 */
export function readBridgeStatus(home: string): BridgeStatusFile | undefined {
  return readJsonState(bridgePaths(home).status, (value) => {
    const v = value as BridgeStatusFile | null;
    return v && typeof v === "object" && typeof v.pid === "number" ? v : undefined;
  }, undefined).value;
}

/**
 * Writes `status.json` atomically (0600). Used by the running bridge.
 *
 * @param home The state directory.
 * @param status The status to publish.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readBridgeStatus, writeBridgeStatus } from "../daemon.ts";
 * const home = Deno.makeTempDirSync();
 * const now = new Date().toISOString();
 * writeBridgeStatus(home, { pid: 1, startedAt: now, state: "starting", since: now, delivered: 0, dropped: {} });
 * assert(readBridgeStatus(home)?.state === "starting");
 * ```
 */
export function writeBridgeStatus(home: string, status: BridgeStatusFile): void {
  const paths = bridgePaths(home);
  ensurePrivateDir(home);
  ensurePrivateDir(paths.dir);
  writePrivateFileAtomic(paths.status, JSON.stringify(status, null, 2) + "\n");
}

/** What the bridge learnt of a guild from Discord (`bridge/guild.json`). */
export interface GuildFacts {
  /** The guild. */
  guildId: string;
  /**
   * The largest file the bot may upload there, in bytes: the `attachment_size_limit` of the
   * guild's interactions (it grows with the guild's boost level).
   */
  attachmentSizeLimit: number;
  /** ISO time it was learnt. */
  seenAt: string;
}

/**
 * Reads `bridge/guild.json`, or `undefined` when absent or damaged (then moved aside).
 *
 * @param home The state directory.
 * @returns The facts the bridge recorded.
 * @throws {StateError} When the file cannot be read.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readGuildFacts, writeGuildFacts } from "../daemon.ts";
 * const home = Deno.makeTempDirSync();
 * assert(readGuildFacts(home) === undefined);
 * writeGuildFacts(home, { guildId: "1", attachmentSizeLimit: 52428800, seenAt: "now" });
 * assert(readGuildFacts(home)?.attachmentSizeLimit === 52428800);
 * ```
 */
export function readGuildFacts(home: string): GuildFacts | undefined {
  return readJsonState(bridgePaths(home).guild, (value) => {
    const v = value as GuildFacts | null;
    return v && typeof v === "object" && typeof v.guildId === "string" &&
        Number.isSafeInteger(v.attachmentSizeLimit) && v.attachmentSizeLimit > 0
      ? v
      : undefined;
  }, undefined).value;
}

/**
 * Writes `bridge/guild.json` atomically (0600). Used by the running bridge.
 *
 * @param home The state directory.
 * @param facts What it learnt.
 */
export function writeGuildFacts(home: string, facts: GuildFacts): void {
  const paths = bridgePaths(home);
  ensurePrivateDir(paths.dir);
  writePrivateFileAtomic(paths.guild, JSON.stringify(facts) + "\n");
}
