/**
 * Configuration: `$CLAUDE_DISCORD_HOME/config.json`, overridden by env vars.
 *
 * | env var | config key | meaning |
 * |---|---|---|
 * | `DISCORD_BOT_TOKEN` | `token` | bot token (gateway + REST) |
 * | `DISCORD_CHANNEL_ID` | `channelId` | the dedicated chat channel |
 * | `DISCORD_WEBHOOK_URL` | `webhookUrl` | webhook for STATUS posts |
 * | `DISCORD_ALLOWED_USERS` | `allowedUsers` | user ids that may steer agents (empty = nobody) |
 * | `DISCORD_API_URL` | `apiUrl` | REST base without version, default `https://discord.com/api` |
 * | `CLAUDE_DISCORD_HOME` | — | state directory, default `~/.claude/discord` |
 * | `CLAUDE_DISCORD_MACHINE` | `machineLabel` | this machine's label (machine.ts), default the host name |
 * | `DISCORD_RECEIPTS` | `receipts` | react 📬 ⏳ ✅ to delivered messages (`false` turns it off), default on |
 *
 * Every bad value is reported as one {@linkcode ConfigError} sentence that
 * names the variable and the fix. The token never appears in a message.
 *
 * @example Load the configuration from a given environment
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadConfig } from "./config.ts";
 *
 * const home = Deno.makeTempDirSync();
 * const config = loadConfig({
 *   env: { CLAUDE_DISCORD_HOME: home, DISCORD_CHANNEL_ID: "1100000000000000001" },
 * });
 * assert(config.channelId === "1100000000000000001");
 * assert(config.allowedUsers.length === 0);
 * ```
 *
 * @module
 */
import { ConfigError } from "./errors.ts";
import { readEnv } from "./_shared/env.ts";
import { ensurePrivateDir, readTextIfExists, writePrivateFileAtomic } from "./_shared/fs.ts";
import { parseApiUrl } from "./_config/api_url.ts";
import { isBotTokenShape, isSnowflake, withoutBotPrefix } from "./_config/ids.ts";
import { parseMachineLabel } from "./_config/machine_label.ts";
import { DEFAULT_OPTIONS, type Options, validOptions } from "./_config/options.ts";
import { parseWebhookUrl } from "./_config/webhook.ts";

export { configFileExposure } from "./_config/files.ts";
export { DEFAULT_API_URL, parseApiUrl } from "./_config/api_url.ts";
export { botIdFromToken, isBotTokenShape, isSnowflake, withoutBotPrefix } from "./_config/ids.ts";
export { MACHINE_LABEL_MAX, parseMachineLabel } from "./_config/machine_label.ts";
export { DEFAULT_IDENTIFY_CAP, type Options } from "./_config/options.ts";
export { parseWebhookUrl, type WebhookParts } from "./_config/webhook.ts";

/** Names of the env vars this package reads (for `--allow-env=…`). */
export const ENV_VARS: readonly string[] = [
  "DISCORD_BOT_TOKEN",
  "DISCORD_CHANNEL_ID",
  "DISCORD_WEBHOOK_URL",
  "DISCORD_ALLOWED_USERS",
  "DISCORD_API_URL",
  "CLAUDE_DISCORD_HOME",
  "CLAUDE_DISCORD_MACHINE",
  "DISCORD_RECEIPTS",
  "HOME",
];

/** The resolved configuration. Fields absent from env and file are `undefined`. */
export interface Config extends Options {
  /** State directory (absolute). */
  home: string;
  /** Bot token. Never log it. */
  token?: string;
  /** The chat channel id. */
  channelId?: string;
  /** Webhook URL for STATUS posts. Never log it (it holds a token). */
  webhookUrl?: string;
  /** User ids allowed to steer agents. Empty = nobody. */
  allowedUsers: string[];
  /** REST base without the version, no trailing slash. */
  apiUrl: string;
  /** This machine's label (machine.ts); unset: the host name. */
  machineLabel?: string;
  /** Whether the bridge reacts to the messages it delivers (📬 ⏳ ✅). Default true. */
  receipts: boolean;
}

/** What may be stored in config.json. */
export type ConfigFile = Partial<Omit<Config, "home">>;

/** Where {@linkcode loadConfig} reads from. */
export interface LoadConfigOptions {
  /** Environment to read; default `Deno.env` (one `get` per known name). */
  env?: Record<string, string | undefined>;
  /** Fields that must be present; a missing one throws a ConfigError naming setup. */
  require?: ReadonlyArray<"token" | "channelId" | "webhookUrl">;
}

/**
 * The default state directory: `$CLAUDE_DISCORD_HOME`, else `$HOME/.claude/discord`.
 *
 * @param env The environment to read.
 * @returns An absolute path.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stateHome } from "./config.ts";
 * assert(stateHome({ HOME: "/home/a" }) === "/home/a/.claude/discord");
 * ```
 */
export function stateHome(env: Record<string, string | undefined> = readEnv(ENV_VARS)): string {
  const explicit = env.CLAUDE_DISCORD_HOME?.trim();
  if (explicit) return explicit;
  const home = env.HOME?.trim();
  if (!home) {
    throw new ConfigError(
      "Neither CLAUDE_DISCORD_HOME nor HOME is set: set CLAUDE_DISCORD_HOME to a state directory",
    );
  }
  return `${home.replace(/\/+$/, "")}/.claude/discord`;
}

/**
 * Loads and validates the configuration (env vars override config.json).
 *
 * @param options Where to read, and which fields are required.
 * @returns The validated configuration.
 * @throws {ConfigError} on a missing required field or a malformed value.
 *
 * @example Require a channel
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadConfig } from "./config.ts";
 * import { ConfigError } from "./errors.ts";
 *
 * try {
 *   loadConfig({ env: { CLAUDE_DISCORD_HOME: Deno.makeTempDirSync() }, require: ["channelId"] });
 * } catch (err) {
 *   assert(err instanceof ConfigError);
 * }
 * ```
 */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? readEnv(ENV_VARS);
  const home = stateHome(env);
  const file = readConfigFile(home);
  const pick = (envName: string, key: keyof ConfigFile): unknown => {
    const fromEnv = env[envName];
    return fromEnv !== undefined && fromEnv.trim() !== "" ? fromEnv.trim() : file[key];
  };

  const raw = optionalString(pick("DISCORD_BOT_TOKEN", "token"), "DISCORD_BOT_TOKEN");
  const token = raw === undefined ? undefined : withoutBotPrefix(raw);
  if (token !== undefined && !isBotTokenShape(token)) {
    throw new ConfigError(
      "DISCORD_BOT_TOKEN does not look like a bot token: copy it from the Developer Portal > Bot > Reset Token",
    );
  }
  const channelId = optionalString(pick("DISCORD_CHANNEL_ID", "channelId"), "DISCORD_CHANNEL_ID");
  if (channelId !== undefined && !isSnowflake(channelId)) {
    throw new ConfigError(
      "DISCORD_CHANNEL_ID is not a Discord id: right-click the channel > Copy Channel ID (Developer Mode on)",
    );
  }
  const webhookUrl = optionalString(
    pick("DISCORD_WEBHOOK_URL", "webhookUrl"),
    "DISCORD_WEBHOOK_URL",
  );
  if (webhookUrl !== undefined) parseWebhookUrl(webhookUrl);
  const allowedUsers = parseAllowedUsers(pick("DISCORD_ALLOWED_USERS", "allowedUsers"));
  const apiUrl = parseApiUrl(pick("DISCORD_API_URL", "apiUrl"));
  const machineLabel = parseMachineLabel(pick("CLAUDE_DISCORD_MACHINE", "machineLabel"));
  const receipts = parseSwitch(pick("DISCORD_RECEIPTS", "receipts"), "DISCORD_RECEIPTS", true);

  const config: Config = {
    ...DEFAULT_OPTIONS,
    ...validOptions(file, env.HOME),
    home,
    token,
    channelId,
    webhookUrl,
    allowedUsers,
    apiUrl,
    ...(machineLabel === undefined ? {} : { machineLabel }),
    receipts,
  };
  for (const key of options.require ?? []) {
    if (config[key] === undefined) {
      const envName = {
        token: "DISCORD_BOT_TOKEN",
        channelId: "DISCORD_CHANNEL_ID",
        webhookUrl: "DISCORD_WEBHOOK_URL",
      }[key];
      throw new ConfigError(`${envName} is not set: run \`deno task setup\` or export ${envName}`);
    }
  }
  return config;
}

/**
 * Reads `$home/config.json` (an empty object when it does not exist).
 *
 * @param home The state directory.
 * @returns The stored settings, unvalidated beyond being a JSON object.
 * @throws {ConfigError} when the file is not a JSON object.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readConfigFile } from "./config.ts";
 * assert(Object.keys(readConfigFile(Deno.makeTempDirSync())).length === 0);
 * ```
 */
export function readConfigFile(home: string): ConfigFile {
  const path = `${home}/config.json`;
  const text = readTextIfExists(path);
  if (text === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
    throw new ConfigError(`${path} is not valid JSON: fix it or run \`deno task setup\` again`, {
      cause: err,
    });
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new ConfigError(
      `${path} must hold a JSON object: fix it or run \`deno task setup\` again`,
    );
  }
  return value as ConfigFile;
}

/**
 * Merges `values` into `$home/config.json`, creating the directory 0700 and the file 0600.
 *
 * @param home The state directory.
 * @param values Settings to set; `undefined` values remove the key.
 * @returns The path written.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeConfigFile, readConfigFile } from "./config.ts";
 * const home = Deno.makeTempDirSync();
 * writeConfigFile(home, { channelId: "1100000000000000001" });
 * assert(readConfigFile(home).channelId === "1100000000000000001");
 * ```
 */
export function writeConfigFile(home: string, values: ConfigFile): string {
  ensurePrivateDir(home);
  const merged: Record<string, unknown> = { ...readConfigFile(home) };
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined) delete merged[k];
    else merged[k] = v;
  }
  const path = `${home}/config.json`;
  writePrivateFileAtomic(path, JSON.stringify(merged, null, 2) + "\n");
  return path;
}

function optionalString(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string") {
    throw new ConfigError(`${name} must be a string: fix config.json or run \`deno task setup\``);
  }
  return value.trim();
}

/**
 * An on/off setting: `true`/`false` in config.json, `true`, `false`, `on`, `off`, `1`, `0`,
 * `yes`, `no` in the environment.
 *
 * @param value The setting.
 * @param name Its env var, for the message.
 * @param fallback The value when unset.
 * @returns The switch.
 * @throws {ConfigError} On anything else.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSwitch } from "./config.ts";
 * assert.equal(parseSwitch("off", "DISCORD_RECEIPTS", true), false);
 * assert.equal(parseSwitch(undefined, "DISCORD_RECEIPTS", true), true);
 * ```
 */
export function parseSwitch(value: unknown, name: string, fallback: boolean): boolean {
  if (value === undefined || value === null || value === "") return fallback;
  if (typeof value === "boolean") return value;
  const word = typeof value === "string" ? value.trim().toLowerCase() : "";
  if (["true", "on", "1", "yes"].includes(word)) return true;
  if (["false", "off", "0", "no"].includes(word)) return false;
  throw new ConfigError(`${name} must be true or false: fix it in config.json or the environment`);
}

function parseAllowedUsers(value: unknown): string[] {
  if (value === undefined || value === null || value === "") return [];
  const list = typeof value === "string"
    ? value.split(",").map((s) => s.trim()).filter((s) => s !== "")
    : Array.isArray(value)
    ? value.map((v) => String(v).trim())
    : undefined;
  if (list === undefined || !list.every(isSnowflake)) {
    throw new ConfigError(
      "DISCORD_ALLOWED_USERS must be comma-separated Discord user ids: right-click a user > Copy User ID",
    );
  }
  return [...new Set(list)];
}
