#!/usr/bin/env -S deno run --no-prompt --allow-read --allow-write --allow-env --allow-run --allow-sys=hostname
/**
 * The Claude Code hooks of claude-discord: one Deno dispatcher for every hook event,
 * with a role per settings entry, and a POSIX sh fast path (`hooks/fast.sh`) in front of
 * the hooks that run on every tool call.
 *
 * | event | role | what it does | Deno permissions (settings.ts bakes them) |
 * |---|---|---|---|
 * | PostToolUse, PostToolUseFailure, UserPromptSubmit | `deliver` | claims the session's mailbox and returns the Discord messages as `additionalContext` (behind `fast.sh`: Deno starts only when mail is pending) | read+write the state dir; no env, no net |
 * | SessionStart, PreToolUse | `register` | registers the session (name, cwd, Claude Code pid from `CLAUDE_PID`), moves held messages to a starting session (and delivers them), starts the bridge if it is not running (PreToolUse behind `fast.sh`) | state dir, env, run deno |
 * | Stop | `status` | queues STATUS "done" with `last_assistant_message` for the session's thread | state dir, env, run deno, host name; no net |
 * | Stop (asyncRewake) | `wake` | waits for the next message for the session and wakes Claude with it (exit 2, stderr); not under `claude -p` | state dir, env; no net |
 * | StopFailure, PostToolUseFailure (async), Notification (async) | `notice` | queues error and attention notices for the thread | state dir, env, run deno, host name; no net |
 * | SessionEnd | `end` | cancels the wait, unregisters, queues a notice | state dir, env, run deno, host name; no net |
 * | PermissionRequest | `permission` | asks in Discord with Allow / Deny / Allow for this session buttons (or a text reply); answers with the decision, or none on timeout | state dir, env, run deno, host name; no net |
 * | PreToolUse of a session stopped from Discord | `stop` | blocks the call and ends the turn (`fast.sh` starts it instead of `register` while the session's stop marker is non-empty, see `stop.ts`) | the register role's |
 *
 * No role touches the network. What the roles post goes into the outbox (`outbox.ts`), which
 * the bridge sends; a role that queues something starts the bridge when it is not running
 * and never waits for it or for Discord (the permission role waits for the user's answer, as
 * a file in the prompt's mailbox).
 *
 * The shebang above asks for the union (one file serves every role); the settings give each
 * role only its own flags. Permission prompts and the bridge meet through the posts index
 * and a per-prompt mailbox `perm-<requestId>`: see `hooks/_permission.ts`.
 *
 * Every role reads the stdin JSON defensively (garbage: one log line, exit 0), logs to
 * `$CLAUDE_DISCORD_HOME/hooks.log`, prints only the JSON Claude Code expects, stops
 * before its own timeout (`--timeout`, the settings' value), and on any internal error
 * logs it and exits 0 with no decision. Only the `wake` role ever exits 2.
 *
 * Delivered text frames each event as a Discord message from a named user
 * (`<discord-message id from user-id time where>`), as data. See `hooks/_format.ts`.
 *
 * ```sh
 * echo '{"session_id":"abc","hook_event_name":"PostToolUse"}' |
 *   deno run --no-prompt --allow-read=$HOME/.claude/discord --allow-write=$HOME/.claude/discord \
 *   hooks/hook.ts --role deliver --home $HOME/.claude/discord
 * ```
 *
 * @example Run a role in-process (what the tests do)
 * ```ts
 * import assert from "node:assert/strict";
 * import { runHook } from "./hook.ts";
 * import { createLogger } from "../log.ts";
 * import { loadConfig } from "../config.ts";
 *
 * const home = Deno.makeTempDirSync();
 * const out: string[] = [];
 * const code = await runHook("deliver", {
 *   session_id: "s1",
 *   hook_event_name: "PostToolUse",
 * }, {
 *   home,
 *   env: {},
 *   now: Date.now,
 *   log: createLogger(`${home}/hooks.log`),
 *   out: (t) => out.push(t),
 *   err: () => {},
 *   deadline: Date.now() + 10_000,
 *   signal: new AbortController().signal,
 *   config: () => loadConfig({ env: { CLAUDE_DISCORD_HOME: home } }),
 * });
 * assert(code === 0 && out.length === 0); // nothing pending: no output
 * ```
 *
 * @module
 */
import type { HookContext, HookRole } from "./_context.ts";
import type { ByteSource, HookInput } from "./_input.ts";
import { type Entry, type MainDeps, runMain, runScript } from "./_main.ts";

export type { ByteSource, HookContext, HookInput, HookRole, MainDeps };
export type { Logger } from "../log.ts";
export type { Config, Options } from "../config.ts";

/** Every role name, for argument checks. */
export const HOOK_ROLES: readonly HookRole[] = [
  "deliver",
  "register",
  "status",
  "wake",
  "notice",
  "permission",
  "end",
  "stop",
];

/**
 * Runs one role for one hook input. Throws what the role throws (main() logs it).
 *
 * @param role The role.
 * @param input The parsed stdin.
 * @param ctx State directory, clock, output, deadline, config.
 * @returns The exit code: 0, or 2 when the wake role wakes Claude.
 *
 * @example Deliver nothing from an empty mailbox
 * ```ts
 * import assert from "node:assert/strict";
 * import { runHook } from "./hook.ts";
 * import { createLogger } from "../log.ts";
 * import { loadConfig } from "../config.ts";
 *
 * const home = Deno.makeTempDirSync();
 * const code = await runHook("deliver", { session_id: "s", hook_event_name: "UserPromptSubmit" }, {
 *   home, env: {}, now: Date.now, log: createLogger(`${home}/hooks.log`),
 *   out: () => {}, err: () => {}, deadline: Date.now() + 5000,
 *   signal: new AbortController().signal,
 *   config: () => loadConfig({ env: { CLAUDE_DISCORD_HOME: home } }),
 * });
 * assert(code === 0);
 * ```
 */
export async function runHook(
  role: HookRole,
  input: HookInput,
  ctx: HookContext,
): Promise<number> {
  // Each role loads only its own modules: the delivery hook runs on every tool call that
  // finds mail, and module loading is most of a Deno hook's start-up time.
  switch (role) {
    case "deliver":
      return await (await import("./_deliver.ts")).deliverRole(input, ctx);
    case "register":
      return await (await import("./_register.ts")).registerRole(input, ctx);
    case "status":
      return await (await import("./_stop.ts")).statusRole(input, ctx);
    case "wake":
      return await (await import("./_stop.ts")).wakeRole(input, ctx);
    case "notice":
      return await (await import("./_notice.ts")).noticeRole(input, ctx);
    case "end":
      return await (await import("./_notice.ts")).endRole(input, ctx);
    case "permission":
      return await (await import("./_permission.ts")).permissionRole(input, ctx);
    case "stop":
      return await (await import("./_stop_gate.ts")).stopRole(input, ctx);
  }
}

const ENTRY: Entry = {
  name: "hook.ts",
  summary: "Claude Code hook dispatcher of claude-discord",
  roles: HOOK_ROLES,
  run: runHook,
  config: () => import("../config.ts"),
};

/**
 * The hook entry point: parses arguments and stdin, runs the role, never throws.
 *
 * @param args Command-line arguments.
 * @param deps Injectable stdin, env, clock and output (tests).
 * @returns The exit code.
 *
 * @example Garbage on stdin is logged and ignored
 * ```ts
 * import assert from "node:assert/strict";
 * import { main } from "./hook.ts";
 * const home = Deno.makeTempDirSync();
 * const code = await main(["--home", home, "--role", "deliver"], {
 *   stdin: ReadableStream.from([new TextEncoder().encode("not json")]),
 *   out: () => { throw new Error("must not print"); },
 * });
 * assert(code === 0);
 * ```
 */
export function main(args: string[], deps: MainDeps = {}): Promise<number> {
  return runMain(ENTRY, args, deps);
}

if (import.meta.main) await runScript(main);
