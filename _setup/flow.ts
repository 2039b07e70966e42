// Private: the setup flow, as named steps. Each value comes from a flag, the environment,
// the existing config file, or a question (in a terminal), and passes the Discord checks
// shared with doctor (checks.ts) before anything is written: token, the application's Message
// Content intent, the chat channel and the bot's permissions there, the STATUS webhook (found,
// created, or checked) and its channel, the allowed users. Then the config file (0600), the
// Claude Code settings, and a live test.
import {
  type Config,
  configFileExposure,
  DEFAULT_API_URL,
  loadConfig,
  parseApiUrl,
  readConfigFile,
  writeConfigFile,
} from "../config.ts";
import { buildSettings, mcpConfig, type SettingsOptions } from "../settings.ts";
import type { ChannelInfo, SetupApi } from "./api.ts";
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
import { transcriptsDirFor } from "../daemon.ts";
import type { Prompter } from "./prompt.ts";
import {
  chooseAllowedUsers,
  chooseChatChannel,
  connectBot,
  requireMessageContent,
  setUpStatusWebhook,
} from "./discord_steps.ts";
import { pickFrom, type Run, type SetupFlags } from "./run.ts";

export type { SetupFlags };

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

/** The bridge reads Claude Code's transcripts there (the status cards). */
function transcriptsOf(
  env: Record<string, string | undefined>,
  homeDir: string | undefined,
): { transcripts?: string } {
  const dir = transcriptsDirFor({ CLAUDE_CONFIG_DIR: env.CLAUDE_CONFIG_DIR, HOME: homeDir });
  return dir ? { transcripts: dir } : {};
}

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
    ...transcriptsOf(run.env, flags.homeDir),
  });
  run.say(
    `ok  live test: "${result.reply.content.slice(0, 60)}" from ${result.reply.author.name} ` +
      `reached the bridge (pid ${result.bridgePid ?? "?"}) ${result.waitedMs} ms after "connected"`,
  );
}

function pickValues(v: Record<string, unknown>): unknown[] {
  return [v.token, v.channelId, v.webhookUrl, v.allowedUsers, v.apiUrl, v.machineLabel];
}
