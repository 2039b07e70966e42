// REST routes for the bot: gateway info, users, application, channels, messages,
// reactions, typing, threads, guild reads.
import { ChannelType, MessageFlags, RESTJSONErrorCodes } from "discord-api-types/v10";
import { DiscordHttpError, errors, invalidForm } from "./_errors.ts";
import { validateMessageBody } from "./_messages.ts";
import { type Ctx, json, noContent, present, type Route } from "./_router.ts";
import { isSnowflake } from "./_snowflake.ts";
import type { Attachment } from "./_types.ts";
import { guildPayload } from "./_guild.ts";
import { type ChannelPatch, updateChannel } from "./_threads.ts";
import { ApplicationExplicitContentFilterTypes } from "discord-api-spec";

const byChannel = (p: Record<string, string>) => ({
  rule: "default" as const,
  major: p.channel_id ?? "",
  global: true,
});
const byGuild = (p: Record<string, string>) => ({
  rule: "default" as const,
  major: p.guild_id ?? "",
  global: true,
});
const plain = () => ({ rule: "default" as const, major: "", global: true });

/** The one guild's id is the only one known: any other answers 404 Unknown Guild. */
function knownGuild(guildId: string, asked: string): void {
  if (asked !== guildId) {
    throw new DiscordHttpError(404, RESTJSONErrorCodes.UnknownGuild, "Unknown Guild");
  }
}

/** Adding (PUT) or removing (DELETE) a reaction of the bot (`@me`) or of a user (`{user_id}`). */
function reactionRoute(method: "PUT" | "DELETE", who: "@me" | "{user_id}"): Route {
  return {
    method,
    template: `/channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}/${who}`,
    auth: true,
    limit: (p) => ({ rule: "reaction", major: p.channel_id, global: true }),
    handler: (ctx) => {
      const st = ctx.hub.state;
      const { channel_id, message_id, emoji_name } = ctx.params;
      const user = who === "@me" ? st.bot.id : ctx.params.user_id;
      if (method === "PUT") st.addReaction(channel_id, message_id, user, emoji_name);
      else st.removeReaction(channel_id, message_id, user, emoji_name);
      return noContent();
    },
  };
}

function limitParam(url: URL): number {
  const raw = url.searchParams.get("limit");
  if (raw === null) return 50;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 100) {
    throw invalidForm(["limit"], "NUMBER_TYPE_MAX", "int value should be between 1 and 100.");
  }
  return n;
}

function snowflakeParam(url: URL, name: string): string | undefined {
  const v = url.searchParams.get(name);
  if (v === null) return undefined;
  if (!/^\d{1,20}$/.test(v)) {
    throw invalidForm([name], "NUMBER_TYPE_COERCE", `Value "${v}" is not snowflake.`);
  }
  return v;
}

async function createMessage(ctx: Ctx): Promise<Response> {
  const st = ctx.hub.state;
  const channelId = ctx.params.channel_id;
  st.channelOrThrow(channelId);
  const { json: raw, files } = await ctx.body();
  const body = validateMessageBody(raw, { requireSomething: true, hasFiles: files.length > 0 });
  // enforce_nonce: the same nonce again within a few minutes answers the first message.
  const nonceKey = body.nonce === undefined ? undefined : `${channelId}:${body.nonce}`;
  if (nonceKey && body.enforce_nonce) {
    const first = st.nonces.get(nonceKey);
    const earlier = first && st.now() - first.at < NONCE_WINDOW_MS
      ? st.findMessage(first.messageId)
      : undefined;
    if (earlier) return json({ ...present(st, earlier), nonce: body.nonce });
  }
  const attachments: Attachment[] = files.map((f) => st.attachment(channelId, f));
  const ref = body.message_reference;
  if (ref?.message_id !== undefined && !isSnowflake(ref.message_id)) {
    throw invalidForm(
      ["message_reference", "message_id"],
      "NUMBER_TYPE_COERCE",
      "Value is not snowflake.",
    );
  }
  const msg = st.createMessage({
    channelId,
    author: st.bot,
    content: body.content,
    embeds: body.embeds,
    components: body.components,
    attachments,
    messageReference: ref,
    allowedMentions: body.allowed_mentions,
    flags: body.flags
      ? body.flags & (MessageFlags.SuppressEmbeds | MessageFlags.SuppressNotifications)
      : 0,
    nonce: body.nonce,
  });
  if (nonceKey) st.nonces.set(nonceKey, { messageId: msg.id, at: st.now() });
  return json(body.nonce === undefined ? msg : { ...msg, nonce: body.nonce });
}

/** How long `enforce_nonce` remembers a nonce ("a few minutes" in Discord's reference). */
const NONCE_WINDOW_MS = 5 * 60_000;

async function editMessage(ctx: Ctx): Promise<Response> {
  const st = ctx.hub.state;
  const msg = st.messageOrThrow(ctx.params.channel_id, ctx.params.message_id);
  if (msg.author.id !== st.bot.id) throw errors.cannotEditOthers();
  const body = validateMessageBody((await ctx.body()).json, { requireSomething: false });
  return json(st.editMessage(ctx.params.channel_id, ctx.params.message_id, body));
}

async function threadFromMessage(ctx: Ctx): Promise<Response> {
  const st = ctx.hub.state;
  const b = (await ctx.body()).json as Record<string, unknown>;
  const parent = st.channelOrThrow(ctx.params.channel_id);
  if (parent.type !== ChannelType.GuildText) {
    throw new DiscordHttpError(
      400,
      RESTJSONErrorCodes.CannotExecuteActionOnThisChannelType,
      "Cannot execute action on this channel type",
    );
  }
  const { thread } = st.createThread({
    parentId: parent.id,
    name: b.name as string,
    ownerId: st.bot.id,
    messageId: ctx.params.message_id,
    autoArchiveDuration: typeof b.auto_archive_duration === "number"
      ? b.auto_archive_duration
      : undefined,
  });
  return json(thread, 201);
}

async function threadWithoutMessage(ctx: Ctx): Promise<Response> {
  const st = ctx.hub.state;
  const { json: raw, files } = await ctx.body();
  const b = (raw ?? {}) as Record<string, unknown>;
  const parent = st.channelOrThrow(ctx.params.channel_id);
  const auto = typeof b.auto_archive_duration === "number" ? b.auto_archive_duration : undefined;
  if (parent.type === ChannelType.GuildForum) {
    const m = validateMessageBody(b.message ?? null, {
      requireSomething: true,
      hasFiles: files.length > 0,
    });
    const { thread, starter } = st.createThread({
      parentId: parent.id,
      name: b.name as string,
      ownerId: st.bot.id,
      autoArchiveDuration: auto,
      appliedTags: Array.isArray(b.applied_tags) ? b.applied_tags as string[] : undefined,
      starter: {
        author: st.bot,
        content: m.content,
        embeds: m.embeds,
        components: m.components,
        attachments: files.map((f) => st.attachment(parent.id, f)),
        allowedMentions: m.allowed_mentions,
      },
    });
    return json({ ...thread, message: starter }, 201);
  }
  const type = b.type === ChannelType.PrivateThread
    ? ChannelType.PrivateThread
    : ChannelType.PublicThread;
  const { thread } = st.createThread({
    parentId: parent.id,
    name: b.name as string,
    ownerId: st.bot.id,
    type,
    autoArchiveDuration: auto,
  });
  return json(thread, 201);
}

function application(ctx: Ctx): Response {
  const st = ctx.hub.state;
  return json({
    id: st.applicationId,
    name: st.bot.username,
    icon: null,
    description: "",
    type: null,
    bot_public: false,
    bot_require_code_grant: false,
    verify_key: "0".repeat(64),
    flags: ctx.hub.gateway.appFlags(),
    flags_new: String(ctx.hub.gateway.appFlags()),
    owner: st.owner,
    team: null,
    bot: st.bot,
    approximate_guild_count: 1,
    approximate_user_install_count: 0,
    approximate_user_authorization_count: 0,
    explicit_content_filter: ApplicationExplicitContentFilterTypes.INHERIT,
    eligible_oauth2_scopes: [],
    interactions_endpoint_url: null,
    role_connections_verification_url: null,
    redirect_uris: [],
    tags: [],
  });
}

/** The bot REST routes (webhooks and interactions live in `_webhooks.ts`). */
export const restRoutes: Route[] = [
  {
    method: "GET",
    template: "/gateway/bot",
    auth: true,
    limit: plain,
    handler: (ctx) =>
      json({
        url: ctx.hub.gatewayUrl(),
        shards: 1,
        session_start_limit: ctx.hub.gateway.budget.sessionStartLimit(),
      }),
  },
  {
    method: "GET",
    template: "/gateway",
    auth: false,
    limit: plain,
    handler: (ctx) => json({ url: ctx.hub.gatewayUrl() }),
  },
  {
    method: "GET",
    template: "/users/@me",
    auth: true,
    limit: plain,
    handler: (ctx) =>
      json({
        ...ctx.hub.state.bot,
        verified: true,
        mfa_enabled: false,
        flags: 0,
        email: null,
        locale: "en-US",
      }),
  },
  {
    method: "GET",
    template: "/users/{user_id}",
    auth: true,
    limit: plain,
    handler: (ctx) => json(ctx.hub.state.userOrThrow(ctx.params.user_id)),
  },
  { method: "GET", template: "/applications/@me", auth: true, limit: plain, handler: application },
  {
    method: "GET",
    template: "/oauth2/applications/@me",
    auth: true,
    limit: plain,
    handler: application,
  },
  {
    method: "GET",
    template: "/guilds/{guild_id}",
    auth: true,
    limit: byGuild,
    handler: (ctx) => {
      const st = ctx.hub.state;
      knownGuild(st.guildId, ctx.params.guild_id);
      const g = guildPayload(st);
      if (/^(true|True|1)$/.test(ctx.url.searchParams.get("with_counts") ?? "")) {
        g.approximate_member_count = st.users.size;
        g.approximate_presence_count = 0;
      }
      return json(g);
    },
  },
  {
    method: "GET",
    template: "/guilds/{guild_id}/channels",
    auth: true,
    limit: byGuild,
    handler: (ctx) => {
      const st = ctx.hub.state;
      knownGuild(st.guildId, ctx.params.guild_id);
      return json(
        [...st.channels.values()].filter((c) =>
          c.type === ChannelType.GuildText || c.type === ChannelType.GuildForum
        ),
      );
    },
  },
  {
    method: "GET",
    template: "/guilds/{guild_id}/threads/active",
    auth: true,
    limit: byGuild,
    handler: (ctx) =>
      json({
        threads: ctx.hub.state.threads().filter((t) => !t.thread_metadata?.archived),
        members: [],
        has_more: false,
      }),
  },
  {
    method: "GET",
    template: "/guilds/{guild_id}/members/{user_id}",
    auth: true,
    limit: byGuild,
    handler: (ctx) => {
      const st = ctx.hub.state;
      return json(st.member(st.userOrThrow(ctx.params.user_id), true));
    },
  },
  {
    method: "GET",
    template: "/channels/{channel_id}",
    auth: true,
    limit: byChannel,
    handler: (ctx) => json(ctx.hub.state.channelOrThrow(ctx.params.channel_id)),
  },
  {
    method: "PATCH",
    template: "/channels/{channel_id}",
    auth: true,
    limit: byChannel,
    handler: async (ctx) => {
      const patch = (await ctx.body()).json as ChannelPatch;
      return json(updateChannel(ctx.hub.state, ctx.params.channel_id, patch));
    },
  },
  {
    method: "GET",
    template: "/channels/{channel_id}/messages",
    auth: true,
    limit: byChannel,
    handler: (ctx) => {
      const st = ctx.hub.state;
      const q = {
        limit: limitParam(ctx.url),
        before: snowflakeParam(ctx.url, "before"),
        after: snowflakeParam(ctx.url, "after"),
        around: snowflakeParam(ctx.url, "around"),
      };
      return json(st.listMessages(ctx.params.channel_id, q).map((m) => present(st, m)));
    },
  },
  {
    method: "GET",
    template: "/channels/{channel_id}/messages/{message_id}",
    auth: true,
    limit: byChannel,
    handler: (ctx) => {
      const st = ctx.hub.state;
      return json(present(st, st.messageOrThrow(ctx.params.channel_id, ctx.params.message_id)));
    },
  },
  {
    method: "POST",
    template: "/channels/{channel_id}/messages",
    auth: true,
    limit: (p) => ({ rule: "messageCreate", major: p.channel_id, global: true }),
    handler: createMessage,
  },
  {
    method: "PATCH",
    template: "/channels/{channel_id}/messages/{message_id}",
    auth: true,
    limit: (p) => ({ rule: "messageEdit", major: p.channel_id, global: true }),
    handler: editMessage,
  },
  {
    method: "DELETE",
    template: "/channels/{channel_id}/messages/{message_id}",
    auth: true,
    limit: byChannel,
    handler: (ctx) => {
      ctx.hub.state.deleteMessage(ctx.params.channel_id, ctx.params.message_id);
      return noContent();
    },
  },
  reactionRoute("PUT", "@me"),
  reactionRoute("DELETE", "@me"),
  reactionRoute("DELETE", "{user_id}"),
  {
    method: "GET",
    template: "/channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}",
    auth: true,
    limit: byChannel,
    handler: (ctx) => {
      const st = ctx.hub.state;
      st.messageOrThrow(ctx.params.channel_id, ctx.params.message_id);
      const key = ctx.params.emoji_name;
      const ids = st.reactionUsers.get(ctx.params.message_id)?.get(key) ?? new Set<string>();
      return json([...ids].map((id) => st.users.get(id)).filter(Boolean));
    },
  },
  {
    method: "POST",
    template: "/channels/{channel_id}/typing",
    auth: true,
    limit: byChannel,
    handler: (ctx) => {
      ctx.hub.state.channelOrThrow(ctx.params.channel_id);
      return noContent();
    },
  },
  {
    method: "POST",
    template: "/channels/{channel_id}/messages/{message_id}/threads",
    auth: true,
    limit: byChannel,
    handler: threadFromMessage,
  },
  {
    method: "POST",
    template: "/channels/{channel_id}/threads",
    auth: true,
    limit: byChannel,
    handler: threadWithoutMessage,
  },
  {
    method: "GET",
    template: "/users/@me/guilds",
    auth: true,
    limit: plain,
    handler: (ctx) => {
      const st = ctx.hub.state;
      return json([{
        id: st.guildId,
        name: "local-discord",
        icon: null,
        banner: null,
        owner: false,
        permissions: "2248473465835073",
        features: [],
      }]);
    },
  },
  {
    // Threads archive only when asked (PATCH archived: true), never by inactivity.
    method: "GET",
    template: "/channels/{channel_id}/threads/archived/public",
    auth: true,
    limit: byChannel,
    handler: (ctx) => {
      const st = ctx.hub.state;
      st.channelOrThrow(ctx.params.channel_id);
      const threads = st.threads().filter((t) =>
        t.parent_id === ctx.params.channel_id && t.type === ChannelType.PublicThread &&
        t.thread_metadata?.archived
      ).sort((a, b) =>
        b.thread_metadata!.archive_timestamp.localeCompare(a.thread_metadata!.archive_timestamp)
      );
      return json({ threads, members: [], has_more: false });
    },
  },
  {
    method: "PUT",
    template: "/channels/{channel_id}/thread-members/@me",
    auth: true,
    limit: byChannel,
    handler: (ctx) => {
      const c = ctx.hub.state.channelOrThrow(ctx.params.channel_id);
      if (c.type !== ChannelType.PublicThread && c.type !== ChannelType.PrivateThread) {
        throw new DiscordHttpError(
          400,
          RESTJSONErrorCodes.CannotExecuteActionOnThisChannelType,
          "Cannot execute action on this channel type",
        );
      }
      return noContent();
    },
  },
];
