// Private: the setup flow. Each value comes from a flag, the environment, the existing
// config file, or a question (in a terminal), and is checked against Discord before anything
// is written: token, application (Message Content intent, owner), chat channel and the bot's
// permissions there, the STATUS webhook (found, created, or checked) and its channel,
// allowed users. Then the config file (0600), the Claude Code settings, and a live test.
import {
  type Config,
  DEFAULT_API_URL,
  isBotTokenShape,
  isSnowflake,
  loadConfig,
  readConfigFile,
  writeConfigFile,
} from "../config.ts";
import { ClaudeDiscordError, ConfigError, DiscordApiError } from "../errors.ts";
import { buildSettings, mcpConfig, type SettingsOptions } from "../settings.ts";
import {
  type AppInfo,
  type BotUser,
  type ChannelInfo,
  channelTypeName,
  INTENT_FIX,
  judgePermissions,
  SetupApi,
} from "./api.ts";
import { applyChange, installTarget, planMerge } from "./install.ts";
import { liveTest } from "./live.ts";
import type { Prompter } from "./prompt.ts";

/** The setup flags (see setup.ts `--help`). */
export interface SetupFlags {
  token?: string;
  channel?: string;
  webhook?: string;
  statusChannel?: string;
  allowedUsers?: string;
  apiUrl?: string;
  home: string;
  user: boolean;
  projectDir: string;
  homeDir?: string;
  install: boolean;
  /** Ask where to install (neither --user nor --project was given). */
  askWhere?: boolean;
  dryRun: boolean;
  liveTest: boolean;
  liveTimeoutSeconds: number;
  denoPath?: string;
}

/** Where setup talks. */
export interface SetupIo {
  /** A progress line. */
  say: (line: string) => void;
  /** Questions; `undefined` when not in a terminal (missing values are then errors). */
  prompter?: Prompter;
  /** The environment (DISCORD_* values). */
  env: Record<string, string | undefined>;
  /** fetch, for tests. */
  fetch?: typeof fetch;
}

/** What a finished setup did. */
export interface SetupResult {
  /** The configuration in effect. */
  config: Config;
  /** Files written (config, settings, MCP). */
  written: string[];
  /** Seconds the whole flow took. */
  seconds: number;
  /** Where the hooks went (when installed): the settings file. */
  installedInto?: string;
}

const MAX_TRIES = 5;

/**
 * Runs the setup flow.
 *
 * @param flags The parsed flags.
 * @param io Output, prompter, env.
 * @returns What was done.
 * @throws {ConfigError} On a missing or malformed value (exit 2), {@linkcode DiscordApiError}
 *   or {@linkcode ClaudeDiscordError} on a failed check (exit 1).
 */
export async function runSetup(flags: SetupFlags, io: SetupIo): Promise<SetupResult> {
  const started = performance.now();
  const { say, prompter } = io;
  const file = readConfigFile(flags.home);
  const pick = (flag: string | undefined, envName: string, key: keyof typeof file) =>
    flag ?? nonEmpty(io.env[envName]) ?? (file[key] as string | undefined);
  const apiUrl = normaliseApiUrl(
    flags.apiUrl ?? nonEmpty(io.env.DISCORD_API_URL) ?? file.apiUrl ?? DEFAULT_API_URL,
  );
  say(`State directory: ${flags.home}${apiUrl === DEFAULT_API_URL ? "" : ` (API ${apiUrl})`}`);

  // 1. Token.
  let token = pick(flags.token, "DISCORD_BOT_TOKEN", "token");
  let api: SetupApi | undefined;
  let bot: BotUser | undefined;
  for (let tries = 1; !bot; tries++) {
    if (!token) {
      if (!prompter) {
        throw new ConfigError(
          "No bot token: pass --token, set DISCORD_BOT_TOKEN, or run setup in a terminal to be asked",
        );
      }
      token = await prompter.ask(
        "Bot token (Developer Portal > your application > Bot > Reset Token)",
        { secret: true },
      );
    }
    if (!isBotTokenShape(token)) {
      const problem = new ConfigError(
        "That is not a bot token (it has three parts separated by dots): copy it from the Developer Portal > Bot > Reset Token",
      );
      if (!prompter || tries >= MAX_TRIES) throw problem;
      say(problem.message);
      token = undefined;
      continue;
    }
    api = new SetupApi({ token, apiUrl, ...(io.fetch ? { fetch: io.fetch } : {}) });
    try {
      bot = await api.bot();
    } catch (err) {
      if (
        !prompter || tries >= MAX_TRIES || !(err instanceof DiscordApiError) || err.status !== 401
      ) {
        throw err;
      }
      say(err.message);
      token = undefined;
    }
  }
  say(`ok  token: bot ${bot.username} (${bot.id})`);

  // 2. Application: Message Content intent, owner.
  let app: AppInfo = await api!.application();
  for (let tries = 1; !app.messageContent; tries++) {
    const problem = new DiscordApiError(`The MESSAGE CONTENT intent is off: ${INTENT_FIX}`, 0);
    if (!prompter || tries >= MAX_TRIES) throw problem;
    say(problem.message);
    await prompter.pause("Press Enter once it is switched on and saved…");
    app = await api!.application();
  }
  say(`ok  application ${app.name || app.id}: MESSAGE CONTENT intent on`);

  // 3. Chat channel and the bot's permissions there.
  let channelId = pick(flags.channel, "DISCORD_CHANNEL_ID", "channelId");
  let chat: ChannelInfo | undefined;
  for (let tries = 1; !chat; tries++) {
    if (!channelId) {
      if (!prompter) {
        throw new ConfigError(
          "No chat channel: pass --channel ID, set DISCORD_CHANNEL_ID, or run setup in a terminal to pick one",
        );
      }
      channelId = await pickChannel(api!, prompter, say, "chat");
    }
    try {
      if (!isSnowflake(channelId)) {
        throw new ConfigError(
          `The chat channel "${channelId}" is not a channel id: right-click the channel > Copy Channel ID (Developer Mode on)`,
        );
      }
      const info = await api!.channel(channelId, bot.id, "DISCORD_CHANNEL_ID");
      if (info.type !== 0 && info.type !== 5) {
        throw new ConfigError(
          `#${info.name} is a ${channelTypeName(info.type)} channel: the chat needs a text channel${
            info.type === 15 ? " (a forum is right for STATUS posts: --status-channel)" : ""
          }`,
        );
      }
      const verdict = judgePermissions(info, "chat");
      if (verdict.missing.length > 0) {
        throw new DiscordApiError(
          `The bot lacks ${
            verdict.missing.join(", ")
          } in #${info.name}: allow them for its role in Channel Settings > Permissions (or invite it again with ${
            api!.inviteUrl()
          })`,
          403,
        );
      }
      if (verdict.degraded.length > 0) {
        say(
          `warn the bot lacks ${
            verdict.degraded.join(", ")
          } in #${info.name}: some tools will fail`,
        );
      }
      chat = info;
    } catch (err) {
      if (!prompter || tries >= MAX_TRIES || !(err instanceof ClaudeDiscordError)) throw err;
      say(err.message);
      channelId = undefined;
    }
  }
  say(`ok  chat channel #${chat.name} in "${chat.guildName}" (${chat.id})`);

  // 4. STATUS webhook.
  let webhookUrl = pick(flags.webhook, "DISCORD_WEBHOOK_URL", "webhookUrl");
  let statusChannel: ChannelInfo;
  if (webhookUrl) {
    const hook = await api!.webhook(webhookUrl);
    if (hook.guildId && hook.guildId !== chat.guildId) {
      throw new ConfigError(
        `The webhook of DISCORD_WEBHOOK_URL posts into another server than #${chat.name}: create it on a channel of "${chat.guildName}"`,
      );
    }
    statusChannel = await api!.channel(hook.channelId, bot.id, "The webhook's channel");
  } else {
    let target = flags.statusChannel;
    if (!target && prompter) {
      target = await pickChannel(api!, prompter, say, "status", chat.id);
    }
    statusChannel = target && target !== chat.id
      ? await api!.channel(target, bot.id, "--status-channel")
      : chat;
  }
  if (![0, 5, 15, 16].includes(statusChannel.type)) {
    throw new ConfigError(
      `STATUS posts would go to #${statusChannel.name}, a ${
        channelTypeName(statusChannel.type)
      } channel: use a forum (one post per session) or a text channel (one thread per session)`,
    );
  }
  const statusVerdict = judgePermissions(statusChannel, "status");
  if (statusVerdict.missing.length > 0) {
    const forumHint = statusChannel.type === 15 ? "" : ", or use a forum channel for STATUS posts";
    throw new DiscordApiError(
      `The bot lacks ${
        statusVerdict.missing.join(", ")
      } in #${statusChannel.name}, where STATUS posts go: allow them for its role in Channel Settings > Permissions${forumHint}`,
      403,
    );
  }
  if (!webhookUrl) {
    if (flags.dryRun) {
      say(`(dry run) would find or create the webhook "claude-discord" on #${statusChannel.name}`);
    } else {
      const made = await api!.ensureWebhook(statusChannel);
      webhookUrl = made.url;
      say(
        `${made.created ? "created" : "found"} webhook "claude-discord" on #${statusChannel.name}`,
      );
    }
  }
  const mode = statusChannel.type === 15 || statusChannel.type === 16
    ? "a forum: one post per session"
    : "a text channel: the bot starts one thread per session";
  say(`ok  STATUS posts go to #${statusChannel.name}, ${mode}`);

  // 5. Allowed users.
  let allowed = pick(flags.allowedUsers, "DISCORD_ALLOWED_USERS", "allowedUsers") as
    | string
    | string[]
    | undefined;
  if (Array.isArray(allowed)) allowed = allowed.join(",");
  if (!allowed && prompter) {
    const owner = app.ownerId
      ? `${app.ownerId}${app.ownerName ? ` = ${app.ownerName}, the app owner` : ""}`
      : undefined;
    const answer = await prompter.ask(
      "User ids allowed to steer sessions (comma-separated; right-click a user > Copy User ID)" +
        (app.ownerName ? `; Enter = ${app.ownerName}, the app owner` : ""),
      owner ? { default: app.ownerId! } : {},
    );
    allowed = answer || app.ownerId;
    if (owner && allowed === app.ownerId) say(`allowing ${owner}`);
  }
  allowed ??= app.ownerId;
  const allowedUsers = (allowed ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (allowedUsers.length === 0) {
    throw new ConfigError(
      "No allowed users: pass --allowed-users ID[,ID] (right-click a user > Copy User ID); nobody else can steer sessions",
    );
  }
  if (!allowedUsers.every(isSnowflake)) {
    throw new ConfigError(
      "--allowed-users must be comma-separated Discord user ids: right-click a user > Copy User ID",
    );
  }
  say(`ok  allowed users: ${allowedUsers.join(", ")}`);

  // 6. Write the configuration.
  const values = {
    token: token!,
    channelId: chat.id,
    webhookUrl,
    allowedUsers,
    apiUrl: apiUrl === DEFAULT_API_URL ? undefined : apiUrl,
  };
  const changedConfig = JSON.stringify(pickValues(file)) !== JSON.stringify(pickValues(values));
  const written: string[] = [];
  let installedInto: string | undefined;
  if (flags.dryRun) say(`(dry run) would write ${flags.home}/config.json (0600)`);
  else {
    written.push(writeConfigFile(flags.home, values));
    say(`wrote ${flags.home}/config.json (0600)`);
  }
  const config: Config = flags.dryRun
    ? { ...loadConfig({ env: { CLAUDE_DISCORD_HOME: flags.home } }), ...values, apiUrl }
    : loadConfig({ env: { CLAUDE_DISCORD_HOME: flags.home } });

  // 7. Claude Code settings.
  let user = flags.user;
  let projectDir = flags.projectDir;
  if (flags.install && flags.askWhere && prompter) {
    const answer = await prompter.ask(
      "Install the hooks for every project (type: user) or for one project (its directory)",
      { default: projectDir },
    );
    if (/^u(ser)?$/i.test(answer)) user = true;
    else projectDir = answer.replace(/^~(?=\/|$)/, flags.homeDir ?? "~");
  }
  if (flags.install) {
    const target = installTarget({
      user,
      projectDir,
      ...(flags.homeDir ? { homeDir: flags.homeDir } : {}),
    });
    const options: SettingsOptions = {
      home: flags.home,
      apiUrl,
      ...(webhookUrl ? { webhookUrl } : {}),
      wakeOnMessage: config.wakeOnMessage,
      wakeTimeoutSeconds: config.wakeTimeoutSeconds,
      permissionTimeoutSeconds: config.permissionTimeoutSeconds,
      ...(flags.denoPath ? { denoPath: flags.denoPath } : {}),
    };
    installedInto = target.settings;
    const changes = [
      planMerge(target.settings, buildSettings(options) as unknown as Record<string, unknown>),
      planMerge(target.mcp, mcpConfig(options) as unknown as Record<string, unknown>),
    ];
    for (const change of changes) {
      if (flags.dryRun) say(`(dry run) ${change.summary}`);
      else {
        const backup = applyChange(change);
        if (change.changed) written.push(change.path);
        say(`${change.summary}${backup ? `; previous version in ${backup}` : ""}`);
      }
    }
  }

  // 8. Live test.
  if (flags.liveTest && !flags.dryRun) {
    const result = await liveTest({
      config,
      api: api!,
      timeoutMs: flags.liveTimeoutSeconds * 1000,
      restart: changedConfig,
      say,
      channelName: chat.name,
      ...(flags.denoPath ? { denoPath: flags.denoPath } : {}),
    });
    say(
      `ok  live test: "${result.reply.content.slice(0, 60)}" from ${result.reply.author.name} ` +
        `reached the bridge (pid ${
          result.bridgePid ?? "?"
        }) ${result.waitedMs} ms after "connected"`,
    );
  }
  const seconds = Math.round((performance.now() - started) / 100) / 10;
  return { config, written, seconds, ...(installedInto ? { installedInto } : {}) };
}

async function pickChannel(
  api: SetupApi,
  prompter: Prompter,
  say: (line: string) => void,
  purpose: "chat" | "status",
  chatId?: string,
): Promise<string> {
  for (;;) {
    const guilds = await api.guilds();
    if (guilds.length === 0) {
      say(`The bot is not in any server yet. Invite it: ${api.inviteUrl()}`);
      await prompter.pause("Press Enter once it is in your server…");
      continue;
    }
    const choices: { id: string; label: string }[] = [];
    for (const g of guilds) {
      for (const c of await api.guildChannels(g.id)) {
        const fits = purpose === "chat" ? c.type === 0 || c.type === 5 : c.type === 15;
        if (fits) {
          choices.push({ id: c.id, label: `#${c.name} (${channelTypeName(c.type)}, ${g.name})` });
        }
      }
    }
    if (purpose === "status") {
      say("Where should STATUS posts (one thread per session) go?");
      say("  Enter  the chat channel (the bot starts a thread per session)");
    } else say("Which channel is the chat with your sessions? (a dedicated text channel is best)");
    choices.forEach((c, i) => say(`  ${i + 1}  ${c.label}`));
    const answer = await prompter.ask(
      purpose === "chat" ? "Number or channel id" : "Number of a forum, a channel id, or Enter",
    );
    if (purpose === "status" && answer === "") return chatId!;
    const n = Number(answer);
    if (Number.isInteger(n) && n >= 1 && n <= choices.length) return choices[n - 1].id;
    if (isSnowflake(answer)) return answer;
    say(`"${answer}" is neither a number from the list nor a channel id`);
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value.trim() !== "" ? value.trim() : undefined;
}

/** Validates and normalises an API base by the rule of config.ts (no version, no slash). */
function normaliseApiUrl(value: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || !(url.protocol === "http:" || url.protocol === "https:")) {
    throw new ConfigError(
      "DISCORD_API_URL is not an http(s) URL: leave it out for Discord, or use e.g. http://127.0.0.1:PORT/api",
    );
  }
  return `${url.origin}${url.pathname}`.replace(/\/+$/, "").replace(/\/v[0-9]+$/, "");
}

function pickValues(v: Record<string, unknown>): unknown[] {
  return [v.token, v.channelId, v.webhookUrl, v.allowedUsers, v.apiUrl];
}
