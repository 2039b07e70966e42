// Private: `setup.ts doctor`: the Discord checks of setup (checks.ts, every one of them, each
// verdict listed), plus the local installation (hooks, MCP server, plugin, deno), the bridge
// and the logs; each result says what to fix.
import { type Config, configFileExposure } from "../config.ts";
import { identifyHalt, probeBridge } from "../daemon.ts";
import { readTextIfExists, statIfExists } from "../_shared/fs.ts";
import type { ChannelInfo, SetupApi } from "./api.ts";
import {
  checkAllowedUsers,
  checkChatChannel,
  checkIntent,
  checkToken,
  checkWebhook,
  type Verdict,
} from "./checks.ts";
import {
  findOurHooks,
  type InstallScope,
  type InstallTarget,
  installTarget,
  isOurMcp,
  readJsonObject,
} from "./install.ts";
import { installsPath, readInstalls, targetOf } from "./installs.ts";
import { mcpToolRules } from "../settings.ts";
import { describeError } from "../log.ts";
import { recentProblems } from "./status.ts";
import { parseJson } from "../_shared/json.ts";

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
  /** The project directory: where to look when no install is recorded. */
  projectDir: string;
  /** The user's home (`~/.claude/settings.json`, `~/.claude.json`). */
  homeDir?: string;
  /** fetch, for tests. */
  fetch?: typeof fetch;
}

/**
 * Runs every check: the configuration, Discord (the checks setup runs), the installation,
 * the bridge and the logs.
 *
 * @param o What to look at.
 * @returns The results, in order.
 */
export async function runDoctor(o: DoctorOptions): Promise<Check[]> {
  const checks: Check[] = [];
  const add: Add = (c) => checks.push(c);
  const config = configCheck(o, add);
  if (config) await discordChecks(config, o, add);
  const found = installChecks(o, add);
  pluginCheck(o, found, add);
  bridgeCheck(o, config, add);
  logsCheck(o, add);
  return checks;
}

type Add = (check: Check) => void;

/** One result of doctor. */
function check(level: Check["level"], label: string, message: string): Check {
  return { level, label, message };
}

/** A verdict as doctor lists it (without the value a passed check hands on). */
function asCheck(verdict: Verdict<unknown>): Check {
  return check(verdict.level, verdict.label, verdict.message);
}

/** Whether the configuration loads; returns it when it does. */
function configCheck(o: DoctorOptions, add: Add): Config | undefined {
  const exposed = configFileExposure(o.home);
  if (exposed) add(check("fail", "config", exposed));
  try {
    const config = o.loadConfig();
    add(check("ok", "config", `${o.home}/config.json loads (API ${config.apiUrl})`));
    return config;
  } catch (err) {
    add(check("fail", "config", describeError(err)));
    return undefined;
  }
}

/**
 * The Discord checks setup runs (checks.ts), all of them: the token, the MESSAGE CONTENT
 * intent, the chat channel, where STATUS posts go, the allowed users. Only a failed token
 * stops the rest; without a chat channel, the checks that compare with its server skip that.
 */
async function discordChecks(config: Config, o: DoctorOptions, add: Add): Promise<void> {
  if (!config.token) {
    add(check("fail", "token", "DISCORD_BOT_TOKEN is not set: run `deno task setup`"));
    return;
  }
  const token = await checkToken(config.token, {
    apiUrl: config.apiUrl,
    ...(o.fetch ? { fetch: o.fetch } : {}),
  });
  add(asCheck(token));
  if (token.level === "fail") return;
  const { api, bot } = token.value;
  add(asCheck(await checkIntent(api)));
  const chat = await chatChannelCheck(config, api, bot.id, add);
  add(await webhookCheck(config, api, bot.id, chat));
  add(asCheck(await checkAllowedUsers(api, config.allowedUsers, chat)));
}

/** Adds the chat channel's verdict; returns the channel when it passed. */
async function chatChannelCheck(
  config: Config,
  api: SetupApi,
  botId: string,
  add: Add,
): Promise<ChannelInfo | undefined> {
  if (!config.channelId) {
    add(check("fail", "channel", "DISCORD_CHANNEL_ID is not set: run `deno task setup`"));
    return undefined;
  }
  const verdict = await checkChatChannel(api, botId, config.channelId);
  add(asCheck(verdict));
  return verdict.level === "fail" ? undefined : verdict.value;
}

/** The STATUS webhook's verdict, or a warning when DISCORD_WEBHOOK_URL is not set. */
async function webhookCheck(
  config: Config,
  api: SetupApi,
  botId: string,
  chat: ChannelInfo | undefined,
): Promise<Check> {
  if (!config.webhookUrl) {
    return check(
      "warn",
      "webhook",
      "DISCORD_WEBHOOK_URL is not set, so no STATUS posts: run setup (it creates one)",
    );
  }
  return asCheck(await checkWebhook(api, botId, config.webhookUrl, chat));
}

/**
 * Every install of this state directory: the ones setup recorded (installs.json), else the
 * places an install of the project and of the user would be. For each: the hooks (and whether
 * their files still exist), the MCP server, the permission rules; and a project installed in
 * both its local and its shared files (every hook would run twice).
 */
function installChecks(o: DoctorOptions, add: Add): InstallPlaces {
  const read = readInstalls(o.home);
  if (read.damaged) {
    add(check("warn", "installs", `${read.damaged}: run setup again for each install`));
  }
  const recorded = read.value.map(targetOf);
  const places = recorded.length > 0 ? recorded : likelyPlaces(o);
  const projects = new Map<string, InstallScope[]>();
  let installed = 0;
  for (const t of places) {
    let settings: Record<string, unknown>;
    try {
      settings = readJsonObject(t.settings);
    } catch (err) {
      add(check("fail", "settings", describeError(err)));
      continue;
    }
    const ours = findOurHooks(settings);
    if (ours.commands.length === 0) {
      if (recorded.length > 0) {
        add(check(
          "fail",
          "hooks",
          `${t.settings} no longer holds the claude-discord hooks setup put there: run \`deno task setup ${
            setupArgs(t)
          }\` again, or \`deno task setup --uninstall ${setupArgs(t)}\` to forget it`,
        ));
      }
      continue;
    }
    installed++;
    if (t.project !== undefined) {
      projects.set(t.project, [...projects.get(t.project) ?? [], t.scope]);
    }
    const problems = commandProblems(ours.commands, o.home);
    if (problems.length > 0) {
      add(check("fail", "hooks", `${t.settings}: ${problems[0]}: run setup again`));
    } else add(check("ok", "hooks", `${t.settings}: ${ours.events.length} events (${t.scope})`));
    mcpCheck(t, add);
    rulesCheck(t, settings, add);
  }
  for (const [project, scopes] of projects) {
    if (scopes.includes("local") && scopes.includes("shared")) {
      add(check(
        "warn",
        "hooks",
        `${project} has the hooks in .claude/settings.json and .claude/settings.local.json, so every hook runs twice: run \`deno task setup --project ${project}\` (it keeps the local ones)`,
      ));
    }
  }
  return {
    places: places.map((p) => p.settings),
    installed,
    recorded: recorded.length > 0,
  };
}

/** Without a record: the project's local and shared files, and the user's. */
function likelyPlaces(o: DoctorOptions): InstallTarget[] {
  const homeDir = o.homeDir ? { homeDir: o.homeDir } : {};
  return [
    ...(o.homeDir ? [installTarget({ user: false, projectDir: o.projectDir, ...homeDir })] : []),
    installTarget({ user: false, shared: true, projectDir: o.projectDir }),
    ...(o.homeDir ? [installTarget({ user: true, projectDir: o.projectDir, ...homeDir })] : []),
  ];
}

/** The setup flags that install (or uninstall) `t` again. */
function setupArgs(t: InstallTarget): string {
  return t.scope === "user"
    ? "--user"
    : `${t.scope === "shared" ? "--shared " : ""}--project ${t.project}`;
}

/** What {@linkcode installChecks} found. */
interface InstallPlaces {
  /** The settings files looked at. */
  places: string[];
  /** How many of them hold claude-discord hooks. */
  installed: number;
  /** Whether the places came from the record of installs. */
  recorded: boolean;
}

/** The MCP server beside installed hooks (a file that does not load is also one without it). */
function mcpCheck(t: InstallTarget, add: Add): void {
  let file: Record<string, unknown> = {};
  try {
    file = readJsonObject(t.mcp);
  } catch (err) {
    add(check("fail", "mcp", describeError(err)));
  }
  const holder = t.scope === "local" ? asObject(asObject(file.projects)[t.mcpProject ?? ""]) : file;
  const where = t.scope === "local" ? `${t.mcp} (project ${t.mcpProject})` : t.mcp;
  if (isOurMcp(asObject(holder.mcpServers).discord)) {
    add(check("ok", "mcp", `${where}: server "discord"`));
  } else {
    add(check(
      "warn",
      "mcp",
      `${where} has no "discord" MCP server, so Claude cannot reply: run \`deno task setup ${
        setupArgs(t)
      }\` again`,
    ));
  }
}

/** The rules that let Claude use the MCP tools without a prompt. */
function rulesCheck(t: InstallTarget, settings: Record<string, unknown>, add: Add): void {
  const allow = asObject(settings.permissions).allow;
  const missing = mcpToolRules({}).filter((r) => !(Array.isArray(allow) && allow.includes(r)));
  if (missing.length === 0) {
    const file = Array.isArray(allow) && allow.includes("mcp__discord__send_file")
      ? "; send_file too"
      : "; send_file asks each time";
    add(check("ok", "rules", `Claude replies, reacts, edits and reads without asking${file}`));
  } else {
    add(check(
      "warn",
      "rules",
      `${t.settings} does not allow ${
        missing.join(", ")
      }, so Claude asks before using them: run \`deno task setup ${setupArgs(t)}\` again`,
    ));
  }
}

function asObject(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? value as Record<string, unknown>
    : {};
}

/** The plugin: fine alone, a warning next to installed hooks; neither plugin nor hooks fails. */
function pluginCheck(o: DoctorOptions, found: InstallPlaces, add: Add): void {
  const plugin = pluginEnabled(o.homeDir);
  if (plugin) {
    add(
      found.installed > 0
        ? check(
          "warn",
          "plugin",
          `The plugin ${plugin} is enabled too, so every hook runs twice: uninstall one (\`deno task setup --uninstall\` or /plugin uninstall)`,
        )
        : check("ok", "plugin", `plugin ${plugin} is enabled`),
    );
  } else if (found.installed === 0 && !found.recorded) {
    add(check(
      "fail",
      "hooks",
      `No install recorded in ${installsPath(o.home)}, and no claude-discord hooks in ${
        found.places.join(" or ")
      }: run \`deno task setup --project DIR\` for a project, or \`--user\` for all (or install the plugin)`,
    ));
  }
}

/** The bridge: running, connected, no warning. */
function bridgeCheck(o: DoctorOptions, config: Config | undefined, add: Add): void {
  const bridge = probeBridge(o.home);
  const halt = identifyHalt(o.home);
  if (!bridge.running && halt) {
    add(
      check("fail", "bridge", `halted until ${new Date(halt.until).toISOString()}: ${halt.reason}`),
    );
  } else if (!bridge.running) {
    add(check(
      config?.token ? "warn" : "fail",
      "bridge",
      "The bridge is not running: a Claude Code session starts it, or run `deno task start`",
    ));
  } else if (bridge.status?.warning) {
    add(check("fail", "bridge", `pid ${bridge.pid}: ${bridge.status.warning}`));
  } else if (bridge.status?.state !== "connected") {
    add(check(
      "warn",
      "bridge",
      `pid ${bridge.pid} is ${
        bridge.status?.state ?? "starting"
      }: if it stays so, see ${o.home}/bridge.log`,
    ));
  } else add(check("ok", "bridge", `pid ${bridge.pid}, connected since ${bridge.status.since}`));
}

/** The last problem in the logs, if any. */
function logsCheck(o: DoctorOptions, add: Add): void {
  const problems = recentProblems(o.home, 1);
  if (problems.length > 0) {
    add(
      check(
        "warn",
        "logs",
        `last problem in ${problems[0].log}: ${problems[0].line.slice(0, 300)}`,
      ),
    );
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
  return statIfExists(path) !== undefined;
}

function pluginEnabled(homeDir: string | undefined): string | undefined {
  if (!homeDir) return undefined;
  const text = readTextIfExists(`${homeDir}/.claude/settings.json`);
  if (!text) return undefined;
  const settings = parseJson(text) as { enabledPlugins?: Record<string, boolean> } | null;
  const enabled = settings?.enabledPlugins;
  if (enabled === null || typeof enabled !== "object") return undefined;
  return Object.entries(enabled).find(([k, v]) => v && k.startsWith("discord-bridge@"))?.[0];
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
