// Private: the hook commands of the settings fragment: each role's least Deno permissions, its
// `deno run …` words and its shell command (settings.ts re-exports the public part).
import { ENV_VARS } from "../config.ts";
import type { Role, SettingsOptions } from "./types.ts";

/**
 * Claude Code's directory of session transcripts, as the hook's shell expands it (the
 * `--allow-read` of the roles that deliver messages).
 */
export const TRANSCRIPTS_DIR = "${CLAUDE_CONFIG_DIR:-$HOME/.claude}/projects";

/** The flag that lets a hook read the transcripts; its shell word is {@linkcode shellWord}'s. */
const READ_TRANSCRIPTS = `--allow-read=${TRANSCRIPTS_DIR}`;

/** Env vars a hook may read besides the config ones. */
const HOOK_ENV = [
  "CLAUDE_PID",
  "CLAUDE_CODE_SESSION_ID",
  "CLAUDE_CODE_ENTRYPOINT",
  "CLAUDE_PROJECT_DIR",
];

/**
 * The checkout this module is in (the directory of settings.ts), when it is a local one.
 *
 * @returns An absolute path without a trailing slash.
 * @throws {TypeError} When the module was not loaded from a file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkoutDir } from "./hook_command.ts";
 * assert(Deno.statSync(`${checkoutDir()}/settings.ts`).isFile);
 * ```
 */
export function checkoutDir(): string {
  const url = new URL("..", import.meta.url);
  if (url.protocol !== "file:") {
    throw new TypeError("settings.ts needs a local checkout: pass `root`");
  }
  return decodeURIComponent(url.pathname).replace(/\/+$/, "");
}

/**
 * Single-quotes a word for sh (a word of safe characters stays as it is).
 *
 * @param word The word.
 * @returns The word as sh reads it back.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { shellQuote } from "../settings.ts";
 * assert.equal(shellQuote("/usr/bin/deno"), "/usr/bin/deno");
 * assert.equal(shellQuote("it's here"), `'it'\\''s here'`);
 * ```
 */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** A word of a hook command: quoted, except the transcripts flag, which the shell expands. */
function shellWord(word: string): string {
  return word === READ_TRANSCRIPTS ? `--allow-read="${TRANSCRIPTS_DIR}"` : shellQuote(word);
}

/**
 * The least Deno permission flags of a hook role.
 *
 * @param role The role.
 * @param options State directory, deno path, hosts.
 * @returns The flags, in a stable order.
 *
 * @example The delivery hooks get no network; they read the transcripts
 * ```ts
 * import assert from "node:assert/strict";
 * import { rolePermissionFlags, TRANSCRIPTS_DIR } from "../settings.ts";
 * const flags = rolePermissionFlags("deliver", { home: "/h" });
 * assert(flags.join(" ") === `--allow-read=/h --allow-write=/h --allow-read=${TRANSCRIPTS_DIR}`);
 * ```
 */
export function rolePermissionFlags(role: Role, options: SettingsOptions): string[] {
  const home = options.home;
  const env = `--allow-env=${[...ENV_VARS, ...HOOK_ENV].join(",")}`;
  switch (role) {
    case "deliver":
      return [`--allow-read=${home}`, `--allow-write=${home}`, READ_TRANSCRIPTS];
    case "wake":
      return [`--allow-read=${home}`, `--allow-write=${home}`, env, READ_TRANSCRIPTS];
    case "register":
      return [
        `--allow-read=${home}`,
        `--allow-write=${home}`,
        env,
        `--allow-run=${options.denoPath ?? Deno.execPath()}`,
        READ_TRANSCRIPTS,
      ];
    case "status":
    case "notice":
    case "end":
    case "permission":
      // The posting roles write the outbox and start the bridge that sends it; the host name
      // goes into STATUS embeds.
      return [
        `--allow-read=${home}`,
        `--allow-write=${home}`,
        env,
        `--allow-run=${options.denoPath ?? Deno.execPath()}`,
        "--allow-sys=hostname",
      ];
  }
}

/**
 * The `deno run …` words of a hook role.
 *
 * @param role The role.
 * @param timeout The hook's timeout in seconds (the hook stops before it).
 * @param options Paths and hosts.
 * @param event The hook event the command is for: given, it is passed as `--event` (with the
 *   `--session` that fast.sh adds, the delivery hook then need not read stdin).
 * @returns argv, starting with the deno binary.
 *
 * @example The delivery role runs the bundle, with its event
 * ```ts
 * import assert from "node:assert/strict";
 * import { hookArgv } from "../settings.ts";
 * const argv = hookArgv("deliver", 30, { home: "/h", root: "/ck", denoPath: "/d" }, "PostToolUse");
 * assert.equal(argv[0], "/d");
 * assert(argv.includes("/ck/hooks/deliver.bundle.js") && argv.includes("--event=PostToolUse"));
 * ```
 */
export function hookArgv(
  role: Role,
  timeout: number,
  options: SettingsOptions,
  event?: string,
): string[] {
  const root = options.root ?? checkoutDir();
  const deno = options.denoPath ?? Deno.execPath();
  const argv = [
    deno,
    "run",
    "--no-prompt",
    "--no-lock",
    "--quiet",
    // The hooks import only relative modules: no config, so none is searched for and
    // parsed at every start, and a deno.json of the project Claude works in never applies.
    "--no-config",
    // The delivery role runs on every tool call that finds mail: one pre-bundled module of
    // its own (hooks/deliver.ts bundled), compiled faster than V8's code cache is opened, and
    // run by V8's interpreter alone (a short run gains nothing from compiling machine code).
    ...(role === "deliver" ? ["--no-code-cache", "--v8-flags=--jitless"] : []),
    ...rolePermissionFlags(role, options),
    role === "deliver" ? `${root}/hooks/deliver.bundle.js` : `${root}/hooks/hook.ts`,
    `--role=${role}`,
    `--home=${options.home}`,
    `--timeout=${timeout}`,
  ];
  // The roles that may start the bridge are told which deno to start it with.
  if (role !== "deliver" && role !== "wake") argv.push(`--deno=${deno}`);
  if (event !== undefined) argv.push(`--event=${event}`);
  return argv;
}

/**
 * The shell command of a hook role: its `deno run …` words, quoted, or (`fast`) those words
 * handed to hooks/fast.sh, which checks for work before Deno starts.
 *
 * @param role The role.
 * @param timeout The hook's timeout in seconds.
 * @param options Paths and hosts.
 * @param fast The fast.sh mode, when the command goes through it.
 * @param event The hook event (see {@linkcode hookArgv}).
 * @returns The command line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { hookCommand } from "./hook_command.ts";
 * const options = { home: "/h", root: "/ck", denoPath: "/d" };
 * assert(hookCommand("register", 30, options, "register").endsWith(". /ck/hooks/fast.sh"));
 * assert(hookCommand("end", 15, options).startsWith("/d run "));
 * ```
 */
export function hookCommand(
  role: Role,
  timeout: number,
  options: SettingsOptions,
  fast?: "deliver" | "prompt" | "register",
  event?: string,
): string {
  const words = hookArgv(role, timeout, options, event);
  if (fast === undefined) return words.map(shellWord).join(" ");
  // fast.sh is sourced by the hook's own `sh -c`, its arguments set first: no second shell
  // process on every tool call (a process start costs about 3 ms), and Deno, when it
  // starts, replaces that shell (`exec`).
  const root = options.root ?? checkoutDir();
  const args = [fast, options.home, ...words].map(shellWord).join(" ");
  return `set -- ${args}; . ${shellQuote(`${root}/hooks/fast.sh`)}`;
}
