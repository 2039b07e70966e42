// The bot's access to the guild: whether it is a member, the permissions of its managed
// role, and per-channel member overwrites. Reflected in the guild payload (roles, the bot's
// member roles), the channels' `permission_overwrites`, and enforced on the bot's REST routes
// the way Discord answers: 50001 Missing Access without View Channel or guild membership,
// 50013 Missing Permissions for actions, an empty list for history without Read Message History.
// The gateway is not filtered by it (knowingly not covered).
import { ChannelType, OverwriteType, RESTJSONErrorCodes } from "discord-api-types/v10";
import { DiscordHttpError } from "./_errors.ts";
import { json } from "./_response.ts";
import type { World } from "./_state_types.ts";

/** Discord permission bits the server checks. */
export const Perm = {
  AddReactions: 1n << 6n,
  ViewChannel: 1n << 10n,
  SendMessages: 1n << 11n,
  EmbedLinks: 1n << 14n,
  AttachFiles: 1n << 15n,
  ReadMessageHistory: 1n << 16n,
  Administrator: 1n << 3n,
  ManageWebhooks: 1n << 29n,
  CreatePublicThreads: 1n << 35n,
  SendMessagesInThreads: 1n << 38n,
} as const;

/** The @everyone permissions of the guild (everything a member usually has, no webhooks). */
export const EVERYONE_PERMISSIONS = 2248473465835073n;

/** The bot role's default permissions: what the invite URL of setup asks for. */
export const BOT_ROLE_PERMISSIONS: bigint = Perm.ViewChannel | Perm.SendMessages |
  Perm.ReadMessageHistory | Perm.AddReactions | Perm.EmbedLinks | Perm.AttachFiles |
  Perm.ManageWebhooks | Perm.CreatePublicThreads | Perm.SendMessagesInThreads;

/** The access fault: what {@linkcode BotAccess.apply} changes. */
export interface AccessChange {
  /** Whether the bot is a member of the guild. */
  inGuild?: boolean;
  /** The permissions of the bot's role (decimal string or bigint); @everyone stays. */
  permissions?: string | bigint;
  /** Per channel: a member overwrite for the bot (decimal strings); `null` removes it. */
  channels?: Record<string, { allow?: string; deny?: string } | null>;
  /** The @everyone role's permissions. */
  everyone?: string | bigint;
}

/** The bot's access; one per server state. */
export class BotAccess {
  /** The bot is a guild member. */
  inGuild = true;
  /** The bot role's permissions. */
  botRole: bigint = BOT_ROLE_PERMISSIONS;
  /** The @everyone role's permissions. */
  everyone: bigint = EVERYONE_PERMISSIONS;
  /** The id of the bot's managed role. */
  readonly botRoleId: string;
  readonly #st: World;

  constructor(st: World) {
    this.#st = st;
    this.botRoleId = st.snowflake();
  }

  /** Back to full access (the overwrites live on the channels, which the state resets). */
  reset(): void {
    this.inGuild = true;
    this.botRole = BOT_ROLE_PERMISSIONS;
    this.everyone = EVERYONE_PERMISSIONS;
  }

  /** Applies an access change. */
  apply(change: AccessChange): void {
    if (change.inGuild !== undefined) this.inGuild = change.inGuild;
    if (change.permissions !== undefined) this.botRole = BigInt(change.permissions);
    if (change.everyone !== undefined) this.everyone = BigInt(change.everyone);
    for (const [id, ow] of Object.entries(change.channels ?? {})) {
      const channel = this.#st.channelOrThrow(id);
      const others = (channel.permission_overwrites as Overwrite[] | undefined ?? [])
        .filter((o) => o.id !== this.#st.bot.id);
      channel.permission_overwrites = ow === null ? others : [...others, {
        id: this.#st.bot.id,
        type: OverwriteType.Member,
        allow: String(BigInt(ow.allow ?? "0")),
        deny: String(BigInt(ow.deny ?? "0")),
      }];
    }
  }

  /** The guild's roles. */
  roles(): Record<string, unknown>[] {
    const role = (id: string, name: string, permissions: bigint, position: number) => ({
      id,
      name,
      color: 0,
      colors: { primary_color: 0, secondary_color: null, tertiary_color: null },
      hoist: false,
      icon: null,
      unicode_emoji: null,
      position,
      permissions: String(permissions),
      managed: id === this.botRoleId,
      mentionable: false,
      flags: 0,
      ...(id === this.botRoleId ? { tags: { bot_id: this.#st.bot.id } } : {}),
    });
    return [
      role(this.#st.guildId, "@everyone", this.everyone, 0),
      role(this.botRoleId, this.#st.bot.username, this.botRole, 1),
    ];
  }

  /** The bot's permissions in a channel (a thread counts as its parent), Discord's way. */
  permissionsIn(channelId: string): bigint {
    const st = this.#st;
    let channel = st.channels.get(channelId);
    if (
      channel?.parent_id &&
      (channel.type === ChannelType.PublicThread || channel.type === ChannelType.PrivateThread)
    ) {
      channel = st.channels.get(channel.parent_id) ?? channel;
    }
    let perms = this.everyone | this.botRole;
    if (perms & Perm.Administrator) return ~0n & ((1n << 53n) - 1n);
    const overwrites = (channel?.permission_overwrites as Overwrite[] | undefined) ?? [];
    const apply = (o: Overwrite | undefined) => {
      if (!o) return;
      perms &= ~BigInt(o.deny);
      perms |= BigInt(o.allow);
    };
    apply(overwrites.find((o) => o.id === st.guildId));
    apply(overwrites.find((o) => o.id === this.botRoleId));
    apply(overwrites.find((o) => o.type === OverwriteType.Member && o.id === st.bot.id));
    return perms;
  }

  /**
   * Checks a bot request against the access: a 403 error, an empty-list answer, or undefined
   * when it may proceed.
   */
  check(method: string, template: string, params: Record<string, string>): Response | undefined {
    if (template === "/users/@me/guilds") return this.inGuild ? undefined : json([]);
    const st = this.#st;
    if (params.guild_id !== undefined && !this.inGuild) throw missingAccess();
    const channelId = params.channel_id;
    if (channelId === undefined || !st.channels.has(channelId)) return undefined;
    if (!this.inGuild) throw missingAccess();
    const perms = this.permissionsIn(channelId);
    const has = (p: bigint) => (perms & p) === p;
    if (!has(Perm.ViewChannel)) throw missingAccess();
    const channel = st.channels.get(channelId)!;
    const inThread = channel.type === ChannelType.PublicThread ||
      channel.type === ChannelType.PrivateThread;
    const need = requiredFor(method, template, inThread);
    if (need === "history") return has(Perm.ReadMessageHistory) ? undefined : json([]);
    if (need !== undefined && !has(need)) {
      throw new DiscordHttpError(403, RESTJSONErrorCodes.MissingPermissions, "Missing Permissions");
    }
    return undefined;
  }
}

interface Overwrite {
  id: string;
  type: number;
  allow: string;
  deny: string;
}

function missingAccess(): DiscordHttpError {
  return new DiscordHttpError(403, RESTJSONErrorCodes.MissingAccess, "Missing Access");
}

function requiredFor(
  method: string,
  template: string,
  inThread: boolean,
): bigint | "history" | undefined {
  const t = template.replace("/channels/{channel_id}", "");
  if (method === "GET" && t === "/messages") return "history";
  if (method === "POST" && t === "/messages") {
    return inThread ? Perm.SendMessagesInThreads : Perm.SendMessages;
  }
  if (t === "/webhooks") return Perm.ManageWebhooks;
  if (method === "POST" && (t === "/threads" || t === "/messages/{message_id}/threads")) {
    return Perm.CreatePublicThreads;
  }
  if (method === "PUT" && t.includes("/reactions/")) return Perm.AddReactions;
  return undefined;
}

const ACCESS = new WeakMap<World, BotAccess>();

/** The access record of a server state (created on first use). */
export function accessOf(st: World): BotAccess {
  let access = ACCESS.get(st);
  if (!access) {
    access = new BotAccess(st);
    ACCESS.set(st, access);
  }
  return access;
}
