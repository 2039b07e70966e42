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
import { parseAllowedFilePaths } from "./_config/files.ts";

export { configFileExposure } from "./_config/files.ts";

/** The default REST base (without the `/v10` version). */
export const DEFAULT_API_URL = "https://discord.com/api";

/** Names of the env vars this package reads (for `--allow-env=…`). */
export const ENV_VARS: readonly string[] = [
  "DISCORD_BOT_TOKEN",
  "DISCORD_CHANNEL_ID",
  "DISCORD_WEBHOOK_URL",
  "DISCORD_ALLOWED_USERS",
  "DISCORD_API_URL",
  "CLAUDE_DISCORD_HOME",
  "CLAUDE_DISCORD_MACHINE",
  "HOME",
];

/** Tunables kept in config.json (no env var of their own). */
export interface Options {
  /** Hours a message waits in the held box when no session is live. Default 24. */
  heldRetentionHours: number;
  /** Whether the Stop hook waits for a Discord message to wake an idle session. Default true. */
  wakeOnMessage: boolean;
  /** How long the Stop hook waits for such a message, in seconds. Default 3600. */
  wakeTimeoutSeconds: number;
  /** How long a permission prompt waits for an answer from Discord, in seconds. Default 300. */
  permissionTimeoutSeconds: number;
  /** User id mentioned on errors and waiting prompts; unset = no mention. */
  mentionUserId?: string;
  /** Most posts waiting in the outbox (all sessions); past it the oldest are dropped. Default 10,000. */
  outboxMaxPosts: number;
  /** Most bytes waiting in the outbox (all sessions); past it the oldest are dropped. Default 50 MiB. */
  outboxMaxBytes: number;
  /**
   * What the MCP server may send with `send_file` besides the session's project directory
   * (absolute paths, `~/…` expanded): a directory opens every file under it, except files whose
   * name marks a secret; a file opens that file, a secret-looking one included. The state
   * directory never opens. Default none.
   */
  allowedFilePaths: string[];
  /** Largest attachment the bridge downloads, in MiB. Default 8. */
  attachmentMaxFileMiB: number;
  /** Most attachment bytes the bridge downloads for one message, in MiB. Default 25. */
  attachmentMaxMessageMiB: number;
  /** Most bytes of a text attachment put into the delivered message, in KiB. Default 8. */
  attachmentInlineKiB: number;
  /** Days downloaded attachments are kept (counted from their message's time). Default 7. */
  attachmentRetentionDays: number;
  /**
   * Gateway IDENTIFYs this machine's bridge may send per 24 h before it stops connecting
   * (daemon.ts, the IDENTIFY budget). Default {@linkcode DEFAULT_IDENTIFY_CAP}.
   */
  identifyCap: number;
}

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
 * Gateway IDENTIFYs one machine's bridge may send per 24 h (config.json `identifyCap`): a tenth
 * of the 1,000 Discord allows a token, so a bridge restarting in a loop on one machine stops
 * long before it would get the token reset.
 */
export const DEFAULT_IDENTIFY_CAP = 100;

const DEFAULT_OPTIONS: Options = {
  heldRetentionHours: 24,
  wakeOnMessage: true,
  wakeTimeoutSeconds: 3600,
  permissionTimeoutSeconds: 300,
  outboxMaxPosts: 10_000,
  outboxMaxBytes: 50 * 1024 * 1024,
  allowedFilePaths: [],
  attachmentMaxFileMiB: 8,
  attachmentMaxMessageMiB: 25,
  attachmentInlineKiB: 8,
  attachmentRetentionDays: 7,
  identifyCap: DEFAULT_IDENTIFY_CAP,
};

const SNOWFLAKE = /^[0-9]{15,21}$/;

/**
 * Tells whether `value` looks like a Discord snowflake id.
 *
 * @param value The string to test.
 * @returns `true` for 15–21 decimal digits.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isSnowflake } from "./config.ts";
 * assert(isSnowflake("1100000000000000001"));
 * assert(!isSnowflake("general"));
 * ```
 */
export function isSnowflake(value: unknown): value is string {
  return typeof value === "string" && SNOWFLAKE.test(value);
}

/**
 * Tells whether `token` has the shape of a bot token: `base64(<numeric id>).x.y`.
 *
 * @param token The candidate token.
 * @returns `true` when the first part decodes to a numeric id and three parts are present.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isBotTokenShape } from "./config.ts";
 * assert(isBotTokenShape(btoa("1100000000000000001") + ".GxYz12.abcdefghijklmnop"));
 * assert(!isBotTokenShape("hunter2"));
 * ```
 */
export function isBotTokenShape(token: string): boolean {
  const parts = token.split(".");
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]+=*$/.test(p))) return false;
  return botIdFromToken(token) !== undefined;
}

/**
 * A bot token as often pasted, without the `Bot ` of the HTTP Authorization header (the REST
 * client adds that word itself) and surrounding spaces.
 *
 * @param token The token as given.
 * @returns The token alone.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { withoutBotPrefix } from "./config.ts";
 * assert.equal(withoutBotPrefix(" Bot MTEx.a.b "), "MTEx.a.b");
 * assert.equal(withoutBotPrefix("MTEx.a.b"), "MTEx.a.b");
 * ```
 */
export function withoutBotPrefix(token: string): string {
  return token.trim().replace(/^Bot\s+/i, "");
}

/**
 * Extracts the bot's user id from a bot token, or `undefined` if it is not one.
 *
 * @param token A bot token.
 * @returns The numeric id encoded in the token's first part.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { botIdFromToken } from "./config.ts";
 * assert(botIdFromToken(btoa("1100000000000000001") + ".a.b") === "1100000000000000001");
 * ```
 */
export function botIdFromToken(token: string): string | undefined {
  const first = token.split(".")[0] ?? "";
  try {
    let b64 = first.replaceAll("-", "+").replaceAll("_", "/");
    while (b64.length % 4) b64 += "=";
    const id = atob(b64);
    return isSnowflake(id) ? id : undefined;
  } catch (err) {
    if (err instanceof DOMException && err.name === "InvalidCharacterError") return undefined;
    throw err;
  }
}

/** The parts of a webhook URL. */
export interface WebhookParts {
  /** The webhook id. */
  id: string;
  /** The webhook token (secret). */
  token: string;
  /** The REST base in front of `/webhooks/…`, e.g. `https://discord.com/api` or `…/api/v10`. */
  base: string;
}

/**
 * Splits a webhook URL into id, token and base, or throws a ConfigError.
 *
 * @param url `…/webhooks/{id}/{token}`.
 * @param name The setting's name for the error message.
 * @returns The parts.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseWebhookUrl } from "./config.ts";
 * const w = parseWebhookUrl("https://discord.com/api/webhooks/1100000000000000001/abc_DEF-1");
 * assert(w.id === "1100000000000000001" && w.base === "https://discord.com/api");
 * ```
 */
export function parseWebhookUrl(url: string, name = "DISCORD_WEBHOOK_URL"): WebhookParts {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (err) {
    if (!(err instanceof TypeError)) throw err;
    throw new ConfigError(
      `${name} is not a URL: copy the webhook URL from Channel Settings > Integrations > Webhooks`,
      { cause: err },
    );
  }
  const m = parsed.pathname.match(/^(.*)\/webhooks\/([0-9]+)\/([A-Za-z0-9_.-]+)\/?$/);
  if (
    !(parsed.protocol === "https:" || parsed.protocol === "http:") || !m || !isSnowflake(m[2])
  ) {
    throw new ConfigError(
      `${name} does not have the shape …/webhooks/{id}/{token}: copy the webhook URL from Channel Settings > Integrations > Webhooks`,
    );
  }
  return { id: m[2], token: m[3], base: `${parsed.origin}${m[1]}` };
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

/**
 * The REST base `DISCORD_API_URL` names, normalised: no version, no trailing slash; Discord's
 * when unset.
 *
 * @param value The setting (env var, config file or flag).
 * @param name The setting's name for the error message (`--api-url` for setup's flag).
 * @returns The base, e.g. `https://discord.com/api`.
 * @throws {ConfigError} When it is not an http(s) URL.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseApiUrl } from "./config.ts";
 * assert.equal(parseApiUrl("http://127.0.0.1:8123/api/v10/"), "http://127.0.0.1:8123/api");
 * assert.equal(parseApiUrl(undefined), "https://discord.com/api");
 * ```
 */
export function parseApiUrl(value: unknown, name = "DISCORD_API_URL"): string {
  if (value === undefined || value === null || value === "") return DEFAULT_API_URL;
  const url = URL.parse(String(value));
  if (!url || !(url.protocol === "http:" || url.protocol === "https:")) {
    throw new ConfigError(
      `${name} is not an http(s) URL: ${
        name.startsWith("--") ? "leave it out" : "unset it"
      } for Discord, or use e.g. http://127.0.0.1:PORT/api`,
    );
  }
  return `${url.origin}${url.pathname}`.replace(/\/+$/, "").replace(/\/v[0-9]+$/, "");
}

/** The longest machine label (it goes into thread and session names). */
export const MACHINE_LABEL_MAX = 32;

/**
 * A machine label (`CLAUDE_DISCORD_MACHINE`, config.json `machineLabel`, `setup --machine-label`),
 * trimmed; unset when empty.
 *
 * @param value The setting.
 * @returns The label, or `undefined` when unset.
 * @throws {ConfigError} When it is not a string of 1 to 32 printable characters.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseMachineLabel } from "./config.ts";
 * assert.equal(parseMachineLabel(" laptop "), "laptop");
 * assert.equal(parseMachineLabel(""), undefined);
 * assert.throws(() => parseMachineLabel("a\nb"));
 * ```
 */
export function parseMachineLabel(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const label = typeof value === "string" ? value.trim() : undefined;
  if (label === "") return undefined;
  // deno-lint-ignore no-control-regex
  if (label === undefined || label.length > MACHINE_LABEL_MAX || /[\x00-\x1f\x7f]/.test(label)) {
    throw new ConfigError(
      `CLAUDE_DISCORD_MACHINE (config.json machineLabel) must be 1 to ${MACHINE_LABEL_MAX} printable characters, e.g. laptop: fix it or run \`deno task setup --machine-label NAME\``,
    );
  }
  return label;
}

function validOptions(file: ConfigFile, homeDir: string | undefined): Partial<Options> {
  const out: Partial<Options> = {};
  const num = (
    key:
      | "heldRetentionHours"
      | "wakeTimeoutSeconds"
      | "permissionTimeoutSeconds"
      | "attachmentMaxFileMiB"
      | "attachmentMaxMessageMiB"
      | "attachmentInlineKiB"
      | "attachmentRetentionDays",
  ) => {
    const v = file[key];
    if (v === undefined) return;
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
      throw new ConfigError(`config.json ${key} must be a non-negative number: fix or remove it`);
    }
    out[key] = v;
  };
  num("heldRetentionHours");
  num("wakeTimeoutSeconds");
  num("permissionTimeoutSeconds");
  for (const key of ["outboxMaxPosts", "outboxMaxBytes"] as const) {
    const v = file[key];
    if (v === undefined) continue;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1) {
      throw new ConfigError(`config.json ${key} must be a positive whole number: fix or remove it`);
    }
    out[key] = v;
  }
  num("attachmentMaxFileMiB");
  num("attachmentMaxMessageMiB");
  num("attachmentInlineKiB");
  num("attachmentRetentionDays");
  if (file.identifyCap !== undefined) {
    const v = file.identifyCap;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > 1000) {
      throw new ConfigError(
        "config.json identifyCap must be a whole number from 1 to 1000 (IDENTIFYs per 24 h): fix or remove it",
      );
    }
    out.identifyCap = v;
  }
  if (file.wakeOnMessage !== undefined) {
    if (typeof file.wakeOnMessage !== "boolean") {
      throw new ConfigError("config.json wakeOnMessage must be true or false: fix or remove it");
    }
    out.wakeOnMessage = file.wakeOnMessage;
  }
  if (file.mentionUserId !== undefined) {
    if (!isSnowflake(file.mentionUserId)) {
      throw new ConfigError(
        "config.json mentionUserId must be a Discord user id: fix or remove it",
      );
    }
    out.mentionUserId = file.mentionUserId;
  }
  if (file.allowedFilePaths !== undefined) {
    out.allowedFilePaths = parseAllowedFilePaths(file.allowedFilePaths, homeDir);
  }
  return out;
}
