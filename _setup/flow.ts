// Private: the setup flow, as named steps. Each value comes from a flag, the environment,
// the existing config file, or a question (in a terminal), and passes the Discord checks
// shared with doctor (checks.ts) before anything is written: token, the application's Message
// Content intent, the chat channel and the bot's permissions there, the STATUS webhook (found,
// created, or checked) and its channel, the allowed users. Then the config file (0600), the
// Claude Code settings, and a live test.
import {
  type Config,
  type ConfigFile,
  configFileExposure,
  DEFAULT_API_URL,
  isSnowflake,
  loadConfig,
  parseApiUrl,
  readConfigFile,
  withoutBotPrefix,
  writeConfigFile,
} from "../config.ts";
import { ClaudeDiscordError, ConfigError, DiscordApiError } from "../errors.ts";
import { buildSettings, mcpConfig, type SettingsOptions } from "../settings.ts";
import {
  type AppInfo,
  type BotUser,
  type ChannelInfo,
  channelTypeName,
  type SetupApi,
} from "./api.ts";
import {
  type BotSession,
  checkAllowedUsers,
  checkChatChannel,
  checkIntent,
  checkStatusChannel,
  checkToken,
  checkWebhook,
  type Connection,
  type Failed,
  IntentOffError,
  orThrow,
  type Passed,
} from "./checks.ts";
import {
  applyChange,
  type FileChange,
  type InstallTarget,
  installTarget,
  otherProjectScope,
  planMcpMerge,
  planMcpRemoval,
  planMerge,
  planRemoval,
} from "./install.ts";
import { forgetInstalls, recordInstall } from "./installs.ts";
import { machineOf } from "../machine.ts";
import { liveTest } from "./live.ts";
import type { Prompter } from "./prompt.ts";
import { ChannelType } from "discord-api-types/v10";

/** The setup flags (see setup.ts `--help`). */
export interface SetupFlags {
  token?: string;
  channel?: string;
  webhook?: string;
  statusChannel?: string;
  allowedUsers?: string;
  apiUrl?: string;
  /** This machine's label (config.json `machineLabel`), already checked. */
  machineLabel?: string;
  home: string;
  user: boolean;
  /** Install into the project's committed files (`.claude/settings.json`, `.mcp.json`). */
  shared?: boolean;
  /** Let `send_file` run without a prompt too. */
  allowSendFile?: boolean;
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
  /** Where the install went (when installed). */
  installed?: InstallTarget;
}

const MAX_TRIES = 5;

/** One run of setup: its flags and output, the config file as it was, the API base. */
interface Run {
  /** The flags. */
  flags: SetupFlags;
  /** Progress lines. */
  say: (line: string) => void;
  /** Questions, in a terminal. */
  prompter?: Prompter;
  /** The environment. */
  env: Record<string, string | undefined>;
  /** The config file before this run. */
  file: ConfigFile;
  /** Where the REST API is. */
  connection: Connection;
}

/** What {@linkcode writeConfig} wrote and loaded. */
interface Saved {
  /** The configuration in effect. */
  config: Config;
  /** Files written so far. */
  written: string[];
  /** Whether the Discord values differ from the file's (a running bridge restarts). */
  changed: boolean;
}

/**
 * Runs the setup flow: each Discord check in order (stopping at the first that fails), then
 * the config file, the Claude Code settings and the live test.
 *
 * @param flags The parsed flags.
 * @param io Output, prompter, env.
 * @returns What was done.
 * @throws {ConfigError} On a missing or malformed value (exit 2), {@linkcode DiscordApiError}
 *   or {@linkcode ClaudeDiscordError} on a failed check (exit 1).
 */
export async function runSetup(flags: SetupFlags, io: SetupIo): Promise<SetupResult> {
  const started = performance.now();
  const run = startRun(flags, io);
  const { token, api, bot } = await connectBot(run);
  const app = await requireMessageContent(run, api);
  const chat = await chooseChatChannel(run, api, bot);
  const webhookUrl = await setUpStatusWebhook(run, api, bot, chat);
  const allowedUsers = await chooseAllowedUsers(run, api, app, chat);
  const values = { token, channelId: chat.id, webhookUrl, allowedUsers };
  // Every settings file is read and checked before anything is written: one Claude Code
  // cannot read stops setup with the config file untouched too.
  const plan = await planInstall(run, previewConfig(run, values));
  const saved = writeConfig(run, values);
  const installed = plan && applyInstall(run, plan, saved);
  await runLiveTest(run, api, chat, saved);
  const seconds = Math.round((performance.now() - started) / 100) / 10;
  return {
    config: saved.config,
    written: saved.written,
    seconds,
    ...(installed ? { installedInto: installed.settings, installed } : {}),
  };
}

/** Reads the config file and the API base, and says where the state goes. */
function startRun(flags: SetupFlags, io: SetupIo): Run {
  const file = readConfigFile(flags.home);
  const given = pickFrom(
    io.env,
    file,
    flags.apiUrl,
    "--api-url",
    "DISCORD_API_URL",
    "apiUrl",
  );
  const apiUrl = parseApiUrl(given.value ?? DEFAULT_API_URL, given.setting);
  io.say(`State directory: ${flags.home}${apiUrl === DEFAULT_API_URL ? "" : ` (API ${apiUrl})`}`);
  return {
    flags,
    say: io.say,
    ...(io.prompter ? { prompter: io.prompter } : {}),
    env: io.env,
    file,
    connection: {
      apiUrl,
      ...(given.value !== undefined ? { apiSetting: given.setting } : {}),
      ...(io.fetch ? { fetch: io.fetch } : {}),
    },
  };
}

/** A value and the setting it came from, as messages name it. */
interface Picked {
  /** The value, `undefined` when none was given. */
  value: unknown;
  /** `--channel`, or `DISCORD_CHANNEL_ID` for the env var or config.json: where it came from. */
  setting: string;
}

/** A value from its flag, else its env var, else the config file; named by where it came from. */
function pick(
  run: Run,
  flag: string | undefined,
  flagName: string,
  envName: string,
  key: keyof ConfigFile,
): Picked {
  return pickFrom(run.env, run.file, flag, flagName, envName, key);
}

function pickFrom(
  env: Record<string, string | undefined>,
  file: ConfigFile,
  flag: string | undefined,
  flagName: string,
  envName: string,
  key: keyof ConfigFile,
): Picked {
  if (flag !== undefined) return { value: flag, setting: flagName };
  // The env var names a value of config.json too, as config.ts and doctor name it.
  const value = nonEmpty(env[envName]) ?? file[key];
  return { value, setting: value === undefined ? flagName : envName };
}

/** Says a passed check (`ok  label: …` or `warn label: …`) and returns its value. */
function report<T>(run: Run, verdict: Passed<T>): T {
  run.say(`${verdict.level === "ok" ? "ok " : "warn"} ${verdict.label}: ${verdict.message}`);
  return verdict.value;
}

/**
 * Whether to ask again after a failed check: in a terminal, for a problem another answer
 * can fix, fewer than {@linkcode MAX_TRIES} times. Says the problem when so.
 */
function askAgain(run: Run, tries: number, verdict: Failed, fixable: boolean): boolean {
  if (!run.prompter || tries >= MAX_TRIES || !fixable) return false;
  run.say(verdict.message);
  return true;
}

/** Step 1, the token: from a flag, the environment, the file or a (hidden) question. */
async function connectBot(run: Run): Promise<BotSession & { token: string }> {
  const given = pick(run, run.flags.token, "--token", "DISCORD_BOT_TOKEN", "token");
  let token = given.value as string | undefined;
  let setting: string | undefined = given.setting;
  for (let tries = 1;; tries++) {
    if (!token) {
      if (!run.prompter) {
        throw new ConfigError(
          "No bot token: pass --token, set DISCORD_BOT_TOKEN, or run setup in a terminal to be asked",
        );
      }
      token = await run.prompter.ask(
        "Bot token (Developer Portal > your application > Bot > Reset Token)",
        { secret: true },
      );
      setting = undefined;
    }
    const bare = withoutBotPrefix(token);
    if (bare !== token.trim()) {
      run.say(
        `${
          setting ?? "The token"
        } starts with "Bot ", the word of the Authorization header: using the token after it`,
      );
    }
    token = bare;
    const verdict = await checkToken(token, run.connection, setting);
    if (verdict.level !== "fail") return { token, ...report(run, verdict) };
    const { problem } = verdict;
    const refused = problem instanceof DiscordApiError && problem.status === 401;
    if (!askAgain(run, tries, verdict, problem instanceof ConfigError || refused)) throw problem;
    token = undefined;
  }
}

/** Step 2, the application: its MESSAGE CONTENT intent, waiting in a terminal for the switch. */
async function requireMessageContent(run: Run, api: SetupApi): Promise<AppInfo> {
  let verdict = await checkIntent(api);
  for (let tries = 1; verdict.level === "fail"; tries++) {
    if (!askAgain(run, tries, verdict, verdict.problem instanceof IntentOffError)) {
      throw verdict.problem;
    }
    await run.prompter!.pause("Press Enter once it is switched on and saved…");
    verdict = await checkIntent(api);
  }
  return report(run, verdict);
}

/** Step 3, the chat channel and the bot's permissions there; in a terminal, picked from a list. */
async function chooseChatChannel(run: Run, api: SetupApi, bot: BotUser): Promise<ChannelInfo> {
  const given = pick(run, run.flags.channel, "--channel", "DISCORD_CHANNEL_ID", "channelId");
  let channelId = given.value as string | undefined;
  let setting = given.setting;
  for (let tries = 1;; tries++) {
    if (!channelId) {
      if (!run.prompter) {
        throw new ConfigError(
          "No chat channel: pass --channel ID, set DISCORD_CHANNEL_ID, or run setup in a terminal to pick one",
        );
      }
      channelId = await pickChannel(api, run.prompter, run.say, "chat");
      setting = "The chat channel";
    }
    const verdict = await checkChatChannel(api, bot.id, channelId, setting);
    if (verdict.level !== "fail") return report(run, verdict);
    if (!askAgain(run, tries, verdict, verdict.problem instanceof ClaudeDiscordError)) {
      throw verdict.problem;
    }
    channelId = undefined;
  }
}

/**
 * Step 4, where STATUS posts go: the given webhook checked, or a channel chosen (the chat
 * channel by default) and the bot's `claude-discord` webhook found or created there.
 *
 * @returns The webhook URL (`undefined` in a dry run that would create it).
 */
async function setUpStatusWebhook(
  run: Run,
  api: SetupApi,
  bot: BotUser,
  chat: ChannelInfo,
): Promise<string | undefined> {
  const given = pick(run, run.flags.webhook, "--webhook", "DISCORD_WEBHOOK_URL", "webhookUrl");
  const givenUrl = given.value as string | undefined;
  if (givenUrl) {
    report(run, orThrow(await checkWebhook(api, bot.id, givenUrl, chat, given.setting)));
    return givenUrl;
  }
  let target = run.flags.statusChannel;
  if (!target && run.prompter) {
    target = await pickChannel(api, run.prompter, run.say, "status", chat.id);
  }
  const verdict = orThrow(await checkStatusChannel(api, bot.id, target, chat));
  const channel = verdict.value;
  let url: string | undefined;
  if (run.flags.dryRun) {
    run.say(`(dry run) would find or create the webhook "claude-discord" on #${channel.name}`);
  } else {
    const made = await api.ensureWebhook(channel);
    url = made.url;
    run.say(`${made.created ? "created" : "found"} webhook "claude-discord" on #${channel.name}`);
  }
  report(run, verdict);
  return url;
}

/** Step 5, the allowed users: given, asked (Enter = the app owner), or the app owner. */
async function chooseAllowedUsers(
  run: Run,
  api: SetupApi,
  app: AppInfo,
  chat: ChannelInfo,
): Promise<string[]> {
  const given = pick(
    run,
    run.flags.allowedUsers,
    "--allowed-users",
    "DISCORD_ALLOWED_USERS",
    "allowedUsers",
  );
  let allowed = given.value as string | string[] | undefined;
  let setting = given.setting;
  if (Array.isArray(allowed)) allowed = allowed.join(",");
  if (!allowed && run.prompter) {
    const owner = app.ownerId
      ? `${app.ownerId}${app.ownerName ? ` = ${app.ownerName}, the app owner` : ""}`
      : undefined;
    const answer = await run.prompter.ask(
      "User ids allowed to steer sessions (comma-separated; right-click a user > Copy User ID)" +
        (app.ownerName ? `; Enter = ${app.ownerName}, the app owner` : ""),
      owner ? { default: app.ownerId! } : {},
    );
    allowed = answer || app.ownerId;
    setting = "The user ids you typed";
    if (owner && allowed === app.ownerId) run.say(`allowing ${owner}`);
  }
  allowed ??= app.ownerId;
  const ids = (allowed ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "");
  return report(run, orThrow(await checkAllowedUsers(api, ids, chat, setting)));
}

/** The values setup checked, as the config file gets them. */
interface Checked {
  token: string;
  channelId: string;
  webhookUrl?: string;
  allowedUsers: string[];
}

/** The configuration as it will be once written (the tunables from the file as it is). */
function previewConfig(run: Run, checked: Checked): Config {
  const apiUrl = run.connection.apiUrl;
  const loaded = loadConfig({ env: { CLAUDE_DISCORD_HOME: run.flags.home } });
  return { ...loaded, ...checked, apiUrl };
}

/** Step 6, the configuration: written 0600 (said only, in a dry run), then loaded. */
function writeConfig(run: Run, checked: Checked): Saved {
  const { flags } = run;
  const apiUrl = run.connection.apiUrl;
  const values = {
    ...checked,
    apiUrl: apiUrl === DEFAULT_API_URL ? undefined : apiUrl,
    machineLabel: flags.machineLabel ?? run.file.machineLabel,
  };
  const changed = JSON.stringify(pickValues(run.file)) !== JSON.stringify(pickValues(values));
  const written: string[] = [];
  const exposed = configFileExposure(flags.home);
  if (flags.dryRun) run.say(`(dry run) would write ${flags.home}/config.json (0600)`);
  else {
    written.push(writeConfigFile(flags.home, values));
    run.say(`wrote ${flags.home}/config.json (0600)`);
    if (exposed) run.say(`fixed: ${exposed.replace(/: run chmod 600 .*$/, "")}; it is 0600 now`);
  }
  const config: Config = flags.dryRun
    ? previewConfig(run, checked)
    : loadConfig({ env: { CLAUDE_DISCORD_HOME: flags.home } });
  if (!flags.dryRun) {
    const machine = machineOf(config);
    run.say(`ok  machine: ${machine.label} (id ${machine.id}, ${flags.home}/machine.json)`);
  }
  return { config, written, changed };
}

/** The settings changes of an install, planned (and so checked) before anything is written. */
interface InstallPlan {
  /** Where the install goes. */
  target: InstallTarget;
  /** The settings file, the MCP file, and ours taken out of the project's other scope. */
  changes: FileChange[];
  /** The project's other scope, when ours is taken out of it. */
  movedFrom?: InstallTarget;
}

/**
 * Step 7a, where the hooks go and what changes there: the project's local files (the default),
 * its committed files (`--shared`) or the user's (`--user`); asked in a terminal when neither
 * `--user` nor `--project` was given. An install in one project scope takes claude-discord out
 * of the other, so no hook runs twice.
 *
 * @returns The plan, unless `--no-install`.
 * @throws {ConfigError} When a settings file is not strict JSON (nothing is written then).
 */
async function planInstall(run: Run, config: Config): Promise<InstallPlan | undefined> {
  const { flags, prompter } = run;
  if (!flags.install) return undefined;
  let user = flags.user;
  let projectDir = flags.projectDir;
  if (flags.askWhere && prompter) {
    const answer = await prompter.ask(
      "Install the hooks for every project (type: user) or for one project (its directory)",
      { default: projectDir },
    );
    if (/^u(ser)?$/i.test(answer)) user = true;
    else projectDir = answer.replace(/^~(?=\/|$)/, flags.homeDir ?? "~");
  }
  const homeDir = flags.homeDir ? { homeDir: flags.homeDir } : {};
  const target = installTarget({ user, shared: flags.shared ?? false, projectDir, ...homeDir });
  const options: SettingsOptions = {
    home: flags.home,
    apiUrl: run.connection.apiUrl,
    ...(config.webhookUrl ? { webhookUrl: config.webhookUrl } : {}),
    wakeOnMessage: config.wakeOnMessage,
    wakeTimeoutSeconds: config.wakeTimeoutSeconds,
    permissionTimeoutSeconds: config.permissionTimeoutSeconds,
    allowSendFile: flags.allowSendFile ?? false,
    allowedFilePaths: config.allowedFilePaths,
    ...(flags.denoPath ? { denoPath: flags.denoPath } : {}),
  };
  const { enabledMcpjsonServers, ...rest } = buildSettings(options);
  // enabledMcpjsonServers approves a server of `.mcp.json`: only the shared scope has one.
  const settings = target.scope === "shared" ? { enabledMcpjsonServers, ...rest } : rest;
  const changes = [
    planMerge(target.settings, settings as unknown as Record<string, unknown>),
    planMcpMerge(target, mcpConfig(options)),
  ];
  // Moving from the project's other scope: said only when something of ours was there.
  const other = otherProjectScope(target, flags.homeDir);
  const moved = other ? [planRemoval(other.settings), planMcpRemoval(other)] : [];
  changes.push(...moved.filter((c) => c.changed));
  return {
    target,
    changes,
    ...(other && moved.some((c) => c.changed) ? { movedFrom: other } : {}),
  };
}

/**
 * Step 7b, the Claude Code settings written as planned (said only, in a dry run), and the
 * install recorded in the state directory for status and doctor.
 *
 * @returns Where the install went.
 */
function applyInstall(run: Run, plan: InstallPlan, saved: Saved): InstallTarget {
  const { flags } = run;
  for (const change of plan.changes) {
    if (flags.dryRun) run.say(`(dry run) ${change.summary}`);
    else {
      const backup = applyChange(change);
      if (change.changed) saved.written.push(change.path);
      run.say(`${change.summary}${backup ? `; previous version in ${backup}` : ""}`);
    }
  }
  if (!flags.dryRun) {
    const warn = (line: string) => run.say(`warn ${line}`);
    if (plan.movedFrom) forgetInstalls(flags.home, [plan.movedFrom.settings], warn);
    recordInstall(flags.home, plan.target, { checkout: CHECKOUT, warn });
  }
  return plan.target;
}

/** The claude-discord checkout (the hooks and the MCP server run from it). */
const CHECKOUT = decodeURIComponent(new URL("..", import.meta.url).pathname).replace(/\/+$/, "");

/** Step 8, the live test: a reply in Discord comes back through the bridge (not in a dry run). */
async function runLiveTest(
  run: Run,
  api: SetupApi,
  chat: ChannelInfo,
  saved: Saved,
): Promise<void> {
  const { flags } = run;
  if (!flags.liveTest || flags.dryRun) return;
  const result = await liveTest({
    config: saved.config,
    api,
    timeoutMs: flags.liveTimeoutSeconds * 1000,
    restart: saved.changed,
    say: run.say,
    channelName: chat.name,
    ...(flags.denoPath ? { denoPath: flags.denoPath } : {}),
  });
  run.say(
    `ok  live test: "${result.reply.content.slice(0, 60)}" from ${result.reply.author.name} ` +
      `reached the bridge (pid ${result.bridgePid ?? "?"}) ${result.waitedMs} ms after "connected"`,
  );
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
        const fits = purpose === "chat"
          ? c.type === ChannelType.GuildText || c.type === ChannelType.GuildAnnouncement
          : c.type === ChannelType.GuildForum;
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

function pickValues(v: Record<string, unknown>): unknown[] {
  return [v.token, v.channelId, v.webhookUrl, v.allowedUsers, v.apiUrl, v.machineLabel];
}
