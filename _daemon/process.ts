// Private: starting the bridge in the background and stopping it (see daemon.ts).
import { ClaudeDiscordError, StateError } from "../errors.ts";
import type { BridgeCommand } from "./command.ts";
import { bridgePaths, probeBridge } from "./state.ts";
import { IdentifyBudgetError, identifyHalt } from "./identify.ts";

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
 * @throws {IdentifyBudgetError} While the IDENTIFY budget halts the bridge (identify.ts): a
 *   bridge started now would only be refused, and a loop of such starts is what the halt stops.
 * @throws {ClaudeDiscordError} When, while waited for, the child exits with an error.
 *
 * @example
 * ```ts ignore
 * import { bridgeCommand, startDetached } from "../daemon.ts";
 * const home = "/abs/state";
 * await startDetached({ home, ...bridgeCommand({ home, apiUrl: "https://discord.com/api" }) });
 * ```
 */
export async function startDetached(options: DetachOptions): Promise<DetachResult> {
  const before = probeBridge(options.home);
  if (before.running) return { started: false, pid: before.pid };
  const halt = identifyHalt(options.home);
  if (halt) throw new IdentifyBudgetError(halt);
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
 * import { stopBridge } from "../daemon.ts";
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
