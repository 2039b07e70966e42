#!/usr/bin/env -S deno run --no-prompt --allow-read --allow-write --allow-env --allow-net --allow-run --allow-sys=hostname
/**
 * The Claude Code hooks of claude-discord: one Deno dispatcher for every hook event,
 * with a role per settings entry, and a POSIX sh fast path (`hooks/fast.sh`) in front of
 * the hooks that run on every tool call.
 *
 * | event | role | what it does | Deno permissions (settings.ts bakes them) |
 * |---|---|---|---|
 * | PostToolUse, PostToolUseFailure, UserPromptSubmit | `deliver` | claims the session's mailbox and returns the Discord messages as `additionalContext` (behind `fast.sh`: Deno starts only when mail is pending) | read+write the state dir; no env, no net |
 * | SessionStart, PreToolUse | `register` | registers the session (name, cwd, Claude Code pid from `CLAUDE_PID`), moves held messages to a starting session (and delivers them), starts the bridge if it is not running (PreToolUse behind `fast.sh`) | state dir, env, run deno |
 * | Stop | `status` | posts STATUS "done" with `last_assistant_message` to the session's thread | state dir, env, net to the Discord hosts |
 * | Stop (asyncRewake) | `wake` | waits for the next message for the session and wakes Claude with it (exit 2, stderr); not under `claude -p` | state dir, env; no net |
 * | StopFailure, PostToolUseFailure (async), Notification (async) | `notice` | error and attention notices to the thread | state dir, env, net |
 * | SessionEnd | `end` | cancels the wait, unregisters, posts a notice | state dir, env, net |
 * | PermissionRequest | `permission` | asks in Discord with Allow / Deny / Allow for this session buttons (or a text reply); answers with the decision, or none on timeout | state dir, env, net |
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
 * console.assert(code === 0 && out.length === 0); // nothing pending: no output
 * ```
 *
 * @module
 */
import { createLogger, describeError, type Logger } from "../log.ts";
import {
  defaultRole,
  describeInput,
  HOOK_ENV_VARS,
  type HookContext,
  type HookRole,
  lazyConfig,
  readEnv,
} from "./_context.ts";
import { after, type ByteSource, type HookInput, parseHookInput, readAllText } from "./_input.ts";

export type { ByteSource, HookContext, HookInput, HookRole };
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
 * console.assert(code === 0);
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
  }
}

const HELP = `Usage: hook.ts [--role ROLE] [--home DIR] [--timeout SECONDS] [--deno PATH]

Claude Code hook dispatcher of claude-discord: reads the hook JSON on stdin.
  --role      ${HOOK_ROLES.join(" | ")} (default: from hook_event_name)
  --home      state directory (default: $CLAUDE_DISCORD_HOME or ~/.claude/discord)
  --timeout   the hook's timeout in the settings, in seconds (default 60); the hook
              finishes before it
  --deno      the deno binary, for starting the bridge
Always exits 0 (the wake role exits 2 to wake Claude); problems go to hooks.log.`;

/** The command line of hook.ts. */
interface HookArgs {
  role?: string;
  home?: string;
  timeout?: string;
  deno?: string;
  help?: boolean;
}

/**
 * Parses `--name value`, `--name=value` and `--help`/`-h`. Hand-written: importing
 * `node:util` for parseArgs costs a hook about 35 ms of start-up.
 */
function parseHookArgs(args: readonly string[]): HookArgs {
  const out: HookArgs = {};
  const names = new Set(["role", "home", "timeout", "deno"]);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--help" || arg === "-h") {
      out.help = true;
      continue;
    }
    const m = /^--([a-z]+)(?:=(.*))?$/s.exec(arg);
    if (!m || !names.has(m[1])) throw new TypeError(`Unknown option ${JSON.stringify(arg)}`);
    const value = m[2] ?? args[++i];
    if (value === undefined) throw new TypeError(`Option --${m[1]} needs a value`);
    out[m[1] as "role" | "home" | "timeout" | "deno"] = value;
  }
  return out;
}

function writeAll(file: { writeSync(p: Uint8Array): number }, text: string): void {
  const bytes = new TextEncoder().encode(text);
  let done = 0;
  while (done < bytes.length) done += file.writeSync(bytes.subarray(done));
}

/** Injectable pieces of {@linkcode main}. */
export interface MainDeps {
  /** The hook input. Default `Deno.stdin`. */
  stdin?: ByteSource;
  /** Environment. Default: the named variables, as permitted. */
  env?: Record<string, string | undefined>;
  /** Clock. */
  now?: () => number;
  /** Output. */
  out?: (text: string) => void;
  /** Error output. */
  err?: (text: string) => void;
}

/**
 * The hook entry point: parses arguments and stdin, runs the role, never throws.
 *
 * @param args Command-line arguments.
 * @param deps Injectable stdin, env, clock and output (tests).
 * @returns The exit code.
 *
 * @example Garbage on stdin is logged and ignored
 * ```ts
 * import { main } from "./hook.ts";
 * const home = Deno.makeTempDirSync();
 * const code = await main(["--home", home, "--role", "deliver"], {
 *   stdin: ReadableStream.from([new TextEncoder().encode("not json")]),
 *   out: () => { throw new Error("must not print"); },
 * });
 * console.assert(code === 0);
 * ```
 */
export async function main(args: string[], deps: MainDeps = {}): Promise<number> {
  const now = deps.now ?? Date.now;
  const started = now();
  let opts: HookArgs;
  try {
    opts = parseHookArgs(args);
  } catch (err) {
    // A hook must not fail the session over its own command line: note it and go.
    try {
      (deps.err ?? ((t) => writeAll(Deno.stderr, t)))(`hook.ts: ${describeError(err)}\n`);
    } catch {
      // no stderr
    }
    return 0;
  }
  const err = deps.err ?? ((t: string) => writeAll(Deno.stderr, t));
  if (opts.help) {
    (deps.out ?? ((t: string) => writeAll(Deno.stdout, t)))(HELP + "\n");
    return 0;
  }
  // config.ts and the environment are loaded only when needed: the delivery hook (on
  // every tool call that finds mail) needs neither, and every module costs start-up time.
  let configModule: typeof import("../config.ts") | undefined;
  let env = deps.env;
  const fullEnv = async () => {
    configModule ??= await import("../config.ts");
    env ??= readEnv([...configModule.ENV_VARS, ...HOOK_ENV_VARS, "CLAUDE_PROJECT_DIR"]);
    return env;
  };
  let home: string;
  try {
    home = opts.home ?? (await import("../config.ts")).stateHome(await fullEnv());
  } catch {
    return 0;
  }
  const log: Logger = createLogger(`${home.replace(/\/+$/, "")}/hooks.log`);
  const timeoutSeconds = Number(opts.timeout ?? 60);
  const budgetMs = Number.isFinite(timeoutSeconds) && timeoutSeconds > 0
    ? timeoutSeconds * 1000
    : 60_000;
  // Leave room to exit cleanly before Claude Code kills the hook.
  const deadline = started + budgetMs - Math.min(3000, budgetMs * 0.2);

  const read = await readAllText(
    deps.stdin ?? Deno.stdin,
    Math.max(100, Math.min(5000, deadline - now())),
  );
  if ("error" in read) {
    log.warn(`hook input ignored: ${read.error}`);
    return 0;
  }
  const input = parseHookInput(read.text);
  if (typeof input === "string") {
    log.warn(`hook input ignored: ${input}`);
    return 0;
  }
  const role = (opts.role ?? defaultRole(input.hook_event_name)) as HookRole | undefined;
  if (role === undefined || !HOOK_ROLES.includes(role)) {
    log.warn(`${describeInput(input)}: no role "${opts.role ?? ""}" for this event; ignored`);
    return 0;
  }
  if (role !== "deliver") await fullEnv();
  const controller = new AbortController();
  const ctx: HookContext = {
    home,
    env: env ?? {},
    now,
    log,
    out: deps.out ?? ((t) => writeAll(Deno.stdout, t)),
    err,
    deadline,
    signal: controller.signal,
    ...(opts.deno ? { denoPath: opts.deno } : {}),
    config: configModule ? lazyConfig(home, env ?? {}, configModule) : () => {
      throw new Error("the deliver role reads no configuration");
    },
  };
  const overrun = after(Math.max(0, deadline - now())).then(() => {
    controller.abort();
    log.warn(`${describeInput(input)}: ${role} ran out of time; exiting with no decision`);
    return 0;
  });
  try {
    return await Promise.race([runHook(role, input, ctx), overrun]);
  } catch (error) {
    log.error(`${describeInput(input)}: ${role} failed`, error);
    return 0;
  }
}

if (import.meta.main) {
  globalThis.addEventListener("unhandledrejection", (e) => {
    e.preventDefault();
    Deno.exit(0);
  });
  let code = 0;
  try {
    code = await main(Deno.args);
  } catch {
    code = 0;
  }
  // Watchers and timers of an abandoned role must not keep the hook alive.
  Deno.exit(code);
}
