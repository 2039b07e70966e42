// Private: the command-line side shared by the hook entry points (hook.ts, every role;
// deliver.ts, the delivery role alone): arguments, stdin, the log, the deadline, and the
// rule that a hook never fails the session (any internal error: logged, exit 0).
//
// Kept free of role modules: an entry point's module graph (every import Deno can see,
// dynamic ones too) is what Deno reads at start-up, and deliver.ts is on the path of every
// tool call that finds mail.
import { createLogger, describeError, type Logger } from "../log.ts";
import {
  defaultRole,
  describeInput,
  HOOK_ENV_VARS,
  type HookContext,
  type HookRole,
  lazyConfig,
} from "./_context.ts";
import { readEnv } from "../_shared/env.ts";
import { after, type ByteSource, type HookInput, parseHookInput, readAllText } from "./_input.ts";

/** Injectable pieces of an entry point's `main`. */
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

/** What an entry point runs. */
export interface Entry {
  /** Its file name, for the usage text. */
  name: string;
  /** One line on what it is. */
  summary: string;
  /** The roles it can run. */
  roles: readonly HookRole[];
  /** Runs one role. */
  run: (role: HookRole, input: HookInput, ctx: HookContext) => Promise<number>;
  /**
   * Loads config.ts, for the environment and configuration of the roles that need them and
   * for the state directory when `--home` is missing. Without it the entry runs the deliver
   * role only, and only with `--home`.
   */
  config?: () => Promise<typeof import("../config.ts")>;
}

/** The command line of a hook entry point. */
interface HookArgs {
  role?: string;
  home?: string;
  timeout?: string;
  deno?: string;
  session?: string;
  event?: string;
  help?: boolean;
}

const OPTIONS: ReadonlySet<string> = new Set([
  "role",
  "home",
  "timeout",
  "deno",
  "session",
  "event",
]);

function helpText(entry: Entry): string {
  return `Usage: ${entry.name} [--role ROLE] [--home DIR] [--timeout SECONDS] [--deno PATH]

${entry.summary}: reads the hook JSON on stdin.
  --role      ${entry.roles.join(" | ")} (default: from hook_event_name)
  --home      state directory (default: $CLAUDE_DISCORD_HOME or ~/.claude/discord)
  --timeout   the hook's timeout in the settings, in seconds (default 60); the hook
              finishes before it
  --deno      the deno binary, for starting the bridge
  --session, --event  the session id and hook event, given together: stdin is not read
              (fast.sh passes the session id it took from CLAUDE_CODE_SESSION_ID)
Always exits 0 (the wake role exits 2 to wake Claude); problems go to hooks.log.`;
}

/**
 * Parses `--name value`, `--name=value` and `--help`/`-h`. Hand-written: importing
 * `node:util` for parseArgs costs a hook about 35 ms of start-up.
 */
function parseHookArgs(args: readonly string[]): HookArgs {
  const out: HookArgs = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--help" || arg === "-h") {
      out.help = true;
      continue;
    }
    const m = /^--([a-z]+)(?:=(.*))?$/s.exec(arg);
    if (!m || !OPTIONS.has(m[1])) throw new TypeError(`Unknown option ${JSON.stringify(arg)}`);
    const value = m[2] ?? args[++i];
    if (value === undefined) throw new TypeError(`Option --${m[1]} needs a value`);
    out[m[1] as Exclude<keyof HookArgs, "help">] = value;
  }
  return out;
}

function writeAll(file: { writeSync(p: Uint8Array): number }, text: string): void {
  const bytes = new TextEncoder().encode(text);
  let done = 0;
  while (done < bytes.length) done += file.writeSync(bytes.subarray(done));
}

/**
 * An entry point's main: parses arguments and stdin, runs the role, never throws.
 *
 * @param entry The entry point (its roles and how to run them).
 * @param args Command-line arguments.
 * @param deps Injectable stdin, env, clock and output (tests).
 * @returns The exit code.
 */
export async function runMain(entry: Entry, args: string[], deps: MainDeps = {}): Promise<number> {
  const now = deps.now ?? Date.now;
  const started = now();
  let opts: HookArgs;
  try {
    opts = parseHookArgs(args);
  } catch (err) {
    // A hook must not fail the session over its own command line: note it and go.
    try {
      (deps.err ?? ((t) => writeAll(Deno.stderr, t)))(`${entry.name}: ${describeError(err)}\n`);
    } catch {
      // Any failure: no stderr to write to.
    }
    return 0;
  }
  const err = deps.err ?? ((t: string) => writeAll(Deno.stderr, t));
  if (opts.help) {
    (deps.out ?? ((t: string) => writeAll(Deno.stdout, t)))(helpText(entry) + "\n");
    return 0;
  }
  // config.ts and the environment are loaded only when needed: the delivery hook (on
  // every tool call that finds mail) needs neither, and every module costs start-up time.
  let configModule: typeof import("../config.ts") | undefined;
  let env = deps.env;
  const fullEnv = async () => {
    if (entry.config === undefined) throw new Error(`${entry.name} reads no configuration`);
    configModule ??= await entry.config();
    env ??= readEnv([...configModule.ENV_VARS, ...HOOK_ENV_VARS, "CLAUDE_PROJECT_DIR"]);
    return env;
  };
  let home: string;
  try {
    if (opts.home !== undefined) home = opts.home;
    else {
      const e = await fullEnv();
      home = configModule!.stateHome(e);
    }
  } catch {
    // Any failure: without a state directory there is no log to write to, and a hook never
    // fails the session.
    return 0;
  }
  const log: Logger = createLogger(`${home.replace(/\/+$/, "")}/hooks.log`);
  const timeoutSeconds = Number(opts.timeout ?? 60);
  const budgetMs = Number.isFinite(timeoutSeconds) && timeoutSeconds > 0
    ? timeoutSeconds * 1000
    : 60_000;
  // Leave room to exit cleanly before Claude Code kills the hook.
  const deadline = started + budgetMs - Math.min(3000, budgetMs * 0.2);

  let text: string;
  if (opts.session !== undefined && opts.event !== undefined) {
    // The caller knows what the hook needs from stdin (fast.sh, with the session id Claude
    // Code puts in the environment; the settings name the event): stdin, which holds a whole
    // tool output after a tool call, is left unread, as fast.sh leaves it when nothing waits.
    text = JSON.stringify({ session_id: opts.session, hook_event_name: opts.event });
  } else {
    const read = await readAllText(
      deps.stdin ?? Deno.stdin,
      Math.max(100, Math.min(5000, deadline - now())),
    );
    if ("error" in read) {
      log.warn(`hook input ignored: ${read.error}`);
      return 0;
    }
    text = read.text;
  }
  const input = parseHookInput(text);
  if (typeof input === "string") {
    log.warn(`hook input ignored: ${input}`);
    return 0;
  }
  const role = (opts.role ?? defaultRole(input.hook_event_name)) as HookRole | undefined;
  if (role === undefined || !entry.roles.includes(role)) {
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
    return await Promise.race([entry.run(role, input, ctx), overrun]);
  } catch (error) {
    log.error(`${describeInput(input)}: ${role} failed`, error);
    return 0;
  }
}

/** The script side of an entry point: runs `main` and exits with its code, whatever happens. */
export async function runScript(main: (args: string[]) => Promise<number>): Promise<never> {
  globalThis.addEventListener("unhandledrejection", (e) => {
    e.preventDefault();
    Deno.exit(0);
  });
  let code = 0;
  try {
    code = await main(Deno.args);
  } catch {
    code = 0; // the hooks' rule: whatever happens, exit 0 (main logged what it could)
  }
  // Watchers and timers of an abandoned role must not keep the hook alive.
  Deno.exit(code);
}
