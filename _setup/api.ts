// Private: what setup and doctor ask Discord, each answer turned into facts or into one
// sentence that names the problem and the fix (bad token, intent off, bot not in the server,
// missing permissions, webhook gone or in the wrong kind of channel).
import { parseWebhookUrl } from "../config.ts";
import type { RawChannel, RawMessage } from "../_discord/raw.ts";
import { DiscordRest } from "../_discord/rest.ts";
import { DiscordApiError } from "../errors.ts";
import {
  channelPermissions,
  inviteUrl,
  missingPermissions,
  PERMISSIONS,
  type RawOverwrite,
  type RawRole,
} from "./perms.ts";
import { ApplicationFlags, ChannelType, RESTJSONErrorCodes } from "discord-api-types/v10";

/** The bot user. */
export interface BotUser {
  /** User id. */
  id: string;
  /** User name. */
  username: string;
}

/** The application, as setup needs it. */
export interface AppInfo {
  /** Application (client) id. */
  id: string;
  /** Application name. */
  name: string;
  /** The owner's user id (the team owner for a team app). */
  ownerId?: string;
  /** The owner's name, when known. */
  ownerName?: string;
  /** Whether MESSAGE CONTENT INTENT is on (flags GATEWAY_MESSAGE_CONTENT or _LIMITED). */
  messageContent: boolean;
}

/** A channel with the bot's permissions in it. */
export interface ChannelInfo {
  /** Channel id. */
  id: string;
  /** Channel name. */
  name: string;
  /** Discord channel type (0 text, 5 announcement, 15 forum, …). */
  type: number;
  /** Guild id. */
  guildId: string;
  /** Guild name. */
  guildName: string;
  /** The bot's effective permissions there. */
  permissions: bigint;
}

/** A webhook read through its URL. */
export interface WebhookInfo {
  /** Webhook id. */
  id: string;
  /** Its channel. */
  channelId: string;
  /** Its guild. */
  guildId?: string;
  /** Its name. */
  name?: string;
}

/** The application flags that say the Message Content intent is on (limited: under 100 servers). */
const MESSAGE_CONTENT_FLAGS = ApplicationFlags.GatewayMessageContent |
  ApplicationFlags.GatewayMessageContentLimited;

/** The portal switch, as the fix names it. */
export const INTENT_FIX =
  "turn on MESSAGE CONTENT INTENT in the Developer Portal (https://discord.com/developers/applications) > your application > Bot > Privileged Gateway Intents, then Save Changes";

/** Channel types by number, for messages. */
const TYPE_NAMES: Record<number, string> = {
  [ChannelType.GuildText]: "text",
  [ChannelType.GuildVoice]: "voice",
  [ChannelType.GuildCategory]: "category",
  [ChannelType.GuildAnnouncement]: "announcement",
  [ChannelType.AnnouncementThread]: "announcement thread",
  [ChannelType.PublicThread]: "thread",
  [ChannelType.PrivateThread]: "private thread",
  [ChannelType.GuildStageVoice]: "stage",
  [ChannelType.GuildForum]: "forum",
  [ChannelType.GuildMedia]: "media",
};

/** A promise rejection handler: `fallback` for Discord's refusal or absence, anything else rethrown. */
function ifDiscordRefused<T>(fallback: T): (err: unknown) => T {
  return (err) => {
    if (err instanceof DiscordApiError) return fallback;
    throw err;
  };
}

/** The name of a channel type. */
export function channelTypeName(type: number): string {
  return TYPE_NAMES[type] ?? `type ${type}`;
}

/** Discord calls made by setup and doctor. */
export class SetupApi {
  readonly #rest: DiscordRest;
  readonly #apiUrl: string;
  #app: AppInfo | undefined;
  #guildCache = new Map<string, { name: string; roles: RawRole[]; ownerId?: string }>();

  /**
   * Creates the calls.
   *
   * @param options The token, the API base, the setting the base came from (named with it
   *   when Discord cannot be reached: `--api-url`, default `DISCORD_API_URL`), fetch for tests.
   */
  constructor(
    options: { token: string; apiUrl: string; apiSetting?: string; fetch?: typeof fetch },
  ) {
    this.#apiUrl = options.apiUrl;
    this.#rest = new DiscordRest({
      token: options.token,
      apiUrl: options.apiUrl,
      ...(options.fetch ? { fetch: options.fetch } : {}),
      retry: { budgetMs: 15_000, timeoutMs: 10_000, maxAttempts: 3 },
      unreachableFix: `check the network, or ${
        options.apiSetting ?? "DISCORD_API_URL"
      } (now ${options.apiUrl})`,
    });
  }

  /** The REST client (for the live test). */
  get rest(): DiscordRest {
    return this.#rest;
  }

  /** Checks the token: the bot user, or a sentence about the token or the network. */
  async bot(): Promise<BotUser> {
    try {
      const me = await this.#rest.request<BotUser & { bot?: boolean }>("GET", "/users/@me", {
        what: "read the bot user",
      });
      return { id: me.id, username: me.username };
    } catch (err) {
      throw this.#explain(err);
    }
  }

  /** The application: id, owner, whether the message content intent is on. */
  async application(): Promise<AppInfo> {
    try {
      const app = await this.#rest.request<RawApplication>("GET", "/applications/@me", {
        what: "read the application",
      });
      const ownerId = app.team?.owner_user_id ?? app.owner?.id;
      const ownerName = app.team
        ? app.team.members?.find((m) => m.user?.id === ownerId)?.user?.username
        : app.owner?.global_name ?? app.owner?.username;
      this.#app = {
        id: app.id,
        name: app.name ?? "",
        ...(ownerId ? { ownerId } : {}),
        ...(ownerName ? { ownerName } : {}),
        messageContent: ((app.flags ?? 0) & MESSAGE_CONTENT_FLAGS) !== 0,
      };
      return this.#app;
    } catch (err) {
      throw this.#explain(err);
    }
  }

  /** The invite URL of this application (after {@linkcode application}). */
  inviteUrl(): string {
    return this.#app ? inviteUrl(this.#app.id) : "the OAuth2 URL Generator of the Developer Portal";
  }

  /** The guilds the bot is in. */
  async guilds(): Promise<{ id: string; name: string }[]> {
    return await this.#rest.request<{ id: string; name: string }[]>("GET", "/users/@me/guilds", {
      what: "list the bot's servers",
    }) ?? [];
  }

  /** The channels of a guild (all of them, as Discord lists them to a member). */
  async guildChannels(guildId: string): Promise<RawChannel[]> {
    return await this.#rest.request<RawChannel[]>("GET", `/guilds/${guildId}/channels`, {
      what: `list the channels of server ${guildId}`,
    }) ?? [];
  }

  /**
   * Reads a channel and the bot's permissions there; a 403 or 404 becomes the precise reason
   * (bot not in that server, channel hidden from it, wrong id).
   *
   * @param channelId The channel.
   * @param botId The bot's user id.
   * @param setting The setting's name for messages (`DISCORD_CHANNEL_ID`, …).
   */
  async channel(channelId: string, botId: string, setting: string): Promise<ChannelInfo> {
    let channel: RawChannel & { permission_overwrites?: RawOverwrite[] };
    try {
      channel = await this.#rest.getChannel(channelId);
    } catch (err) {
      if (err instanceof DiscordApiError && err.status === 404) {
        throw new DiscordApiError(
          `${setting} ${channelId} is not a channel Discord knows (404 Unknown Channel): right-click the channel > Copy Channel ID (User Settings > Advanced > Developer Mode on)`,
          404,
          err.code,
          { cause: err },
        );
      }
      if (err instanceof DiscordApiError && err.status === 403) {
        throw await this.#whyHidden(channelId, setting);
      }
      throw this.#explain(err);
    }
    const guildId = channel.guild_id ?? "";
    if (!guildId) {
      throw new DiscordApiError(
        `${setting} ${channelId} is not a server channel (a DM?): pick a text channel of a server`,
        400,
      );
    }
    const guild = await this.#guild(guildId);
    const member = await this.#rest.request<{ roles?: string[] }>(
      "GET",
      `/guilds/${guildId}/members/${botId}`,
      { what: `read the bot's roles in server ${guildId}` },
    );
    const permissions = channelPermissions({
      guildId,
      roles: guild.roles,
      memberRoles: member?.roles ?? [],
      userId: botId,
      overwrites: channel.permission_overwrites ?? [],
      owner: guild.ownerId === botId,
    });
    return {
      id: channel.id,
      name: channel.name ?? channel.id,
      type: channel.type,
      guildId,
      guildName: guild.name,
      permissions,
    };
  }

  /**
   * Reads a webhook through its URL (no bot token): gone or wrong URL becomes a sentence.
   *
   * @param url The webhook URL.
   * @param setting The setting's name for messages.
   */
  async webhook(url: string, setting = "DISCORD_WEBHOOK_URL"): Promise<WebhookInfo> {
    const parts = parseWebhookUrl(url, setting);
    try {
      const hook = await this.#rest.getWebhook(url);
      return {
        id: hook.id ?? parts.id,
        channelId: hook.channel_id,
        ...(hook.guild_id ? { guildId: hook.guild_id } : {}),
        ...((hook as { name?: string }).name ? { name: (hook as { name?: string }).name } : {}),
      };
    } catch (err) {
      if (err instanceof DiscordApiError && (err.status === 404 || err.status === 401)) {
        throw new DiscordApiError(
          `The webhook of ${setting} does not exist any more or its URL is wrong (${err.status}${
            err.code ? ` code ${err.code}` : ""
          }): copy it again from Channel Settings > Integrations > Webhooks, or leave it out and let setup create one`,
          err.status,
          err.code,
          { cause: err },
        );
      }
      throw this.#explain(err);
    }
  }

  /**
   * Finds the bot's `claude-discord` webhook on a channel, or creates it.
   *
   * @param channel The channel (forum or text).
   * @returns The webhook URL and whether it was created now.
   */
  async ensureWebhook(channel: ChannelInfo): Promise<{ url: string; created: boolean }> {
    const fix =
      `create one yourself (Channel Settings of #${channel.name} > Integrations > Webhooks > New Webhook > Copy Webhook URL) and pass --webhook URL, or allow the bot Manage Webhooks there`;
    if ((channel.permissions & PERMISSIONS.ManageWebhooks.bit) === 0n) {
      throw new DiscordApiError(
        `The bot may not create the STATUS webhook on #${channel.name} (it lacks Manage Webhooks): ${fix}`,
        403,
      );
    }
    try {
      const hooks = await this.#rest.request<RawWebhook[]>(
        "GET",
        `/channels/${channel.id}/webhooks`,
        { what: `list the webhooks of #${channel.name}` },
      ) ?? [];
      const ours = hooks.find((h) =>
        h.name === WEBHOOK_NAME && h.token && (h.application_id === this.#app?.id)
      );
      if (ours) return { url: this.#hookUrl(ours), created: false };
      const made = await this.#rest.request<RawWebhook>(
        "POST",
        `/channels/${channel.id}/webhooks`,
        {
          what: `create a webhook on #${channel.name}`,
          body: { name: WEBHOOK_NAME },
        },
      );
      return { url: this.#hookUrl(made), created: true };
    } catch (err) {
      if (err instanceof DiscordApiError && err.status === 403) {
        throw new DiscordApiError(
          `Discord refused to create the STATUS webhook on #${channel.name} (403): ${fix}`,
          403,
          err.code,
          { cause: err },
        );
      }
      throw this.#explain(err);
    }
  }

  /** Posts a message as the bot. */
  async post(channelId: string, content: string): Promise<RawMessage> {
    return await this.#rest.createMessage(channelId, {
      content,
      allowed_mentions: { parse: [] },
    });
  }

  #hookUrl(h: RawWebhook): string {
    return `${this.#apiUrl}/webhooks/${h.id}/${h.token}`;
  }

  async #guild(guildId: string): Promise<{ name: string; roles: RawRole[]; ownerId?: string }> {
    const cached = this.#guildCache.get(guildId);
    if (cached) return cached;
    const g = await this.#rest.request<{ name?: string; roles?: RawRole[]; owner_id?: string }>(
      "GET",
      `/guilds/${guildId}`,
      { what: `read server ${guildId}` },
    );
    const info = {
      name: g?.name ?? guildId,
      roles: g?.roles ?? [],
      ...(g?.owner_id ? { ownerId: g.owner_id } : {}),
    };
    this.#guildCache.set(guildId, info);
    return info;
  }

  async #whyHidden(channelId: string, setting: string): Promise<DiscordApiError> {
    const invite = this.inviteUrl();
    const guilds = await this.guilds().catch(ifDiscordRefused(undefined));
    if (guilds !== undefined && guilds.length === 0) {
      return new DiscordApiError(
        `The bot is not in any server yet: invite it with ${invite} (pick your server), then run setup again`,
        403,
        RESTJSONErrorCodes.MissingAccess,
      );
    }
    for (const g of guilds ?? []) {
      const channels = await this.guildChannels(g.id).catch(ifDiscordRefused([] as RawChannel[]));
      const found = channels.find((c) => c.id === channelId);
      if (found) {
        return new DiscordApiError(
          `The bot is in "${g.name}" but cannot see #${
            found.name ?? channelId
          } (403 Missing Access): in Channel Settings > Permissions of #${
            found.name ?? channelId
          }, allow the bot's role View Channels and Read Message History`,
          403,
          RESTJSONErrorCodes.MissingAccess,
        );
      }
    }
    return new DiscordApiError(
      `${setting} ${channelId} is in a server the bot is not in (403 Missing Access): invite it with ${invite}, or check the id`,
      403,
      RESTJSONErrorCodes.MissingAccess,
    );
  }

  #explain(err: unknown): Error {
    if (!(err instanceof DiscordApiError)) return err as Error;
    if (err.status === 401) {
      return new DiscordApiError(
        "Discord rejected the bot token (401 Unauthorized): copy a fresh one from the Developer Portal > your application > Bot > Reset Token",
        401,
        err.code,
        { cause: err },
      );
    }
    // No answer names the API base already (the client's unreachableFix); a 5xx says to wait.
    return err;
  }
}

/** The name of the webhook setup creates. */
export const WEBHOOK_NAME = "claude-discord";

interface RawApplication {
  id: string;
  name?: string;
  flags?: number;
  owner?: { id: string; username?: string; global_name?: string | null };
  team?: {
    owner_user_id?: string;
    members?: { user?: { id: string; username?: string } }[];
  } | null;
}

interface RawWebhook {
  id: string;
  token?: string;
  name?: string;
  application_id?: string | null;
  channel_id?: string;
}

/** The checks of a channel's permissions for one purpose. */
export interface PermissionVerdict {
  /** Missing permissions that break claude-discord. */
  missing: string[];
  /** Missing permissions that only turn features off. */
  degraded: string[];
}

/**
 * Which permissions a channel lacks for its purpose.
 *
 * @param info The channel with the bot's permissions.
 * @param purpose `chat` (the chat channel) or `status` (the webhook's channel).
 * @returns Missing required and missing optional permissions.
 */
export function judgePermissions(
  info: ChannelInfo,
  purpose: "chat" | "status",
): PermissionVerdict {
  if (purpose === "chat") {
    return {
      missing: missingPermissions(info.permissions, [
        "ViewChannel",
        "SendMessages",
        "ReadMessageHistory",
        "SendMessagesInThreads",
      ]),
      degraded: missingPermissions(info.permissions, [
        "AddReactions",
        "AttachFiles",
        "EmbedLinks",
      ]),
    };
  }
  // The bridge posts every STATUS, notice and prompt there as the bot (outbox.ts): a forum post
  // is opened with its first message (Send Messages), later ones go into its thread.
  const needed: (keyof typeof PERMISSIONS)[] = [
    "ViewChannel",
    "ReadMessageHistory",
    "SendMessages",
    "SendMessagesInThreads",
    "EmbedLinks",
  ];
  if (info.type !== ChannelType.GuildForum && info.type !== ChannelType.GuildMedia) {
    needed.push("CreatePublicThreads");
  }
  return { missing: missingPermissions(info.permissions, needed), degraded: [] };
}
