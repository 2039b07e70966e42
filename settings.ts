/**
 * Builds the Claude Code settings fragment of claude-discord: the hooks (matchers,
 * timeouts, `async`/`asyncRewake`, the least Deno permissions of each) and the MCP server
 * entry, with absolute paths to this checkout and the state directory baked in.
 *
 * | hook event | matcher | command | timeout | mode |
 * |---|---|---|---|---|
 * | SessionStart | (all) | `hook.ts --role register` | 30 s | sync |
 * | PreToolUse | `*` | `fast.sh register` → `hook.ts --role register` | 30 s | sync |
 * | PostToolUse | `*` | `fast.sh deliver` → `deliver.bundle.js --role deliver` | 30 s | sync |
 * | PostToolUseFailure | `*` | `fast.sh deliver` …; `hook.ts --role notice` | 30 s | sync; async |
 * | UserPromptSubmit | (all) | `fast.sh prompt` → `deliver.bundle.js --role deliver` | 30 s | sync |
 * | Stop | (all) | `hook.ts --role status`; `hook.ts --role wake` | 45 s; wake timeout + 60 s | sync; asyncRewake |
 * | StopFailure | (all) | `hook.ts --role notice` | 30 s | sync |
 * | Notification | `permission_prompt\|idle_prompt\|elicitation_dialog` | `hook.ts --role notice` | 30 s | async |
 * | SessionEnd | (all) | `hook.ts --role end` | 15 s | sync |
 * | PermissionRequest | `*` | `hook.ts --role permission` | permission timeout + 30 s | sync |
 *
 * Permissions per role (`H` = the state directory; `ENV` = the config variables of
 * config.ts plus `CLAUDE_PID`, `CLAUDE_CODE_SESSION_ID`, `CLAUDE_CODE_ENTRYPOINT`,
 * `CLAUDE_PROJECT_DIR`):
 *
 * | role | flags |
 * |---|---|
 * | deliver | `--allow-read=H --allow-write=H --allow-read=T` (no env, no net) |
 * | wake | `--allow-read=H --allow-write=H --allow-env=ENV --allow-read=T` (no net) |
 * | register | `--allow-read=H --allow-write=H --allow-env=ENV --allow-run=<deno> --allow-read=T` |
 * | status, notice, end, permission | `--allow-read=H --allow-write=H --allow-env=ENV --allow-run=<deno> --allow-sys=hostname` (no net) |
 *
 * No hook has network access: what the hooks post goes into the outbox (outbox.ts), which the
 * bridge sends; a posting role only makes sure the bridge runs (`--allow-run=<deno>`, as the
 * register role does) and never waits for Discord.
 *
 * `T` is Claude Code's directory of session transcripts, `${CLAUDE_CONFIG_DIR:-$HOME/.claude}/projects`,
 * expanded by the hook's shell (so it is where the Claude Code that runs the hook writes them):
 * the roles that deliver messages read the session's transcript, read-only, to confirm that
 * Claude Code took what they printed (ARCHITECTURE.md, "Delivery guarantees and how they are
 * kept"). They keep nothing of it but sizes and message ids, and have no network.
 *
 * No hook reads `/proc`: Deno allows that only with `--allow-all`. The Claude Code pid comes
 * from `CLAUDE_PID` (Claude Code 2.x sets it for hooks), and the wake-up wait notices a gone
 * session by its parent pid changing (`Deno.ppid`). Every command also has `--no-prompt --no-lock --quiet`
 * and `--no-config` (the hooks import only relative modules; a project's deno.json never
 * applies). The delivery role, on every tool call that finds mail, runs
 * `hooks/deliver.bundle.js`: `hooks/deliver.ts` (that role alone) bundled into one module,
 * with `--no-code-cache` (compiling it costs less than opening V8's code cache) and
 * `--v8-flags=--jitless` (its short run is faster without machine code); the others
 * run `hooks/hook.ts`. The `fast.sh` commands source it (`set -- MODE H DENO…; . fast.sh`)
 * rather than start a second shell. The delivery commands name their event (`--event=…`);
 * with the session id from `CLAUDE_CODE_SESSION_ID`, which fast.sh then adds as `--session`,
 * the delivery hook does not read stdin (after a tool call it holds the whole tool output). The hosts come from the configuration at the time
 * the fragment is built: run setup again after changing `DISCORD_API_URL` or the webhook.
 *
 * The MCP server (`mcp.ts`, server name `discord`) gets `--allow-net=<hosts>`,
 * `--allow-read=H,<allowedFilePaths>,<project>` (the state directory; the files `send_file` may
 * send: the project directory, added when the server starts by {@linkcode MCP_PROJECT_READ},
 * and the configured paths), `--allow-write=H`, `--allow-env` (its
 * MCP library reads the environment) and `--allow-run=ps` (to find the session it serves
 * among its ancestors when Deno refuses `/proc`, which it does without `--allow-all`). Claude Code reads MCP servers
 * from `.mcp.json` (project) or `~/.claude.json`, not from `settings.json`: the settings
 * part enables the server by name (`enabledMcpjsonServers`), and {@linkcode mcpConfig}
 * gives the `.mcp.json` part.
 *
 * The fragment also allows the server's reply, react, edit and fetch tools in
 * `permissions.allow` (one rule per tool, {@linkcode mcpToolRules}), so Claude answers in
 * Discord without a permission prompt; `send_file` (it can upload any readable file) stays behind
 * one unless `allowSendFile`.
 *
 * @example Build the fragment for a state directory
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildSettings } from "./settings.ts";
 *
 * const settings = buildSettings({ home: "/home/ada/.claude/discord", denoPath: "/usr/bin/deno" });
 * const post = settings.hooks.PostToolUse[0].hooks[0];
 * assert(post.command.includes("fast.sh"));
 * assert(!post.command.includes("--allow-net"));
 * ```
 *
 * @module
 */
import { DEFAULT_API_URL, ENV_VARS } from "./config.ts";
import { MCP_PROJECT_READ, mcpReadPaths } from "./_settings/mcp_read.ts";

export { MCP_PROJECT_READ, mcpReadPaths };

/** One hook command in Claude Code's settings. */
export interface HookCommand {
  /** Always `command`. */
  type: "command";
  /** The shell command. */
  command: string;
  /** Seconds before Claude Code stops the hook. */
  timeout: number;
  /** Runs in the background. */
  async?: boolean;
  /** Runs in the background and wakes the model when it exits 2. */
  asyncRewake?: boolean;
}

/** One matcher group of an event. */
export interface HookGroup {
  /** Tool name or notification type pattern; absent = every occurrence. */
  matcher?: string;
  /** The commands. */
  hooks: HookCommand[];
}

/** The settings.json part. */
export interface SettingsFragment {
  /** Hook groups per event. */
  hooks: Record<string, HookGroup[]>;
  /** Approves the `.mcp.json` server by name. */
  enabledMcpjsonServers: string[];
  /** Lets Claude use the MCP server's tools ({@linkcode mcpToolRules}) and open the stored
   * attachments ({@linkcode attachmentReadRule}) without asking. */
  permissions: { allow: string[] };
}

/** An MCP stdio server entry. */
export interface McpServerEntry {
  /** `stdio`. */
  type: "stdio";
  /** The executable. */
  command: string;
  /** Its arguments. */
  args: string[];
  /** Its environment: `CLAUDE_DISCORD_HOME`, so it finds the same state directory as the hooks. */
  env: Record<string, string>;
}

/** What the fragment depends on. */
export interface SettingsOptions {
  /** The state directory (absolute). */
  home: string;
  /** The checkout (absolute). Default: the directory of this module. */
  root?: string;
  /** The deno binary. Default `Deno.execPath()`. */
  denoPath?: string;
  /** REST base (`DISCORD_API_URL`). Default Discord's. */
  apiUrl?: string;
  /** The STATUS webhook URL; only its host is used. */
  webhookUrl?: string;
  /** Whether the Stop hook waits for messages. Default true. */
  wakeOnMessage?: boolean;
  /** How long it waits, in seconds. Default 3600. */
  wakeTimeoutSeconds?: number;
  /** How long a permission prompt waits, in seconds. Default 300. */
  permissionTimeoutSeconds?: number;
  /** The MCP server's name. Default `discord`. */
  mcpName?: string;
  /** Whether `send_file` runs without a prompt too (it uploads the project's files and `allowedFilePaths`). */
  allowSendFile?: boolean;
  /** config.json `allowedFilePaths`: what the MCP server may read besides the project. */
  allowedFilePaths?: string[];
}

/** The hook roles (see hooks/hook.ts). */
export type Role = "deliver" | "register" | "status" | "wake" | "notice" | "permission" | "end";

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

function moduleDir(): string {
  const url = new URL(".", import.meta.url);
  if (url.protocol !== "file:") {
    throw new TypeError("settings.ts needs a local checkout: pass `root`");
  }
  return decodeURIComponent(url.pathname).replace(/\/+$/, "");
}

/** Single-quotes a word for sh. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** A word of a hook command: quoted, except the transcripts flag, which the shell expands. */
function shellWord(word: string): string {
  return word === READ_TRANSCRIPTS ? `--allow-read="${TRANSCRIPTS_DIR}"` : shellQuote(word);
}

/**
 * The hosts the MCP server may reach: the API's and the webhook's (no hook reaches any).
 *
 * @param apiUrl The REST base.
 * @param webhookUrl The webhook URL.
 * @returns Host names (with port when not the default).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { netHosts } from "./settings.ts";
 * assert(netHosts("http://127.0.0.1:8080/api").join() === "127.0.0.1:8080");
 * ```
 */
export function netHosts(apiUrl: string = DEFAULT_API_URL, webhookUrl?: string): string[] {
  const hosts = new Set<string>();
  for (const url of [apiUrl, webhookUrl]) if (url) hosts.add(new URL(url).host);
  return [...hosts];
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
 * import { rolePermissionFlags, TRANSCRIPTS_DIR } from "./settings.ts";
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
 */
export function hookArgv(
  role: Role,
  timeout: number,
  options: SettingsOptions,
  event?: string,
): string[] {
  const root = options.root ?? moduleDir();
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

function command(
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
  const root = options.root ?? moduleDir();
  const args = [fast, options.home, ...words].map(shellWord).join(" ");
  return `set -- ${args}; . ${shellQuote(`${root}/hooks/fast.sh`)}`;
}

/**
 * The settings.json fragment: every hook, and the MCP server enabled by name.
 *
 * @param options State directory, checkout, deno, hosts and timeouts.
 * @returns The fragment.
 *
 * @example The Stop wake-up is an asyncRewake hook
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildSettings } from "./settings.ts";
 * const s = buildSettings({ home: "/h", root: "/ck", denoPath: "/usr/bin/deno" });
 * const wake = s.hooks.Stop[0].hooks.find((h) => h.command.includes("--role=wake"));
 * assert(wake?.asyncRewake === true);
 * ```
 */
export function buildSettings(options: SettingsOptions): SettingsFragment {
  const wakeTimeout = options.wakeTimeoutSeconds ?? 3600;
  const permTimeout = options.permissionTimeoutSeconds ?? 300;
  const c = (
    role: Role,
    timeout: number,
    fast?: "deliver" | "prompt" | "register",
    event?: string,
  ) => ({
    type: "command" as const,
    command: command(role, timeout, options, fast, event),
    timeout,
  });
  const stop: HookCommand[] = [c("status", 45)];
  if (options.wakeOnMessage ?? true) {
    stop.push({ ...c("wake", wakeTimeout + 60), async: true, asyncRewake: true });
  }
  return {
    hooks: {
      SessionStart: [{ hooks: [c("register", 30)] }],
      PreToolUse: [{ matcher: "*", hooks: [c("register", 30, "register")] }],
      PostToolUse: [{ matcher: "*", hooks: [c("deliver", 30, "deliver", "PostToolUse")] }],
      PostToolUseFailure: [{
        matcher: "*",
        hooks: [
          c("deliver", 30, "deliver", "PostToolUseFailure"),
          { ...c("notice", 30), async: true },
        ],
      }],
      UserPromptSubmit: [{ hooks: [c("deliver", 30, "prompt", "UserPromptSubmit")] }],
      Stop: [{ hooks: stop }],
      StopFailure: [{ hooks: [c("notice", 30)] }],
      Notification: [{
        matcher: "permission_prompt|idle_prompt|elicitation_dialog",
        hooks: [{ ...c("notice", 30), async: true }],
      }],
      SessionEnd: [{ hooks: [c("end", 15)] }],
      PermissionRequest: [{ matcher: "*", hooks: [c("permission", permTimeout + 30)] }],
    },
    enabledMcpjsonServers: [options.mcpName ?? "discord"],
    permissions: { allow: [...mcpToolRules(options), attachmentReadRule(options.home)] },
  };
}

/** The MCP tools Claude may use without asking: they post, react, edit and read in Discord. */
export const MCP_ALLOWED_TOOLS: readonly string[] = [
  "reply",
  "react",
  "edit_message",
  "fetch_messages",
];

/** The MCP tool that stays behind a prompt unless `allowSendFile`: it uploads a local file. */
export const MCP_SEND_FILE_TOOL = "send_file";

/**
 * The permission rules that let Claude use the MCP server's tools without a prompt, one per tool
 * (`mcp__<server>__<tool>`, Claude Code's name for an MCP tool): reply, react, edit and fetch;
 * `send_file` only with `allowSendFile`.
 *
 * @param options The server's name and `allowSendFile`.
 * @returns The rules for `permissions.allow`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mcpToolRules } from "./settings.ts";
 * assert.deepEqual(mcpToolRules({}), [
 *   "mcp__discord__reply",
 *   "mcp__discord__react",
 *   "mcp__discord__edit_message",
 *   "mcp__discord__fetch_messages",
 * ]);
 * assert(mcpToolRules({ allowSendFile: true }).includes("mcp__discord__send_file"));
 * ```
 */
export function mcpToolRules(
  options: { mcpName?: string; allowSendFile?: boolean },
): string[] {
  const tools = [...MCP_ALLOWED_TOOLS, ...(options.allowSendFile ? [MCP_SEND_FILE_TOOL] : [])];
  return tools.map((tool) => `mcp__${options.mcpName ?? "discord"}__${tool}`);
}

/**
 * The permission rule that lets Claude's Read tool open the attachments the bridge stored,
 * without a prompt: `Read(//<state directory>/attachments/**)` (`//` starts an absolute path in
 * Claude Code's rules). It covers that folder only; the bridge writes nothing else there.
 *
 * @param home The state directory (absolute).
 * @returns The rule.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { attachmentReadRule } from "./settings.ts";
 * assert(attachmentReadRule("/home/ada/.claude/discord") ===
 *   "Read(//home/ada/.claude/discord/attachments/**)");
 * ```
 */
export function attachmentReadRule(home: string): string {
  return `Read(/${home.replace(/\/+$/, "")}/attachments/**)`;
}

/**
 * Whether a rule of `permissions.allow` is one every install adds (and so replaces): the MCP
 * tool rules of {@linkcode MCP_ALLOWED_TOOLS} and the {@linkcode attachmentReadRule} (of any
 * state directory, so a moved one is replaced). A `send_file` rule, added only on request (or
 * by hand), is left alone by a merge; uninstall takes it out with the server.
 *
 * @param rule A rule.
 * @param mcpName The server's name.
 * @returns Whether a merge replaces it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isOurPermission } from "./settings.ts";
 * assert(isOurPermission("mcp__discord__reply"));
 * assert(isOurPermission("Read(//home/ada/.claude/discord/attachments/**)"));
 * assert(!isOurPermission("mcp__discord__send_file"));
 * assert(!isOurPermission("Read(//home/ada/project/**)"));
 * ```
 */
export function isOurPermission(rule: unknown, mcpName = "discord"): boolean {
  if (typeof rule !== "string") return false;
  return MCP_ALLOWED_TOOLS.some((tool) => rule === `mcp__${mcpName}__${tool}`) ||
    /^Read\(\/\/.+\/attachments\/\*\*\)$/.test(rule);
}

/**
 * The `.mcp.json` part: the MCP server entry for `mcp.ts`.
 *
 * @param options State directory, checkout, deno, hosts.
 * @returns `{ mcpServers: { discord: … } }`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mcpConfig } from "./settings.ts";
 * const m = mcpConfig({ home: "/h", root: "/ck", denoPath: "/usr/bin/deno" });
 * assert(m.mcpServers.discord.args.at(-1) === "/ck/mcp.ts");
 * ```
 */
export function mcpConfig(
  options: SettingsOptions,
): { mcpServers: Record<string, McpServerEntry> } {
  const root = options.root ?? moduleDir();
  return {
    mcpServers: {
      [options.mcpName ?? "discord"]: {
        type: "stdio",
        command: "/bin/sh",
        args: [
          "-c",
          MCP_PROJECT_READ,
          "claude-discord-mcp",
          options.denoPath ?? Deno.execPath(),
          "run",
          "--no-prompt",
          "--quiet",
          `--config=${root}/deno.json`,
          `--allow-net=${netHosts(options.apiUrl, options.webhookUrl).join(",")}`,
          `--allow-read=${mcpReadPaths(options).join(",")}`,
          `--allow-write=${options.home}`,
          "--allow-env",
          "--allow-run=ps",
          `${root}/mcp.ts`,
        ],
        env: { CLAUDE_DISCORD_HOME: options.home },
      },
    },
  };
}

/** Tells whether a hook command is one of ours (any checkout). */
function isOurs(hook: unknown): boolean {
  if (hook === null || typeof hook !== "object") return false;
  const cmd = (hook as { command?: unknown }).command;
  return typeof cmd === "string" &&
    /\/hooks\/(hook\.ts|deliver\.(ts|bundle\.js)|fast\.sh)\b/.test(cmd) &&
    cmd.includes("--role=");
}

/**
 * Merges a fragment into existing settings without clobbering: other keys, other events
 * and other hooks stay as they are; hooks of an earlier claude-discord install are
 * replaced (so merging twice changes nothing); list settings get our entries added once.
 *
 * @param existing The current settings object (parsed JSON).
 * @param fragment What to add (a {@linkcode SettingsFragment} or any settings object).
 * @returns A new object.
 *
 * @example Idempotent, and other hooks survive
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildSettings, mergeSettings } from "./settings.ts";
 * const mine = { hooks: { Stop: [{ hooks: [{ type: "command", command: "say done" }] }] } };
 * const f = buildSettings({ home: "/h", root: "/ck", denoPath: "/usr/bin/deno" });
 * const once = mergeSettings(mine, f);
 * const twice = mergeSettings(once, f);
 * assert(JSON.stringify(once) === JSON.stringify(twice));
 * assert(JSON.stringify(twice).includes("say done"));
 * ```
 */
export function mergeSettings(
  existing: Record<string, unknown>,
  fragment: SettingsFragment | Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = structuredClone(existing);
  for (const [key, value] of Object.entries(fragment as Record<string, unknown>)) {
    if (key === "hooks" && value && typeof value === "object") {
      const hooks: Record<string, unknown> = out.hooks && typeof out.hooks === "object" &&
          !Array.isArray(out.hooks)
        ? out.hooks as Record<string, unknown>
        : {};
      for (const [event, groups] of Object.entries(value as Record<string, HookGroup[]>)) {
        const kept: unknown[] = [];
        for (const group of Array.isArray(hooks[event]) ? hooks[event] as unknown[] : []) {
          const list = (group as { hooks?: unknown })?.hooks;
          if (!Array.isArray(list)) {
            kept.push(group);
            continue;
          }
          const others = list.filter((h) => !isOurs(h));
          if (others.length > 0) kept.push({ ...(group as object), hooks: others });
        }
        hooks[event] = [...kept, ...structuredClone(groups)];
      }
      out.hooks = hooks;
    } else if (key === "permissions" && value && typeof value === "object") {
      // Our rules replace an earlier install's; the user's rules and other keys stay.
      const current = out.permissions && typeof out.permissions === "object" &&
          !Array.isArray(out.permissions)
        ? out.permissions as Record<string, unknown>
        : {};
      const allow = Array.isArray(current.allow)
        ? current.allow.filter((r) => !isOurPermission(r))
        : [];
      const ours = (value as { allow?: unknown[] }).allow ?? [];
      out.permissions = {
        ...current,
        allow: [...allow, ...ours.filter((r) => !allow.includes(r))],
      };
    } else if (Array.isArray(value)) {
      const current = Array.isArray(out[key]) ? out[key] as unknown[] : [];
      out[key] = [...current, ...value.filter((v) => !current.includes(v))];
    } else if (value && typeof value === "object") {
      const current = out[key] && typeof out[key] === "object" && !Array.isArray(out[key])
        ? out[key] as Record<string, unknown>
        : {};
      out[key] = { ...current, ...structuredClone(value as Record<string, unknown>) };
    } else {
      out[key] = value;
    }
  }
  return out;
}
