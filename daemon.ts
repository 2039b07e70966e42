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
 * `status.json` (state and counters the bridge keeps current; how its run ended),
 * `cursors.json` (catch-up cursors), `starts.json` and `starts.lock` (crashes in a row, kept by
 * {@linkcode ensureBridgeRunning}), `gateway.json` (the gateway session a restarted bridge
 * RESUMEs), `identify.json` (the IDENTIFY budget: while it records a halt,
 * {@linkcode startDetached} starts nothing), `session_threads.json` (the session threads the bot
 * has open on Discord, every machine's: {@linkcode readSessionThreads}). The log is
 * `$home/bridge.log`.
 *
 * {@linkcode ensureBridgeRunning} is the one way to keep the bridge running: a bridge that is
 * down starts at once, and only a bridge that keeps crashing soon after its start waits before
 * the next start, longer each time ({@linkcode restartDelay}).
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
export * from "./_daemon/state.ts";
export * from "./_daemon/lock.ts";
export * from "./_daemon/command.ts";
export * from "./_daemon/process.ts";
export * from "./_daemon/restart.ts";
export * from "./_daemon/identify.ts";
export * from "./_daemon/session_threads.ts";
