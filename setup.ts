#!/usr/bin/env -S deno run -A
/**
 * Setup of claude-discord in one command, and the `status` and `doctor` views.
 *
 * ```sh
 * deno task setup                      # asks for what it cannot find, checks it, installs, tests it live
 * deno task setup --shared             # into the project's committed .claude/settings.json + .mcp.json
 * deno task setup --user               # hooks for every project (~/.claude/settings.json)
 * deno task setup --token … --channel 123 --webhook https://… --allowed-users 456 --project ~/app
 * deno task setup --dry-run            # every check, nothing written, no live test
 * deno task setup --uninstall [--user] # take the hooks, the MCP server and its rules out again
 * deno task setup --plugin             # configure the Claude Code plugin instead of settings
 * deno task status                     # bridge, sessions, mailboxes, installs, recent errors
 * deno task doctor                     # every check again, each with its fix
 * deno task status --sandbox           # the same for the sandbox's state directory
 * deno task plugin [--check]           # regenerate (or compare) the plugin files
 * deno run --allow-read --allow-write --allow-env setup.ts --print     # settings.json part only
 * ```
 *
 * Setup takes each value from a flag, the environment (`DISCORD_BOT_TOKEN`, …), the existing
 * `$CLAUDE_DISCORD_HOME/config.json`, or asks for it in a terminal, and checks it against
 * Discord before writing anything: the token (401), the Message Content intent (the
 * application's flags), the chat channel (bot in the server, View Channels, Send Messages,
 * Read Message History, Send Messages in Threads), the STATUS webhook (found or created by
 * the bot on the chosen channel; a forum gets one post per session, a text channel one thread
 * per session started by the bot), the allowed users (default: the application owner). Then
 * it writes the config (0600), merges the hooks, the MCP server and the rules that let Claude
 * use its reply, react, edit and fetch tools without asking into the Claude Code settings
 * without clobbering, keeping `FILE.bak` (a project's local files by default:
 * `.claude/settings.local.json` and the project's entry in `~/.claude.json`, which stay out of
 * its commits; `--shared`: `.claude/settings.json` + `.mcp.json`; `--user`:
 * `~/.claude/settings.json` + `~/.claude.json`), records the install in the state directory
 * (`installs.json`, which status and doctor read), and runs a live test: it starts the bridge,
 * posts "connected" as the bot, and waits for your reply to come back through the gateway into
 * a mailbox. Exit codes: 0, 1 (a check failed), 2 (usage or a missing value).
 *
 * Setup needs `-A` (it reads and writes the settings files, talks to Discord, starts the
 * bridge). `--print`, `--write`, `--uninstall` and `plugin` need only
 * `--allow-read --allow-write --allow-env` (`--uninstall` also removes the slash commands from
 * the server when it may reach the API host).
 *
 * @example Print the settings fragment for a temporary state directory
 * ```ts ignore
 * import { main } from "./setup.ts";
 * await main(["--print", "--home", Deno.makeTempDirSync()]);
 * ```
 *
 * @module
 */
import type { parseArgs } from "node:util";
import { readCommandLine } from "./_shared/args.ts";
import { type Config, ENV_VARS, loadConfig, parseMachineLabel } from "./config.ts";
import { ConfigError, exitCodeOf, UsageError } from "./errors.ts";
import { describeError } from "./log.ts";
import { buildSettings, mcpConfig, type SettingsOptions } from "./settings.ts";
import { applyChange, planMerge } from "./_setup/install.ts";
import { probeBridge } from "./daemon.ts";
import { SANDBOX_HOME_ENV, sandboxHome, sandboxStateDir } from "./testing/sandbox_home.ts";
import { collectStatus, homeFrom, renderStatus } from "./_setup/status.ts";
import { pluginDataDir, stalePluginFiles, writePluginFiles } from "./_setup/plugin.ts";
import { PromptAborted, terminalPrompter } from "./_setup/prompt.ts";
import type { SetupFlags, SetupResult } from "./_setup/flow.ts";
import { readEnv } from "./_shared/env.ts";

const HELP =
  `Usage: setup.ts [options]           set up (asks for what is missing, checks, installs, tests)
       setup.ts status [--json]     the running system: bridge, sessions, mailboxes, errors
       setup.ts doctor              every check again, each with its fix
       setup.ts plugin [--check]    regenerate (or compare) the Claude Code plugin files

Values (else from DISCORD_* env vars, then $CLAUDE_DISCORD_HOME/config.json, then a question):
  --token TOKEN          bot token (prefer DISCORD_BOT_TOKEN or the question: flags show in ps)
  --channel ID           the chat channel (a dedicated text channel)
  --webhook URL          STATUS webhook; default: find or create "claude-discord" on
  --status-channel ID    this channel (a forum is best), default the chat channel
  --allowed-users IDS    comma-separated user ids; default the application owner
  --api-url URL          REST base (a local server: http://127.0.0.1:PORT/api)
  --machine-label NAME   this machine's name on Discord (default: the host name); each
                         state directory is one machine, several may share one bot
Where:
  --project DIR          install into DIR/.claude/settings.local.json and DIR's entry in
                         ~/.claude.json: local files, out of DIR's commits
                         (default: the directory you ran the command in)
  --shared               install into DIR/.claude/settings.json and DIR/.mcp.json instead
                         (the files a project commits; they hold this machine's paths)
  --user                 install into ~/.claude/settings.json and ~/.claude.json instead
  --plugin               configure the plugin's data directory; install nothing
  --home DIR             state directory (default $CLAUDE_DISCORD_HOME or ~/.claude/discord)
  --sandbox              the sandbox's state directory (deno task sandbox; its home is
                         $CLAUDE_DISCORD_SANDBOX_HOME or ~/.claude/discord-sandbox)
  --deno PATH            deno binary the hooks run (default: this one)
What:
  --dry-run              check everything, write nothing, no live test
  --no-install           write the config only
  --no-live-test         skip the final round trip through Discord
  --allow-send-file      let Claude send files without asking too (send_file can upload
                         any file it can read; by default each upload asks)
  --live-timeout S       how long the live test waits for your reply (default 120)
  --uninstall            remove the hooks, the MCP server and its rules from DIR's local and
                         shared files (--user: the user's), and the slash commands from the
                         server; the state directory stays
  --print / --print-mcp  print the settings.json / .mcp.json part (no Discord call)
  --write FILE / --write-mcp FILE   merge those parts into FILE (no Discord call)
  --json                 status as JSON
  --check                plugin: exit 1 when the committed files differ
  -h, --help             this help`;

/** Output of {@linkcode main} (injectable for tests). */
export interface SetupOutput {
  /** Normal output. */
  out: (line: string) => void;
  /** Errors. */
  err: (line: string) => void;
}

/**
 * Merges `fragment` into the JSON file at `path` (created when missing, 0600 when new; the
 * old content kept as `path.bak`; nothing written when nothing changes).
 *
 * @param path The settings file.
 * @param fragment What to merge.
 * @returns The merged object.
 * @throws {ConfigError} When the file is not a JSON object (Claude Code reads strict JSON).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mergeIntoFile } from "./setup.ts";
 * const path = `${Deno.makeTempDirSync()}/settings.json`;
 * Deno.writeTextFileSync(path, '{"model":"opus"}');
 * const merged = mergeIntoFile(path, { enabledMcpjsonServers: ["discord"] });
 * assert(merged.model === "opus");
 * ```
 */
export function mergeIntoFile(
  path: string,
  fragment: Record<string, unknown>,
): Record<string, unknown> {
  const change = planMerge(path, fragment);
  applyChange(change);
  return JSON.parse(change.after ?? "{}");
}

/** The environment variables setup reads (an unpermitted one is unset). */
function env(): Record<string, string | undefined> {
  return readEnv([
    ...ENV_VARS,
    "INIT_CWD",
    "CLAUDE_CONFIG_DIR",
    "CLAUDE_CODE_PLUGIN_CACHE_DIR",
    SANDBOX_HOME_ENV,
  ]);
}

/** The options of the command line, parsed. */
const OPTIONS = {
  token: { type: "string" },
  channel: { type: "string" },
  webhook: { type: "string" },
  "status-channel": { type: "string" },
  "allowed-users": { type: "string" },
  "api-url": { type: "string" },
  "machine-label": { type: "string" },
  project: { type: "string" },
  user: { type: "boolean", default: false },
  shared: { type: "boolean", default: false },
  sandbox: { type: "boolean", default: false },
  "allow-send-file": { type: "boolean", default: false },
  plugin: { type: "boolean", default: false },
  home: { type: "string" },
  deno: { type: "string" },
  "dry-run": { type: "boolean", default: false },
  "no-install": { type: "boolean", default: false },
  "no-live-test": { type: "boolean", default: false },
  "live-timeout": { type: "string" },
  uninstall: { type: "boolean", default: false },
  print: { type: "boolean", default: false },
  "print-mcp": { type: "boolean", default: false },
  write: { type: "string" },
  "write-mcp": { type: "string" },
  json: { type: "boolean", default: false },
  check: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const;

/** The parsed flags. */
type Flags = ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>["values"];

/** The commands. */
const COMMANDS = ["setup", "status", "doctor", "plugin"] as const;

/** A parsed command line. */
interface CommandLine {
  /** The command (`setup` when none is given; `help` for `--help`). */
  command: typeof COMMANDS[number] | "help";
  /** The flags. */
  flags: Flags;
}

/** Where a command works: the state directory, the project, the environment. */
interface Place {
  /** The state directory. */
  home: string;
  /** The project directory. */
  projectDir: string;
  /** The environment. */
  env: Record<string, string | undefined>;
  /** Loads the configuration of `home`. */
  load: () => Config;
}

/**
 * The command line.
 *
 * @param args Command-line arguments.
 * @param io Output (default: the console).
 * @returns The exit code: 0, 1 (a check failed), 2 (usage or configuration).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { main } from "./setup.ts";
 * assert(await main(["--bogus"], { out: () => {}, err: () => {} }) === 2);
 * ```
 */
export async function main(
  args: string[],
  io: SetupOutput = { out: (l) => console.log(l), err: (l) => console.error(l) },
): Promise<number> {
  try {
    return await runCommand(await parseCommandLine(args), io);
  } catch (err) {
    io.err(
      err instanceof PromptAborted || err instanceof UsageError ? err.message : describeError(err),
    );
    return exitCodeOf(err);
  }
}

/**
 * Parses the arguments into a command and its flags.
 *
 * @throws {UsageError} On an unknown option or command.
 */
async function parseCommandLine(args: string[]): Promise<CommandLine> {
  const parsed = await readCommandLine(
    { args, options: OPTIONS, allowPositionals: true },
    "see --help",
  );
  const command = parsed.positionals[0] ?? "setup";
  if (parsed.values.help) return { command: "help", flags: parsed.values };
  if (!isCommand(command) || parsed.positionals.length > 1) {
    throw new UsageError(`Unknown command "${parsed.positionals.join(" ")}": see --help`);
  }
  return { command, flags: parsed.values };
}

/** Whether `name` is one of {@linkcode COMMANDS}. */
function isCommand(name: string): name is typeof COMMANDS[number] {
  return (COMMANDS as readonly string[]).includes(name);
}

/** Runs a parsed command; returns its exit code. */
async function runCommand({ command, flags }: CommandLine, io: SetupOutput): Promise<number> {
  if (command === "help") {
    io.out(HELP);
    return 0;
  }
  if (command === "plugin") return plugin(flags.check, io);
  const place = placeOf(flags);
  if (command === "status") return await status(flags, place, io);
  if (command === "doctor") return await doctor(flags, place, io);
  if (flags.uninstall) {
    return await (await import("./_setup/uninstall.ts")).uninstall(flags, place, io);
  }
  if (flags.print || flags["print-mcp"] || flags.write || flags["write-mcp"]) {
    return fragments(flags, place.load(), place.home, io);
  }
  return await setup(flags, place, io);
}

/**
 * The state directory (the plugin's data directory with `--plugin`) and the project.
 *
 * @throws {ConfigError} On both `--user` and `--project`.
 */
function placeOf(flags: Flags): Place {
  if (flags.user && flags.project) throw new ConfigError("Use --user or --project DIR, not both");
  if (flags.user && flags.shared) {
    throw new ConfigError("Use --user or --shared (a project's committed files), not both");
  }
  if (flags.sandbox && (flags.home || flags.plugin)) {
    throw new ConfigError("Use one of --sandbox, --home DIR and --plugin");
  }
  const e = env();
  const home = flags.plugin
    ? pluginDataDir(e)
    : flags.sandbox
    ? sandboxStateDir(sandboxHome(e))
    : homeFrom(e, flags.home);
  return {
    home,
    projectDir: flags.project ?? e.INIT_CWD ?? Deno.cwd(),
    env: e,
    load: () => loadConfig({ env: { ...e, CLAUDE_DISCORD_HOME: home } }),
  };
}

/** `status`: the running system, as text or JSON. */
async function status(flags: Flags, place: Place, io: SetupOutput): Promise<number> {
  const report = await collectStatus(place.home, place.load);
  io.out(flags.json ? JSON.stringify(report, null, 2) : renderStatus(report));
  const hint = sandboxHint(flags, place, "status");
  if (hint && !flags.json) io.out(hint);
  return 0;
}

/**
 * A line for a view of a state directory that has no bridge running while the sandbox's has
 * one: the sandbox keeps its own state directory, which `--sandbox` shows.
 */
function sandboxHint(flags: Flags, place: Place, command: string): string | undefined {
  if (flags.sandbox || flags.home || !place.env.HOME) return undefined;
  const sandbox = sandboxStateDir(sandboxHome(place.env));
  if (sandbox === place.home || probeBridge(place.home).running) return undefined;
  if (!probeBridge(sandbox).running) return undefined;
  return `The sandbox's bridge runs with its own state directory, ${sandbox}: ` +
    `\`deno task ${command} --sandbox\` shows it.`;
}

/** `doctor`: every check with its fix; exit 1 when one fails. */
async function doctor(flags: Flags, place: Place, io: SetupOutput): Promise<number> {
  const { runDoctor, renderChecks } = await import("./_setup/doctor.ts");
  const checks = await runDoctor({
    home: place.home,
    loadConfig: place.load,
    projectDir: place.projectDir,
    ...(place.env.HOME ? { homeDir: place.env.HOME } : {}),
  });
  io.out(renderChecks(checks));
  const fails = checks.filter((c) => c.level === "fail").length;
  io.out(fails ? `${fails} problem(s) to fix.` : "Everything checks out.");
  const hint = sandboxHint(flags, place, "doctor");
  if (hint) io.out(hint);
  return fails ? 1 : 0;
}

/** Setup itself: the flow, then what to do next. */
async function setup(flags: Flags, place: Place, io: SetupOutput): Promise<number> {
  const { runSetup } = await import("./_setup/flow.ts");
  const interactive = Deno.stdin.isTerminal() && Deno.stdout.isTerminal();
  const result = await runSetup(setupFlags(flags, place), {
    say: io.out,
    env: place.env,
    ...(interactive ? { prompter: terminalPrompter() } : {}),
  });
  const host = new URL(result.config.apiUrl).host;
  if (flags.plugin && host !== "discord.com") {
    io.out(
      `warn the plugin's hooks and MCP server may reach discord.com only, not ${host}: for a local server install with settings instead (leave out --plugin)`,
    );
  }
  for (const line of doneLines(flags, result, place)) io.out(line);
  return 0;
}

/**
 * The flags of the setup flow.
 *
 * @throws {ConfigError} On a `--live-timeout` that is not a positive number.
 */
function setupFlags(flags: Flags, place: Place): SetupFlags {
  const timeout = Number(flags["live-timeout"] ?? 120);
  if (!(timeout > 0)) {
    throw new ConfigError("--live-timeout must be a positive number of seconds");
  }
  const label = flags["machine-label"] === undefined
    ? undefined
    : parseMachineLabel(flags["machine-label"]);
  if (flags["machine-label"] !== undefined && label === undefined) {
    throw new ConfigError("--machine-label needs a name, e.g. --machine-label laptop");
  }
  return {
    ...(flags.token ? { token: flags.token } : {}),
    ...(flags.channel ? { channel: flags.channel } : {}),
    ...(flags.webhook ? { webhook: flags.webhook } : {}),
    ...(flags["status-channel"] ? { statusChannel: flags["status-channel"] } : {}),
    ...(flags["allowed-users"] ? { allowedUsers: flags["allowed-users"] } : {}),
    ...(flags["api-url"] ? { apiUrl: flags["api-url"] } : {}),
    ...(label ? { machineLabel: label } : {}),
    home: place.home,
    user: flags.user,
    shared: flags.shared,
    allowSendFile: flags["allow-send-file"],
    projectDir: place.projectDir,
    ...(place.env.HOME ? { homeDir: place.env.HOME } : {}),
    install: !flags["no-install"] && !flags.plugin,
    askWhere: !flags.user && !flags.project,
    dryRun: flags["dry-run"],
    liveTest: !flags["no-live-test"],
    liveTimeoutSeconds: timeout,
    ...(flags.deno ? { denoPath: flags.deno } : {}),
  };
}

/** What setup says last: how long it took and where to go next. */
function doneLines(flags: Flags, result: SetupResult, place: Place): string[] {
  const took = result.seconds.toFixed(1);
  if (flags["dry-run"]) return [`Dry run done in ${took} s: nothing was written.`];
  if (flags.plugin) {
    return [
      `Done in ${took} s.`,
      "In Claude Code: /plugin marketplace add <this repository>, then /plugin install discord-bridge@discord-bridge.",
    ];
  }
  if (!result.installed) {
    return [`Done in ${took} s.`, "Configured; no hooks were installed (--no-install)."];
  }
  const where = result.installed.project === undefined
    ? "in any project"
    : `in ${result.installed.project}`;
  const home = place.home === homeFrom({ HOME: place.env.HOME }) ? "" : ` --home ${place.home}`;
  return [
    `Done in ${took} s.`,
    `Start Claude Code ${where}: its hooks start the bridge. From anywhere in the ` +
    `claude-discord checkout, \`deno task status${home}\` shows the system and ` +
    `\`deno task doctor${home}\` checks every install.`,
  ];
}

/** The options of the settings and MCP fragments for a configuration. */
function settingsOptions(config: Config, home: string, deno: string | undefined): SettingsOptions {
  return {
    home,
    apiUrl: config.apiUrl,
    ...(config.webhookUrl ? { webhookUrl: config.webhookUrl } : {}),
    wakeOnMessage: config.wakeOnMessage,
    wakeTimeoutSeconds: config.wakeTimeoutSeconds,
    permissionTimeoutSeconds: config.permissionTimeoutSeconds,
    allowedFilePaths: config.allowedFilePaths,
    ...(deno ? { denoPath: deno } : {}),
  };
}

/** `--print`, `--print-mcp`, `--write`, `--write-mcp`: the fragments, printed or merged. */
function fragments(
  flags: {
    print: boolean;
    "print-mcp": boolean;
    write?: string;
    "write-mcp"?: string;
    deno?: string;
  },
  config: Config,
  home: string,
  io: SetupOutput,
): number {
  const options = settingsOptions(config, home, flags.deno);
  const settings = buildSettings(options) as unknown as Record<string, unknown>;
  const mcp = mcpConfig(options) as unknown as Record<string, unknown>;
  if (flags.print) io.out(JSON.stringify(settings, null, 2));
  if (flags["print-mcp"]) io.out(JSON.stringify(mcp, null, 2));
  for (const [path, fragment] of [[flags.write, settings], [flags["write-mcp"], mcp]] as const) {
    if (!path) continue;
    const change = planMerge(path, fragment);
    const backup = applyChange(change);
    io.err(`${change.summary}${backup ? `; previous version in ${backup}` : ""}`);
  }
  return 0;
}

/** `plugin [--check]`: regenerates (or compares) the plugin files. */
function plugin(check: boolean, io: SetupOutput): number {
  const root = decodeURIComponent(new URL(".", import.meta.url).pathname).replace(/\/+$/, "");
  if (check) {
    const stale = stalePluginFiles(root);
    if (stale.length > 0) {
      io.err(`Plugin files out of date: ${stale.join(", ")}: run \`deno task plugin\``);
      return 1;
    }
    io.out("Plugin files are up to date.");
    return 0;
  }
  const written = writePluginFiles(root);
  io.out(written.length ? `Wrote ${written.join(", ")}` : "Plugin files are up to date.");
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
