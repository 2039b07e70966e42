/**
 * Start, stop and inspect the bridge process. Hooks import this module (never
 * `bridge.ts`): it is small and loads no Discord library.
 *
 * One bridge runs per state directory. It holds an exclusive `flock` on
 * `$home/bridge/bridge.lock` for its whole life and writes its pid to
 * `$home/bridge/bridge.pid`; the kernel drops the lock when the process dies, even on
 * `kill -9`, so a stale lock is simply taken over by the next start. "Running" means
 * "somebody holds the lock", never "a pid file exists".
 *
 * Files under `$home/bridge/` (0600, directory 0700): `bridge.lock`, `bridge.pid`,
 * `status.json` (state and counters the bridge keeps current), `cursors.json` (catch-up
 * cursors). The log is `$home/bridge.log`.
 *
 * Permissions: probing and {@linkcode acquireInstanceLock} need `--allow-read` and
 * `--allow-write` on the state directory; {@linkcode startDetached} also needs
 * `--allow-run=deno` (and read access to the deno binary's path); {@linkcode stopBridge}
 * needs `--allow-run` without a list, because `Deno.kill` requires it.
 *
 * @example Start the bridge in the background from a hook, if it is not running
 * ```ts ignore
 * import { bridgeCommand, startDetached } from "./daemon.ts";
 * import { loadConfig } from "./config.ts";
 *
 * const config = loadConfig();
 * const result = await startDetached({ home: config.home, ...bridgeCommand(config) });
 * console.log(result.started ? `started (pid ${result.pid})` : `already running (pid ${result.pid})`);
 * ```
 *
 * @example Probe the state directory
 * ```ts
 * import assert from "node:assert/strict";
 * import { probeBridge } from "./daemon.ts";
 *
 * const status = probeBridge(Deno.makeTempDirSync());
 * assert(status.running === false);
 * ```
 *
 * @module
 */
import { ENV_VARS } from "./config.ts";
import { ClaudeDiscordError, StateError } from "./errors.ts";
import { ensurePrivateDir, readTextIfExists, writePrivateFileAtomic } from "./_shared/fs.ts";

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
  /** The bridge's log file. */
  log: string;
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
 * import { bridgePaths } from "./daemon.ts";
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
    log: `${root}/bridge.log`,
  };
}

/** What the running bridge reports in `status.json`. */
export interface BridgeStatusFile {
  /** The bridge's pid. */
  pid: number;
  /** ISO time the process started. */
  startedAt: string;
  /** Gateway state. */
  state: "starting" | "connected" | "reconnecting" | "stopping";
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
 * import { acquireInstanceLock, probeBridge } from "./daemon.ts";
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

/** The instance lock, held by the running bridge until released or the process ends. */
export interface InstanceLock extends Disposable {
  /** The pid written to the pid file. */
  readonly pid: number;
  /** The bridge's files. */
  readonly paths: BridgePaths;
  /** Removes the pid file (if still ours) and releases the lock. Idempotent. */
  release(): void;
}

/** The result of {@linkcode acquireInstanceLock}. */
export type AcquireResult =
  | { acquired: true; lock: InstanceLock }
  | { acquired: false; pid: number | undefined };

/** Options of {@linkcode acquireInstanceLock}. */
export interface AcquireOptions {
  /** The pid to record. Default `Deno.pid`. */
  pid?: number;
  /** Tries before giving up (a probe holds the lock for a moment). Default 6. */
  attempts?: number;
  /** Pause between tries in ms. Default 50. */
  intervalMs?: number;
}

/**
 * Takes the single-instance lock for `home` and writes the pid file.
 *
 * A lock left by a killed bridge does not exist (the kernel released it), so this only
 * fails while another bridge runs; it then reports that bridge's pid.
 *
 * @param home The state directory.
 * @param options Pid to record and retry pacing.
 * @returns The lock, or the pid of the bridge that holds it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { acquireInstanceLock } from "./daemon.ts";
 * const home = Deno.makeTempDirSync();
 * const first = await acquireInstanceLock(home);
 * const second = await acquireInstanceLock(home, { attempts: 1 });
 * assert(first.acquired && !second.acquired && second.pid === Deno.pid);
 * if (first.acquired) first.lock.release();
 * ```
 */
export async function acquireInstanceLock(
  home: string,
  options: AcquireOptions = {},
): Promise<AcquireResult> {
  const paths = bridgePaths(home);
  const pid = options.pid ?? Deno.pid;
  const attempts = Math.max(1, options.attempts ?? 6);
  const intervalMs = options.intervalMs ?? 50;
  ensurePrivateDir(home);
  ensurePrivateDir(paths.dir);
  for (let attempt = 1;; attempt++) {
    const file = Deno.openSync(paths.lock, {
      read: true,
      write: true,
      create: true,
      mode: 0o600,
    });
    let locked = false;
    try {
      locked = file.tryLockSync(true);
    } catch (err) {
      file.close();
      throw new StateError(`Cannot lock ${paths.lock}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    if (locked) {
      writePrivateFileAtomic(paths.pid, `${pid}\n`);
      return { acquired: true, lock: heldLock(file, paths, pid) };
    }
    file.close();
    if (attempt >= attempts) return { acquired: false, pid: readPid(paths.pid) };
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

function heldLock(file: Deno.FsFile, paths: BridgePaths, pid: number): InstanceLock {
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    try {
      if (readPid(paths.pid) === pid) Deno.removeSync(paths.pid);
    } catch {
      // already gone
    }
    file.close(); // closing the descriptor releases the flock
  };
  return { pid, paths, release, [Symbol.dispose]: release };
}

function readPid(path: string): number | undefined {
  const text = readTextIfExists(path)?.trim();
  if (!text || !/^[0-9]+$/.test(text)) return undefined;
  return Number(text);
}

/**
 * Reads `status.json` of the bridge (whatever bridge wrote it last).
 *
 * @param home The state directory.
 * @returns The status, or `undefined` when absent or unreadable.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readBridgeStatus } from "./daemon.ts";
 * assert(readBridgeStatus(Deno.makeTempDirSync()) === undefined);
 * ```
 */
export function readBridgeStatus(home: string): BridgeStatusFile | undefined {
  const text = readTextIfExists(bridgePaths(home).status);
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text);
    return value && typeof value === "object" && typeof value.pid === "number"
      ? value as BridgeStatusFile
      : undefined;
  } catch {
    return undefined;
  }
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
 * import { readBridgeStatus, writeBridgeStatus } from "./daemon.ts";
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

/** How to run the bridge as a process. */
export interface BridgeCommand {
  /** The executable (the deno binary). */
  command: string;
  /** Its arguments: `run`, the permission flags, the module. */
  args: string[];
  /** Working directory (the module's directory, so its deno.json applies), if local. */
  cwd?: string;
}

/**
 * The Deno and V8 flags of the bridge process: {@linkcode bridgeCommand} puts them before its
 * permission flags, and `deno task start` (deno.json) carries the same (a test checks).
 *
 * The bridge is a long-lived daemon that mostly waits; they trade a little CPU for memory:
 * - `--no-code-cache`: no V8 code cache database mapped and cached in memory (about 5 MiB);
 *   the bridge compiles its modules once per start.
 * - `--optimize-for-size`: V8's small-memory heuristics.
 * - `--max-opt=1`: no optimizing compilers (Maglev, TurboFan), whose code, compiler memory and
 *   pages of the deno binary cost about 11 MiB; the baseline compiler still runs, and burst
 *   ingest stays above 10,000 messages per second (bench/bridge_bench.ts).
 * - `--gc-memory-reducer-start-delay-ms=1000`, `--memory-reducer-delay-ms=1000`: after a burst,
 *   V8 collects and returns its garbage after about a second of quiet instead of about ten.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BRIDGE_RUNTIME_FLAGS, bridgeCommand } from "./daemon.ts";
 * const cmd = bridgeCommand({ home: "/h", apiUrl: "https://discord.com/api", denoPath: "deno" });
 * assert(cmd.args[1] === BRIDGE_RUNTIME_FLAGS[0]);
 * ```
 */
export const BRIDGE_RUNTIME_FLAGS: readonly string[] = [
  "--no-code-cache",
  "--v8-flags=--optimize-for-size,--max-opt=1,--gc-memory-reducer-start-delay-ms=1000," +
  "--memory-reducer-delay-ms=1000",
];

/** What {@linkcode bridgeCommand} needs to know. */
export interface BridgeCommandOptions {
  /** The state directory (absolute). */
  home: string;
  /** The REST base (`DISCORD_API_URL`). */
  apiUrl: string;
  /** The webhook URL, when set (its host is read once at start). */
  webhookUrl?: string;
  /** The bridge module. Default: `bridge.ts` next to this module. */
  moduleUrl?: string;
  /** The deno binary. Default `Deno.execPath()`. */
  denoPath?: string;
  /** Extra arguments for the bridge itself. */
  bridgeArgs?: string[];
}

/**
 * The least-permission `deno run` command line of the bridge.
 *
 * Net access is the API host plus, for Discord, `*.discord.gg` (the gateway and its
 * resume hosts); for any other API host its whole host (the gateway URL it announces).
 * Read and write: the state directory. Env: the configuration variables (config.ts `ENV_VARS`), `HOME`, and two
 * variables the `ws` package reads when loaded. Run: `ps` only, which tells whether a
 * session's process is alive (Deno lets only `--allow-all` read `/proc`). Deno and V8 run
 * with {@linkcode BRIDGE_RUNTIME_FLAGS}, which keep a long-lived bridge's resident memory
 * small and flat.
 *
 * @param options State directory, API and webhook URLs, module.
 * @returns Command, arguments and working directory.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bridgeCommand } from "./daemon.ts";
 * const cmd = bridgeCommand({ home: "/h", apiUrl: "https://discord.com/api", denoPath: "deno" });
 * assert(cmd.args.includes("--allow-net=discord.com,*.discord.gg"));
 * assert(cmd.args.includes("--allow-write=/h"));
 * ```
 */
export function bridgeCommand(options: BridgeCommandOptions): BridgeCommand {
  const moduleUrl = options.moduleUrl ?? new URL("./bridge.ts", import.meta.url).href;
  const args = ["run", ...BRIDGE_RUNTIME_FLAGS, ...bridgePermissionFlags(options)];
  let cwd: string | undefined;
  if (moduleUrl.startsWith("file:")) {
    const path = decodeURIComponent(new URL(moduleUrl).pathname);
    cwd = path.slice(0, path.lastIndexOf("/")) || "/";
    args.push(path);
  } else {
    args.push(moduleUrl);
  }
  args.push(...(options.bridgeArgs ?? []));
  return { command: options.denoPath ?? Deno.execPath(), args, ...(cwd ? { cwd } : {}) };
}

/**
 * The permission flags of the bridge (see {@linkcode bridgeCommand}).
 *
 * @param options State directory and URLs.
 * @returns `--allow-net=…`, `--allow-read=…`, `--allow-write=…`, `--allow-env=…`,
 * `--allow-run=ps`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bridgePermissionFlags } from "./daemon.ts";
 * const flags = bridgePermissionFlags({ home: "/h", apiUrl: "http://127.0.0.1:8123/api" });
 * assert(flags[0] === "--allow-net=127.0.0.1");
 * ```
 */
export function bridgePermissionFlags(options: BridgeCommandOptions): string[] {
  const hosts = new Set<string>();
  for (const url of [options.apiUrl, options.webhookUrl]) {
    if (!url) continue;
    const host = new URL(url).hostname;
    hosts.add(host);
    if (host === "discord.com" || host.endsWith(".discord.com")) hosts.add("*.discord.gg");
  }
  const env = [...ENV_VARS, ...BRIDGE_EXTRA_ENV];
  return [
    `--allow-net=${[...hosts].join(",")}`,
    `--allow-read=${options.home}`,
    `--allow-write=${options.home}`,
    `--allow-env=${env.join(",")}`,
    "--allow-run=ps",
  ];
}

/** Env vars read by the bridge's dependencies at load time (`ws`). */
const BRIDGE_EXTRA_ENV: readonly string[] = ["WS_NO_BUFFER_UTIL", "WS_NO_UTF_8_VALIDATE"];

/** Options of {@linkcode startDetached}. */
export interface DetachOptions extends BridgeCommand {
  /** The state directory (passed to the child as `CLAUDE_DISCORD_HOME`). */
  home: string;
  /** Extra environment for the child (the parent's is inherited). */
  env?: Record<string, string>;
  /** Wait up to this many ms for the child to take the lock (or exit). Default 0: return at once. */
  waitMs?: number;
}

/** The result of {@linkcode startDetached}. */
export interface DetachResult {
  /** `false` when a bridge was already running (nothing was spawned, or the child saw it). */
  started: boolean;
  /** The pid of the running bridge (the new child when started). */
  pid: number | undefined;
}

/**
 * Starts the bridge in the background unless one runs; returns without waiting for it
 * (unless `waitMs` is set). The child's stdio is closed: it logs to `bridge.log`.
 *
 * @param options The command (see {@linkcode bridgeCommand}), state directory, waiting.
 * @returns Whether it started, and the pid of the bridge.
 * @throws {ClaudeDiscordError} When, while waited for, the child exits with an error.
 *
 * @example
 * ```ts ignore
 * import { bridgeCommand, startDetached } from "./daemon.ts";
 * const home = "/abs/state";
 * await startDetached({ home, ...bridgeCommand({ home, apiUrl: "https://discord.com/api" }) });
 * ```
 */
export async function startDetached(options: DetachOptions): Promise<DetachResult> {
  const before = probeBridge(options.home);
  if (before.running) return { started: false, pid: before.pid };
  const child = new Deno.Command(options.command, {
    args: options.args,
    ...(options.cwd ? { cwd: options.cwd } : {}),
    env: { ...options.env, CLAUDE_DISCORD_HOME: options.home },
    stdin: "null",
    stdout: "null",
    stderr: "null",
    detached: true,
  }).spawn();
  child.unref();
  const waitMs = options.waitMs ?? 0;
  if (waitMs <= 0) return { started: true, pid: child.pid };
  let exit: Deno.CommandStatus | undefined;
  child.status.then((s) => (exit = s), () => {});
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline) {
    const now = probeBridge(options.home);
    if (now.running && now.pid === child.pid) return { started: true, pid: child.pid };
    if (exit !== undefined) {
      if (exit.success && now.running) return { started: false, pid: now.pid };
      throw new ClaudeDiscordError(
        `The bridge exited with code ${exit.code} right after starting: see ${
          bridgePaths(options.home).log
        }`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return { started: true, pid: child.pid };
}

/** Options of {@linkcode stopBridge}. */
export interface StopOptions {
  /** How long to wait after SIGTERM before SIGKILL, in ms. Default 10000. */
  timeoutMs?: number;
  /** Signal sender, for tests. Default `Deno.kill`. */
  kill?: (pid: number, signal: Deno.Signal) => void;
}

/** The result of {@linkcode stopBridge}. */
export interface StopResult {
  /** Whether a bridge was running. */
  wasRunning: boolean;
  /** Its pid. */
  pid?: number;
  /** Whether it had to be killed with SIGKILL. */
  forced: boolean;
}

/**
 * Stops the running bridge: SIGTERM (it flushes and releases the lock), then SIGKILL if it
 * still holds the lock after `timeoutMs`.
 *
 * @param home The state directory.
 * @param options Timeout and signal sender.
 * @returns What was stopped.
 * @throws {StateError} When a bridge holds the lock but its pid is unknown, or it survives SIGKILL.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stopBridge } from "./daemon.ts";
 * const result = await stopBridge(Deno.makeTempDirSync());
 * assert(result.wasRunning === false);
 * ```
 */
export async function stopBridge(home: string, options: StopOptions = {}): Promise<StopResult> {
  const status = probeBridge(home);
  if (!status.running) return { wasRunning: false, forced: false };
  const pid = status.pid;
  if (pid === undefined) {
    throw new StateError(
      `A bridge holds ${bridgePaths(home).lock} but ${bridgePaths(home).pid} is missing`,
    );
  }
  const kill = options.kill ?? Deno.kill;
  const send = (signal: Deno.Signal) => {
    try {
      kill(pid, signal);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  };
  send("SIGTERM");
  if (await waitUntilStopped(home, options.timeoutMs ?? 10_000)) {
    return { wasRunning: true, pid, forced: false };
  }
  send("SIGKILL");
  if (await waitUntilStopped(home, 5_000)) return { wasRunning: true, pid, forced: true };
  throw new StateError(`The bridge (pid ${pid}) still holds its lock after SIGKILL`);
}

async function waitUntilStopped(home: string, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (!probeBridge(home).running) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
