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
import { hookCommand } from "./_settings/hook_command.ts";
import { attachmentReadRule, mcpToolRules } from "./_settings/permissions.ts";
import type { HookCommand, Role, SettingsFragment, SettingsOptions } from "./_settings/types.ts";

export type {
  HookCommand,
  HookGroup,
  McpServerEntry,
  Role,
  SettingsFragment,
  SettingsOptions,
} from "./_settings/types.ts";
export {
  hookArgv,
  rolePermissionFlags,
  shellQuote,
  TRANSCRIPTS_DIR,
} from "./_settings/hook_command.ts";
export {
  attachmentReadRule,
  isOurPermission,
  MCP_ALLOWED_TOOLS,
  MCP_SEND_FILE_TOOL,
  mcpToolRules,
} from "./_settings/permissions.ts";
export { mcpConfig, netHosts } from "./_settings/mcp_config.ts";
export { MCP_PROJECT_READ, mcpReadPaths } from "./_settings/mcp_read.ts";
export { mergeSettings } from "./_settings/merge.ts";

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
    command: hookCommand(role, timeout, options, fast, event),
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
