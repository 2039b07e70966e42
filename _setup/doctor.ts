// Private: `setup.ts doctor`: every check of setup again, plus the local installation (hooks,
// MCP server, plugin, deno), the bridge and the logs; each result says what to fix.
import type { Config } from "../config.ts";
import { probeBridge } from "../daemon.ts";
import { DiscordApiError } from "../errors.ts";
import { readTextIfExists } from "../_shared/fs.ts";
import { channelTypeName, INTENT_FIX, judgePermissions, SetupApi } from "./api.ts";
import { findOurHooks, installTarget, isOurMcp, readJsonObject } from "./install.ts";
import { recentProblems } from "./status.ts";

/** One result of doctor. */
export interface Check {
  /** `ok`, `warn` (works, but something is off) or `fail` (broken). */
  level: "ok" | "warn" | "fail";
  /** What was checked. */
  label: string;
  /** The finding; for warn and fail, with the fix after a colon. */
  message: string;
}

/** What doctor looks at. */
export interface DoctorOptions {
  /** The state directory. */
  home: string;
  /** Loads the configuration (may throw). */
  loadConfig: () => Config;
  /** The project directory (its `.claude/settings.json` and `.mcp.json`). */
  projectDir: string;
  /** The user's home (`~/.claude/settings.json`, `~/.claude.json`). */
  homeDir?: string;
  /** fetch, for tests. */
  fetch?: typeof fetch;
}

/**
 * Runs every check.
 *
 * @param o What to look at.
 * @returns The results, in order.
 */
export async function runDoctor(o: DoctorOptions): Promise<Check[]> {
  const checks: Check[] = [];
  const add = (level: Check["level"], label: string, message: string) =>
    checks.push({ level, label, message });
  let config: Config;
  try {
    config = o.loadConfig();
    add("ok", "config", `${o.home}/config.json loads`);
  } catch (err) {
    add("fail", "config", (err as Error).message);
    localChecks(o, undefined, add);
    return checks;
  }
  await discordChecks(config, o, add);
  localChecks(o, config, add);
  return checks;
}

type Add = (level: Check["level"], label: string, message: string) => void;

async function discordChecks(config: Config, o: DoctorOptions, add: Add): Promise<void> {
  if (!config.token) {
    add("fail", "token", "DISCORD_BOT_TOKEN is not set: run `deno task setup`");
    return;
  }
  const api = new SetupApi({
    token: config.token,
    apiUrl: config.apiUrl,
    ...(o.fetch ? { fetch: o.fetch } : {}),
  });
  const attempt = async (label: string, fn: () => Promise<void>): Promise<boolean> => {
    try {
      await fn();
      return true;
    } catch (err) {
      add("fail", label, (err as Error).message);
      return false;
    }
  };
  let botId = "";
  if (
    !await attempt("token", async () => {
      const bot = await api.bot();
      botId = bot.id;
      add("ok", "token", `bot ${bot.username} (${bot.id}) at ${config.apiUrl}`);
    })
  ) return;
  await attempt("intent", async () => {
    const app = await api.application();
    if (app.messageContent) add("ok", "intent", "MESSAGE CONTENT intent is on");
    else add("fail", "intent", `The MESSAGE CONTENT intent is off: ${INTENT_FIX}`);
  });
  let guildId = "";
  if (!config.channelId) {
    add("fail", "channel", "DISCORD_CHANNEL_ID is not set: run `deno task setup`");
  } else {
    await attempt("channel", async () => {
      const chat = await api.channel(config.channelId!, botId, "DISCORD_CHANNEL_ID");
      guildId = chat.guildId;
      if (chat.type !== 0 && chat.type !== 5) {
        add(
          "fail",
          "channel",
          `#${chat.name} is a ${
            channelTypeName(chat.type)
          } channel: the chat needs a text channel; run setup`,
        );
        return;
      }
      const v = judgePermissions(chat, "chat");
      if (v.missing.length > 0) {
        add(
          "fail",
          "channel",
          `The bot lacks ${
            v.missing.join(", ")
          } in #${chat.name}: allow them for its role in Channel Settings > Permissions (or invite it again with ${api.inviteUrl()})`,
        );
      } else if (v.degraded.length > 0) {
        add(
          "warn",
          "channel",
          `The bot lacks ${
            v.degraded.join(", ")
          } in #${chat.name}: allow them for its role, or the react / send-file tools and embeds fail`,
        );
      } else add("ok", "channel", `#${chat.name} in "${chat.guildName}": every permission present`);
    });
  }
  if (config.allowedUsers.length === 0) {
    add(
      "fail",
      "allowed users",
      "DISCORD_ALLOWED_USERS is empty, so no message is ever delivered: run setup (it defaults to the app owner) or set it",
    );
  } else if (guildId) {
    const absent: string[] = [];
    for (const id of config.allowedUsers) {
      try {
        await api.rest.request("GET", `/guilds/${guildId}/members/${id}`, {
          what: `read member ${id}`,
        });
      } catch (err) {
        if (err instanceof DiscordApiError && err.status === 404) absent.push(id);
      }
    }
    if (absent.length > 0) {
      add(
        "warn",
        "allowed users",
        `${absent.join(", ")} ${
          absent.length === 1 ? "is" : "are"
        } not in the server: check the ids (right-click a user > Copy User ID)`,
      );
    } else add("ok", "allowed users", `${config.allowedUsers.length} user(s), all in the server`);
  }
  if (!config.webhookUrl) {
    add(
      "warn",
      "webhook",
      "DISCORD_WEBHOOK_URL is not set, so no STATUS posts: run setup (it creates one)",
    );
    return;
  }
  await attempt("webhook", async () => {
    const hook = await api.webhook(config.webhookUrl!);
    if (guildId && hook.guildId && hook.guildId !== guildId) {
      add(
        "fail",
        "webhook",
        "The webhook posts into another server than the chat channel: run setup with a webhook of the chat's server",
      );
      return;
    }
    const ch = await api.channel(hook.channelId, botId, "The webhook's channel");
    const v = judgePermissions(ch, "status");
    if (![0, 5, 15, 16].includes(ch.type)) {
      add(
        "fail",
        "webhook",
        `The webhook posts into #${ch.name}, a ${
          channelTypeName(ch.type)
        } channel: use a forum or text channel`,
      );
    } else if (v.missing.length > 0) {
      add(
        "fail",
        "webhook",
        `The bot lacks ${
          v.missing.join(", ")
        } in #${ch.name}, where STATUS posts go: allow them for its role`,
      );
    } else {
      add("ok", "webhook", `STATUS posts go to #${ch.name} (${channelTypeName(ch.type)})`);
    }
  });
}

function localChecks(o: DoctorOptions, config: Config | undefined, add: Add): void {
  const places = [installTarget({ user: false, projectDir: o.projectDir })];
  if (o.homeDir) {
    places.push(installTarget({ user: true, projectDir: o.projectDir, homeDir: o.homeDir }));
  }
  let installed = 0;
  for (const t of places) {
    let settings: Record<string, unknown>;
    try {
      settings = readJsonObject(t.settings);
    } catch (err) {
      add("fail", "settings", (err as Error).message);
      continue;
    }
    const ours = findOurHooks(settings);
    if (ours.commands.length === 0) continue;
    installed++;
    const problems = commandProblems(ours.commands, o.home);
    if (problems.length > 0) add("fail", "hooks", `${t.settings}: ${problems[0]}: run setup again`);
    else add("ok", "hooks", `${t.settings}: ${ours.events.length} events`);
    let mcp: Record<string, unknown> = {};
    try {
      mcp = readJsonObject(t.mcp);
    } catch (err) {
      add("fail", "mcp", (err as Error).message);
    }
    const servers = (mcp.mcpServers ?? {}) as Record<string, unknown>;
    if (isOurMcp(servers.discord)) add("ok", "mcp", `${t.mcp}: server "discord"`);
    else {add(
        "warn",
        "mcp",
        `${t.mcp} has no "discord" MCP server, so Claude cannot reply: run setup again`,
      );}
  }
  const plugin = pluginEnabled(o.homeDir);
  if (plugin) {
    add(
      installed > 0 ? "warn" : "ok",
      "plugin",
      installed > 0
        ? `The plugin ${plugin} is enabled too, so every hook runs twice: uninstall one (\`deno task setup --uninstall\` or /plugin uninstall)`
        : `plugin ${plugin} is enabled`,
    );
  } else if (installed === 0) {
    add(
      "fail",
      "hooks",
      `No claude-discord hooks in ${
        places.map((p) => p.settings).join(" or ")
      }: run \`deno task setup\` (or install the plugin)`,
    );
  }
  const bridge = probeBridge(o.home);
  if (!bridge.running) {
    add(
      config?.token ? "warn" : "fail",
      "bridge",
      "The bridge is not running: a Claude Code session starts it, or run `deno task start`",
    );
  } else if (bridge.status?.warning) {
    add("fail", "bridge", `pid ${bridge.pid}: ${bridge.status.warning}`);
  } else if (bridge.status?.state !== "connected") {
    add(
      "warn",
      "bridge",
      `pid ${bridge.pid} is ${
        bridge.status?.state ?? "starting"
      }: if it stays so, see ${o.home}/bridge.log`,
    );
  } else add("ok", "bridge", `pid ${bridge.pid}, connected since ${bridge.status.since}`);
  const problems = recentProblems(o.home, 1);
  if (problems.length > 0) {
    add("warn", "logs", `last problem in ${problems[0].log}: ${problems[0].line.slice(0, 300)}`);
  }
}

function commandProblems(commands: string[], home: string): string[] {
  const out: string[] = [];
  for (const cmd of commands) {
    const script = /(\S+\/hooks\/(?:hook\.ts|fast\.sh))/.exec(cmd)?.[1]?.replace(/^'|'$/g, "");
    if (script && !exists(script)) {
      out.push(`a hook runs ${script}, which does not exist (moved checkout?)`);
    }
    const deno = /(\S*\/deno)\s+run\b/.exec(cmd)?.[1]?.replace(/^'|'$/g, "");
    if (deno && !exists(deno)) out.push(`a hook runs ${deno}, which does not exist`);
    const h = /--home=(\S+)/.exec(cmd)?.[1]?.replace(/^'|'$/g, "");
    if (h && h !== home) out.push(`the hooks use the state directory ${h}, not ${home}`);
    if (out.length > 0) break;
  }
  return out;
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

function pluginEnabled(homeDir: string | undefined): string | undefined {
  if (!homeDir) return undefined;
  const text = readTextIfExists(`${homeDir}/.claude/settings.json`);
  if (!text) return undefined;
  try {
    const enabled = JSON.parse(text).enabledPlugins as Record<string, boolean> | undefined;
    return Object.entries(enabled ?? {}).find(([k, v]) => v && k.startsWith("discord-bridge@"))
      ?.[0];
  } catch {
    return undefined;
  }
}

/**
 * Renders checks as lines (`ok`, `warn`, `FAIL`).
 *
 * @param checks The results.
 * @returns Text.
 */
export function renderChecks(checks: Check[]): string {
  const tag = { ok: "ok  ", warn: "warn", fail: "FAIL" } as const;
  return checks.map((c) => `${tag[c.level]} ${c.label.padEnd(13)} ${c.message}`).join("\n");
}
