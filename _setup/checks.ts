// Private: the Discord checks setup and doctor share. Each returns a verdict: ok, warn (it
// works, but something is off) or fail, with one line naming the problem and the fix, and,
// unless it failed, the value later checks need (the REST client and bot user, the
// application, the chat channel with its guild, the channel STATUS posts go to). Setup runs
// them in order and stops at the first failure; doctor runs them all and lists every verdict.
import { isBotTokenShape, isSnowflake } from "../config.ts";
import { ClaudeDiscordError, ConfigError, DiscordApiError } from "../errors.ts";
import {
  type AppInfo,
  type BotUser,
  type ChannelInfo,
  channelTypeName,
  INTENT_FIX,
  judgePermissions,
  SetupApi,
} from "./api.ts";
import { ChannelType } from "discord-api-types/v10";
import { describeError } from "../log.ts";

/** A check that holds: `ok`, or `warn` (it works, but something is off). */
export interface Passed<T> {
  /** `ok` or `warn`. */
  level: "ok" | "warn";
  /** What was checked (`token`, `intent`, `channel`, `webhook`, `allowed users`). */
  label: string;
  /** The finding; for warn, the problem and the fix after a colon. */
  message: string;
  /** What later checks and steps need. */
  value: T;
}

/** A check that failed. */
export interface Failed {
  /** `fail`. */
  level: "fail";
  /** What was checked. */
  label: string;
  /** The problem and the fix after a colon (the problem's message). */
  message: string;
  /** The error setup throws: a {@linkcode ConfigError} (exit 2) or another error (exit 1). */
  problem: Error;
}

/** The result of one check. */
export type Verdict<T> = Passed<T> | Failed;

/** The MESSAGE CONTENT intent is off: the portal switch fixes it, then the same check passes. */
export class IntentOffError extends DiscordApiError {
  /** Creates the error with the fix (the Developer Portal switch). */
  constructor() {
    super(`The MESSAGE CONTENT intent is off: ${INTENT_FIX}`, 0);
  }
}

/** Where the Discord REST API is. */
export interface Connection {
  /** REST base without version (`https://discord.com/api`, or a local server's). */
  apiUrl: string;
  /** The setting `apiUrl` came from, as messages name it (`--api-url`; default `DISCORD_API_URL`). */
  apiSetting?: string;
  /** fetch, for tests. */
  fetch?: typeof fetch;
}

/** What {@linkcode checkToken} finds: the Discord calls with that token, and the bot. */
export interface BotSession {
  /** The Discord calls, with the token. */
  api: SetupApi;
  /** The bot user. */
  bot: BotUser;
}

function passed<T>(label: string, message: string, value: T, level: "ok" | "warn" = "ok") {
  return { level, label, message, value } satisfies Passed<T>;
}

/** A channel setting that is not an id at all (a name, a URL, a typo). */
function notAChannelId(setting: string, value: string): ConfigError {
  return new ConfigError(
    `${setting} "${value}" is not a channel id: right-click the channel > Copy Channel ID (Developer Mode on)`,
  );
}

function failed(label: string, problem: unknown): Failed {
  const error = problem instanceof Error
    ? problem
    : new ClaudeDiscordError(describeError(problem), { cause: problem });
  return { level: "fail", label, message: error.message, problem: error };
}

/**
 * The token: its shape, then whether Discord takes it.
 *
 * @param token The bot token.
 * @param connection Where the API is.
 * @param setting Where the token came from, for a message about its shape (`--token`,
 *   `DISCORD_BOT_TOKEN`); "That" for one typed in.
 * @returns `ok` with the Discord calls and the bot user; `fail` on a malformed token
 *   ({@linkcode ConfigError}), a refused one (401) or an unreachable API.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkToken } from "./checks.ts";
 * import { startDiscordServer } from "../testing/mod.ts";
 *
 * await using server = await startDiscordServer({ rateLimits: false });
 * const verdict = await checkToken(server.token, { apiUrl: server.apiUrl });
 * assert(verdict.level === "ok");
 * assert(verdict.value.bot.id === server.botId);
 * assert((await checkToken("hunter2", { apiUrl: server.apiUrl })).level === "fail");
 * ```
 */
export async function checkToken(
  token: string,
  connection: Connection,
  setting = "That",
): Promise<Verdict<BotSession>> {
  if (!isBotTokenShape(token)) {
    return failed(
      "token",
      new ConfigError(
        `${setting} is not a bot token (it has three parts separated by dots): copy it from the Developer Portal > Bot > Reset Token`,
      ),
    );
  }
  const api = new SetupApi({
    token,
    apiUrl: connection.apiUrl,
    ...(connection.apiSetting ? { apiSetting: connection.apiSetting } : {}),
    ...(connection.fetch ? { fetch: connection.fetch } : {}),
  });
  try {
    const bot = await api.bot();
    return passed("token", `bot ${bot.username} (${bot.id})`, { api, bot });
  } catch (err) {
    return failed("token", err);
  }
}

/**
 * The application: whether its MESSAGE CONTENT intent is on (without it every message
 * arrives with empty text).
 *
 * @param api The Discord calls.
 * @returns `ok` with the application (owner, name); `fail` with an {@linkcode IntentOffError}
 *   when the intent is off, or the error of reading the application.
 */
export async function checkIntent(api: SetupApi): Promise<Verdict<AppInfo>> {
  let app: AppInfo;
  try {
    app = await api.application();
  } catch (err) {
    return failed("intent", err);
  }
  if (!app.messageContent) return failed("intent", new IntentOffError());
  return passed("intent", `MESSAGE CONTENT intent is on for ${app.name || app.id}`, app);
}

/**
 * The chat channel: a text channel of a server the bot is in, with every permission the
 * bridge and the MCP server use.
 *
 * @param api The Discord calls (after {@linkcode checkIntent}, the invite URL names the app).
 * @param botId The bot's user id.
 * @param channelId The channel id.
 * @param setting Where the id came from, as messages name it (`--channel`, default
 *   `DISCORD_CHANNEL_ID`).
 * @returns `ok` with the channel; `warn` when only optional permissions (reactions, files,
 *   embeds) are missing; `fail` on a malformed id or a channel of another type
 *   ({@linkcode ConfigError}), an unknown or hidden channel, or a missing permission.
 */
export async function checkChatChannel(
  api: SetupApi,
  botId: string,
  channelId: string,
  setting = "DISCORD_CHANNEL_ID",
): Promise<Verdict<ChannelInfo>> {
  if (!isSnowflake(channelId)) return failed("channel", notAChannelId(setting, channelId));
  let chat: ChannelInfo;
  try {
    chat = await api.channel(channelId, botId, setting);
  } catch (err) {
    return failed("channel", err);
  }
  if (chat.type !== ChannelType.GuildText && chat.type !== ChannelType.GuildAnnouncement) {
    const forumHint = chat.type === ChannelType.GuildForum
      ? " (a forum is right for STATUS posts: --status-channel)"
      : "";
    return failed(
      "channel",
      new ConfigError(
        `#${chat.name} is a ${
          channelTypeName(chat.type)
        } channel: the chat needs a text channel${forumHint}`,
      ),
    );
  }
  const { missing, degraded } = judgePermissions(chat, "chat");
  if (missing.length > 0) {
    return failed(
      "channel",
      new DiscordApiError(
        `The bot lacks ${
          missing.join(", ")
        } in #${chat.name}: allow them for its role in Channel Settings > Permissions (or invite it again with ${api.inviteUrl()})`,
        403,
      ),
    );
  }
  if (degraded.length > 0) {
    return passed(
      "channel",
      `The bot lacks ${
        degraded.join(", ")
      } in #${chat.name}: allow them for its role, or the react / send-file tools and embeds fail`,
      chat,
      "warn",
    );
  }
  return passed(
    "channel",
    `#${chat.name} in "${chat.guildName}" (${chat.id}), every permission present`,
    chat,
  );
}

/**
 * The STATUS webhook given by its URL: it exists, posts into the chat's server, and its
 * channel takes STATUS posts (see {@linkcode judgeStatusChannel}).
 *
 * @param api The Discord calls.
 * @param botId The bot's user id.
 * @param url The webhook URL.
 * @param chat The chat channel, when its check passed (its server is compared).
 * @param setting Where the URL came from, as messages name it (`--webhook`, default
 *   `DISCORD_WEBHOOK_URL`).
 * @returns `ok` with the webhook's channel; `fail` on a gone webhook, another server, or a
 *   channel STATUS posts cannot use.
 */
export async function checkWebhook(
  api: SetupApi,
  botId: string,
  url: string,
  chat?: ChannelInfo,
  setting = "DISCORD_WEBHOOK_URL",
): Promise<Verdict<ChannelInfo>> {
  let channel: ChannelInfo;
  try {
    const hook = await api.webhook(url, setting);
    if (chat && hook.guildId && hook.guildId !== chat.guildId) {
      return failed(
        "webhook",
        new ConfigError(
          `The webhook of ${setting} posts into another server than #${chat.name}: create it on a channel of "${chat.guildName}"`,
        ),
      );
    }
    channel = await api.channel(hook.channelId, botId, "The webhook's channel");
  } catch (err) {
    return failed("webhook", err);
  }
  return judgeStatusChannel(channel);
}

/**
 * The channel chosen for STATUS posts before a webhook exists (setup then finds or creates
 * it there): the chat channel itself, or another channel of the bot's servers.
 *
 * @param api The Discord calls.
 * @param botId The bot's user id.
 * @param channelId The chosen channel; `undefined` or the chat's id means the chat channel.
 * @param chat The chat channel.
 * @returns As {@linkcode judgeStatusChannel}, or `fail` when the channel cannot be read.
 */
export async function checkStatusChannel(
  api: SetupApi,
  botId: string,
  channelId: string | undefined,
  chat: ChannelInfo,
): Promise<Verdict<ChannelInfo>> {
  if (!channelId || channelId === chat.id) return judgeStatusChannel(chat);
  if (!isSnowflake(channelId)) {
    return failed("webhook", notAChannelId("--status-channel", channelId));
  }
  try {
    return judgeStatusChannel(await api.channel(channelId, botId, "--status-channel"));
  } catch (err) {
    return failed("webhook", err);
  }
}

/**
 * Whether STATUS posts can go to a channel: a forum or media channel (one post per session)
 * or a text channel (the bot starts one thread per session), where the bot (the bridge posts
 * them) may read, post, post in threads, embed links (and create threads, in a text channel).
 *
 * @param channel The channel with the bot's permissions.
 * @returns `ok` with the channel, or `fail`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { judgeStatusChannel } from "./checks.ts";
 *
 * const forum = {
 *   id: "1100000000000000001",
 *   name: "status",
 *   type: 15,
 *   guildId: "1100000000000000002",
 *   guildName: "home",
 *   // View Channel, Send Messages, Embed Links, Read Message History, Send Messages in Threads
 *   permissions: (1n << 10n) | (1n << 11n) | (1n << 14n) | (1n << 16n) | (1n << 38n),
 * };
 * assert(judgeStatusChannel(forum).level === "ok");
 * assert.match(
 *   judgeStatusChannel({ ...forum, permissions: (1n << 10n) | (1n << 16n) | (1n << 38n) }).message,
 *   /lacks Send Messages, Embed Links in #status/,
 * );
 * const text = { ...forum, name: "chat", type: 0 };
 * assert.match(judgeStatusChannel(text).message, /lacks Create Public Threads in #chat/);
 * ```
 */
export function judgeStatusChannel(channel: ChannelInfo): Verdict<ChannelInfo> {
  const forum = channel.type === ChannelType.GuildForum || channel.type === ChannelType.GuildMedia;
  if (
    !forum && channel.type !== ChannelType.GuildText &&
    channel.type !== ChannelType.GuildAnnouncement
  ) {
    return failed(
      "webhook",
      new ConfigError(
        `STATUS posts would go to #${channel.name}, a ${
          channelTypeName(channel.type)
        } channel: use a forum (one post per session) or a text channel (one thread per session)`,
      ),
    );
  }
  const { missing } = judgePermissions(channel, "status");
  if (missing.length > 0) {
    const forumHint = forum ? "" : ", or use a forum channel for STATUS posts";
    return failed(
      "webhook",
      new DiscordApiError(
        `The bot lacks ${
          missing.join(", ")
        } in #${channel.name}, where STATUS posts go: allow them for its role in Channel Settings > Permissions${forumHint}`,
        403,
      ),
    );
  }
  const mode = forum
    ? "a forum: one post per session"
    : "a text channel: the bot starts one thread per session";
  return passed("webhook", `STATUS posts go to #${channel.name}, ${mode}`, channel);
}

/**
 * The allowed users: at least one, each a user id, each a member of the chat's server (a
 * user outside it cannot write in the channel, so the id is likely wrong).
 *
 * @param api The Discord calls.
 * @param userIds The allowed user ids.
 * @param chat The chat channel, when its check passed (its server's members are looked up).
 * @param setting Where the ids came from, as messages name it (default `--allowed-users`).
 * @returns `ok` with the ids; `warn` naming the ids that are not in the server; `fail`
 *   ({@linkcode ConfigError}) on none or on something that is not a user id.
 */
export async function checkAllowedUsers(
  api: SetupApi,
  userIds: readonly string[],
  chat?: ChannelInfo,
  setting = "--allowed-users",
): Promise<Verdict<string[]>> {
  const ids = [...userIds];
  if (ids.length === 0) {
    return failed(
      "allowed users",
      new ConfigError(
        "No allowed users, so nobody can steer sessions: pass --allowed-users ID[,ID] to `deno task setup` (right-click a user > Copy User ID)",
      ),
    );
  }
  if (!ids.every(isSnowflake)) {
    return failed(
      "allowed users",
      new ConfigError(
        `${setting} must be comma-separated Discord user ids: right-click a user > Copy User ID`,
      ),
    );
  }
  if (!chat) {
    return passed("allowed users", `${ids.join(", ")} (membership in the server not checked)`, ids);
  }
  const absent: string[] = [];
  for (const id of ids) {
    if (!await isMember(api, chat.guildId, id)) absent.push(id);
  }
  if (absent.length > 0) {
    return passed(
      "allowed users",
      `${absent.join(", ")} ${
        absent.length === 1 ? "is" : "are"
      } not in "${chat.guildName}": check the ids (right-click a user > Copy User ID)`,
      ids,
      "warn",
    );
  }
  return passed("allowed users", `${ids.join(", ")}, all in "${chat.guildName}"`, ids);
}

/** Whether a user is a member of a guild; only Discord's 404 (unknown member) says no. */
async function isMember(api: SetupApi, guildId: string, userId: string): Promise<boolean> {
  try {
    await api.rest.request("GET", `/guilds/${guildId}/members/${userId}`, {
      what: `read member ${userId}`,
    });
    return true;
  } catch (err) {
    return !(err instanceof DiscordApiError && err.status === 404);
  }
}

/**
 * The verdict when its check passed, else the failed check's problem thrown (setup stops at
 * the first failure).
 *
 * @param verdict The verdict.
 * @returns The passed verdict (`ok` or `warn`) with its value.
 * @throws {Error} The failed check's problem.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { judgeStatusChannel, orThrow } from "./checks.ts";
 *
 * const voice = {
 *   id: "1100000000000000001",
 *   name: "lounge",
 *   type: 2,
 *   guildId: "1100000000000000002",
 *   guildName: "home",
 *   permissions: 0n,
 * };
 * assert.throws(() => orThrow(judgeStatusChannel(voice)), /a voice channel: use a forum/);
 * ```
 */
export function orThrow<T>(verdict: Verdict<T>): Passed<T> {
  if (verdict.level === "fail") throw verdict.problem;
  return verdict;
}
