// Private: the bridge's command line: runtime flags and least permissions (see daemon.ts).
import { ENV_VARS } from "../config.ts";
import { REST_LIBRARY_ENV } from "../_discord/rest_env.ts";

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
 * import { BRIDGE_RUNTIME_FLAGS, bridgeCommand } from "../daemon.ts";
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
  /**
   * Claude Code's directory of session transcripts (`…/.claude/projects`), which the bridge
   * reads for the status cards ({@linkcode transcriptsDirOf}). Without it the cards show no
   * tools, turns, tokens or cost.
   */
  transcripts?: string;
}

/**
 * The least-permission `deno run` command line of the bridge.
 *
 * Net access is the API host plus, for Discord, `*.discord.gg` (the gateway and its
 * resume hosts) and the attachment CDN ({@linkcode DISCORD_CDN_HOSTS}); for any other API host
 * its whole host (the gateway URL and the attachment URLs it announces).
 * Read and write: the state directory; read: Claude Code's transcripts when given (the status
 * cards). Env: the configuration variables (config.ts `ENV_VARS`), `HOME`, and two
 * variables the `ws` package reads when loaded. Run: `ps` only, which tells whether a
 * session's process is alive (Deno lets only `--allow-all` read `/proc`). Sys: the host name,
 * which machine.ts records in `machine.json` when the bridge makes it. Deno and V8 run
 * with {@linkcode BRIDGE_RUNTIME_FLAGS}, which keep a long-lived bridge's resident memory
 * small and flat.
 *
 * @param options State directory, API and webhook URLs, module.
 * @returns Command, arguments and working directory.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bridgeCommand } from "../daemon.ts";
 * const cmd = bridgeCommand({ home: "/h", apiUrl: "https://discord.com/api", denoPath: "deno" });
 * assert(cmd.args.includes("--allow-net=discord.com,*.discord.gg,cdn.discordapp.com,media.discordapp.net"));
 * assert(cmd.args.includes("--allow-write=/h"));
 * ```
 */
export function bridgeCommand(options: BridgeCommandOptions): BridgeCommand {
  const moduleUrl = options.moduleUrl ?? new URL("../bridge.ts", import.meta.url).href;
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
 * `--allow-run=ps`, `--allow-sys=hostname` (machine.ts records the host name once), and
 * `--allow-read=<transcripts>` when given.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bridgePermissionFlags } from "../daemon.ts";
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
    if (host === "discord.com" || host.endsWith(".discord.com")) {
      hosts.add("*.discord.gg");
      for (const cdn of DISCORD_CDN_HOSTS) hosts.add(cdn);
    }
  }
  const env = [...ENV_VARS, ...BRIDGE_EXTRA_ENV];
  return [
    `--allow-net=${[...hosts].join(",")}`,
    `--allow-read=${options.home}`,
    `--allow-write=${options.home}`,
    `--allow-env=${env.join(",")}`,
    "--allow-run=ps",
    "--allow-sys=hostname",
    ...(options.transcripts ? [`--allow-read=${options.transcripts}`] : []),
  ];
}

/**
 * Claude Code's directory of session transcripts, from one transcript's path
 * (`<dir>/projects/<project>/<session>.jsonl`), or `undefined` when the path does not have that
 * shape (then the bridge gets no read access beyond the state directory).
 *
 * @param transcript A hook input's `transcript_path`.
 * @returns The `projects` directory.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { transcriptsDirOf } from "../daemon.ts";
 * assert.equal(transcriptsDirOf("/home/a/.claude/projects/-src-app/3f2a.jsonl"), "/home/a/.claude/projects");
 * assert.equal(transcriptsDirOf("/tmp/x.jsonl"), undefined);
 * ```
 */
export function transcriptsDirOf(transcript: string): string | undefined {
  const m = /^(\/(?:[^/\0]+\/)*projects)\/[^/\0]+\/[^/\0]+\.jsonl$/.exec(transcript);
  if (!m || m[1].split("/").some((part) => part === "." || part === "..")) return undefined;
  return m[1];
}

/**
 * Claude Code's directory of session transcripts for a user: `$CLAUDE_CONFIG_DIR/projects`,
 * else `$HOME/.claude/projects` (what setup and `bridge.ts --detach` give the bridge).
 *
 * @param env The environment.
 * @returns The directory, or `undefined` without either variable.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { transcriptsDirFor } from "../daemon.ts";
 * assert.equal(transcriptsDirFor({ HOME: "/home/a" }), "/home/a/.claude/projects");
 * ```
 */
export function transcriptsDirFor(env: Record<string, string | undefined>): string | undefined {
  const config = env.CLAUDE_CONFIG_DIR?.trim();
  if (config) return `${config.replace(/\/+$/, "")}/projects`;
  const home = env.HOME?.trim();
  return home ? `${home.replace(/\/+$/, "")}/.claude/projects` : undefined;
}

/** The hosts Discord serves attachments from (the bridge downloads them, without a token). */
export const DISCORD_CDN_HOSTS: readonly string[] = ["cdn.discordapp.com", "media.discordapp.net"];

/** Env vars read by the bridge's dependencies at load time (`ws`; the REST library's). */
const BRIDGE_EXTRA_ENV: readonly string[] = [
  "WS_NO_BUFFER_UTIL",
  "WS_NO_UTF_8_VALIDATE",
  ...REST_LIBRARY_ENV,
];
