// The world of the local Discord: users, one guild, channels, threads, messages,
// webhooks, reactions, and the logs the control API exposes. Every change that
// Discord would announce on the gateway goes through `dispatch`.
import { ChannelType, RESTJSONErrorCodes, WebhookType } from "discord-api-types/v10";
import { createSnowflakeFactory, type SnowflakeFactory } from "./_snowflake.ts";
import { DiscordHttpError, errors } from "./_errors.ts";
import { addReaction, removeReaction } from "./_reactions.ts";
import { createThread, type ThreadInit } from "./_threads.ts";
import { guildCreatePayload, memberPayload } from "./_guild.ts";
import { createMessage, deleteMessage, editMessage, listMessages } from "./_message_store.ts";
import { Cdn } from "./_cdn.ts";
import type { Attachment, Channel, Message, User, UserInit, Webhook } from "./_types.ts";
import type { DispatchSink, NewMessage, World } from "./_state_types.ts";

export type { DispatchInfo, DispatchSink, NewMessage } from "./_state_types.ts";

/** Application flags for the message content intent. */
export const AppFlags = { GatewayMessageContent: 1 << 19, GatewayMessageContentLimited: 1 << 18 };

/** One webhook execution, as recorded for tests. */
export interface WebhookExecution {
  /** The webhook (or application id for interaction follow-ups). */
  webhookId: string;
  /** Query parameters (`wait`, `thread_id`…). */
  query: Record<string, string>;
  /** The raw query string, `?` included. */
  queryString: string;
  /** The JSON body (or `payload_json`). */
  body: unknown;
  /** HTTP status answered. */
  status: number;
  /** The message created, if any. */
  messageId?: string;
  /** Where it was posted (the thread for forum posts). */
  channelId?: string;
  /** ISO time. */
  time: string;
}

/** One request, as recorded for tests. */
export interface RequestRecord {
  /** HTTP method. */
  method: string;
  /** Path after `/api/v10`. */
  path: string;
  /** Query string. */
  query: string;
  /** HTTP status answered. */
  status: number;
  /** ISO time received. */
  time: string;
  /** Time to answer. */
  ms: number;
  /** Rate limit bucket hash. */
  bucket?: string;
  /** The latency injected before the answer (a `latency` fault), when there was one. */
  delayedMs?: number;
}

/** The ids and secrets a world is known by: what a restarted sandbox keeps. */
export interface WorldIdentity {
  /** The bot token. */
  token: string;
  /** The preset users' ids. */
  users: { bot: string; owner: string; stranger: string; otherBot: string };
  /** The guild's id. */
  guildId: string;
  /** The text channel "chat". */
  channelId: string;
  /** The forum channel "status". */
  forumId: string;
  /** The preset webhooks (id and token). */
  webhooks: { forum: WebhookKey; text: WebhookKey };
  /** The last snowflake minted: new ids come after it. */
  lastId: string;
}

/** A webhook's id and token. */
export interface WebhookKey {
  /** The webhook id. */
  id: string;
  /** The webhook token. */
  token: string;
}

/** A file to attach: its bytes, or a size for placeholder bytes; voice messages add a duration. */
export interface NewAttachment {
  /** File name. */
  filename: string;
  /** Size of the placeholder bytes (when `bytes` is absent). */
  size?: number;
  /** MIME type, as the uploader's client states it. */
  content_type?: string;
  /** The contents. */
  bytes?: Uint8Array;
  /** A voice message's length in seconds. */
  duration_secs?: number;
  /** A voice message's waveform (base64). */
  waveform?: string;
}

/** Options of {@linkcode DiscordState}. */
export interface StateOptions {
  now: () => number;
  /** `http://127.0.0.1:PORT` (no trailing slash), for attachment and webhook URLs. */
  origin: string;
  messageContentIntent: boolean;
  /** Ids and token to keep (default: fresh ones). */
  identity?: WorldIdentity;
  /** How long a signed attachment URL stays valid. Default a day, as on Discord. */
  attachmentUrlTtlMs?: number;
}

function randomToken(bytes: number): string {
  const b = crypto.getRandomValues(new Uint8Array(bytes));
  return btoa(String.fromCharCode(...b)).replaceAll("+", "-").replaceAll("/", "_").replaceAll(
    "=",
    "",
  );
}

/** The whole mutable world. */
export class DiscordState implements World {
  readonly now: () => number;
  readonly snowflake: SnowflakeFactory;
  readonly origin: string;
  messageContentIntent: boolean;
  readonly bot: User;
  readonly owner: User;
  readonly stranger: User;
  readonly otherBot: User;
  /** The bot token; a new one after {@linkcode DiscordState.resetToken}. */
  token: string;
  readonly applicationId: string;
  readonly guildId: string;
  readonly channelId: string;
  readonly forumId: string;
  readonly forumWebhook: Webhook;
  readonly textWebhook: Webhook;
  readonly users: Map<string, User> = new Map();
  readonly channels: Map<string, Channel> = new Map();
  readonly messagesByChannel: Map<string, Message[]> = new Map();
  readonly messageChannel: Map<string, string> = new Map();
  readonly reactionUsers: Map<string, Map<string, Set<string>>> = new Map();
  readonly webhooks: Map<string, Webhook> = new Map();
  readonly files: Map<string, Uint8Array> = new Map();
  /** Serves `files` behind signed, expiring URLs. */
  readonly cdn: Cdn;
  /** Message create nonces (`channel:nonce`) and the message each created, for enforce_nonce. */
  readonly nonces: Map<string, { messageId: string; at: number }> = new Map();
  webhookExecutions: WebhookExecution[] = [];
  requests: RequestRecord[] = [];
  dispatch: DispatchSink = () => {};
  readonly #presetChannels: Channel[];
  readonly #presetUsers: User[];
  readonly #presetWebhooks: Webhook[];
  #lastId = "0";

  constructor(opts: StateOptions) {
    this.now = opts.now;
    this.origin = opts.origin;
    this.messageContentIntent = opts.messageContentIntent;
    this.cdn = new Cdn(opts.origin, opts.now, this.files, opts.attachmentUrlTtlMs);
    const known = opts.identity;
    const mint = createSnowflakeFactory(opts.now, known?.lastId);
    this.snowflake = () => this.#lastId = mint();
    const sf = this.snowflake;
    this.bot = this.#user({ username: "claude-bot", bot: true, id: known?.users.bot ?? sf() });
    this.applicationId = this.bot.id;
    this.owner = this.#user({ username: "owner", id: known?.users.owner ?? sf() });
    this.stranger = this.#user({ username: "stranger", id: known?.users.stranger ?? sf() });
    this.otherBot = this.#user({
      username: "other-bot",
      bot: true,
      id: known?.users.otherBot ?? sf(),
    });
    this.token = known?.token ?? this.#mintToken();
    this.guildId = known?.guildId ?? sf();
    this.channelId = known?.channelId ?? sf();
    this.forumId = known?.forumId ?? sf();
    if (known) this.#lastId = known.lastId;
    const iso = new Date(this.now()).toISOString();
    const base = { guild_id: this.guildId, parent_id: null, last_message_id: null, flags: 0 };
    this.#presetChannels = [
      {
        ...base,
        id: this.channelId,
        type: ChannelType.GuildText,
        name: "chat",
        position: 0,
        topic: null,
        nsfw: false,
        rate_limit_per_user: 0,
        permission_overwrites: [],
      },
      {
        ...base,
        id: this.forumId,
        type: ChannelType.GuildForum,
        name: "status",
        position: 1,
        topic: null,
        nsfw: false,
        rate_limit_per_user: 0,
        permission_overwrites: [],
        available_tags: [],
        default_reaction_emoji: null,
        default_sort_order: null,
        default_forum_layout: 0,
        default_thread_rate_limit_per_user: 0,
      },
    ];
    void iso;
    this.#presetUsers = [this.bot, this.owner, this.stranger, this.otherBot];
    this.forumWebhook = this.#newWebhook(
      this.forumId,
      "status-webhook",
      this.owner,
      known?.webhooks.forum,
    );
    this.textWebhook = this.#newWebhook(
      this.channelId,
      "chat-webhook",
      this.owner,
      known?.webhooks.text,
    );
    this.#presetWebhooks = [this.forumWebhook, this.textWebhook];
    this.reset();
  }

  /** A token of Discord's shape: `base64(bot id).x.y`. */
  #mintToken(): string {
    return `${btoa(this.bot.id).replaceAll("=", "")}.${randomToken(4)}.${randomToken(27)}`;
  }

  /** Replaces the token (Discord resets it when the IDENTIFY budget is exceeded). */
  resetToken(): void {
    this.token = this.#mintToken();
  }

  #user(init: UserInit): User {
    const user: User = {
      id: init.id ?? this.snowflake(),
      username: init.username,
      discriminator: init.bot ? "0000" : "0",
      global_name: init.bot ? null : init.username,
      avatar: null,
      public_flags: 0,
      flags: 0,
      primary_guild: null,
    };
    if (init.bot) user.bot = true;
    return user;
  }

  #newWebhook(channelId: string, name: string, user: User, key?: WebhookKey): Webhook {
    const id = key?.id ?? this.snowflake();
    const token = key?.token ?? randomToken(48);
    return {
      id,
      type: WebhookType.Incoming,
      guild_id: this.guildId,
      channel_id: channelId,
      name,
      avatar: null,
      token,
      application_id: null,
      user,
      url: `${this.origin}/api/webhooks/${id}/${token}`,
    };
  }

  /** The ids and secrets of this world, to start it again with the same ones. */
  identity(): WorldIdentity {
    const key = (w: Webhook): WebhookKey => ({ id: w.id, token: w.token });
    return {
      token: this.token,
      users: {
        bot: this.bot.id,
        owner: this.owner.id,
        stranger: this.stranger.id,
        otherBot: this.otherBot.id,
      },
      guildId: this.guildId,
      channelId: this.channelId,
      forumId: this.forumId,
      webhooks: { forum: key(this.forumWebhook), text: key(this.textWebhook) },
      lastId: this.#lastId,
    };
  }

  /** Forgets everything but the preset world (same ids and token). */
  reset(): void {
    this.users.clear();
    for (const u of this.#presetUsers) this.users.set(u.id, u);
    this.channels.clear();
    for (const c of this.#presetChannels) this.channels.set(c.id, { ...c, last_message_id: null });
    this.webhooks.clear();
    for (const w of this.#presetWebhooks) this.webhooks.set(w.id, w);
    this.messagesByChannel.clear();
    this.messageChannel.clear();
    this.reactionUsers.clear();
    this.files.clear();
    this.cdn.reset();
    this.nonces.clear();
    this.webhookExecutions = [];
    this.requests = [];
  }

  /** Adds a user to the guild. */
  createUser(init: UserInit): User {
    const user = this.#user(init);
    this.users.set(user.id, user);
    return user;
  }

  /** Creates a webhook on a text or forum channel. */
  createWebhook(channelId: string, name: string, user: User): Webhook {
    this.channelOrThrow(channelId);
    const hook = this.#newWebhook(channelId, name, user);
    this.webhooks.set(hook.id, hook);
    return hook;
  }

  /** A user by id, or a 10013 error. */
  userOrThrow(id: string): User {
    const u = this.users.get(id);
    if (!u) throw new DiscordHttpError(404, RESTJSONErrorCodes.UnknownUser, "Unknown User");
    return u;
  }

  /** A channel or thread by id, or 10003. */
  channelOrThrow(id: string): Channel {
    const c = this.channels.get(id);
    if (!c) throw errors.unknownChannel();
    return c;
  }

  /** A message by channel and id, or 10003/10008. */
  messageOrThrow(channelId: string, messageId: string): Message {
    this.channelOrThrow(channelId);
    const m = this.messagesByChannel.get(channelId)?.find((x) => x.id === messageId);
    if (!m) throw errors.unknownMessage();
    return m;
  }

  /** Finds a message anywhere. */
  findMessage(messageId: string): Message | undefined {
    const ch = this.messageChannel.get(messageId);
    return ch ? this.messagesByChannel.get(ch)?.find((x) => x.id === messageId) : undefined;
  }

  /** The guild member object of a user (without `user` unless asked). */
  member(user: User, withUser = false): Record<string, unknown> {
    return memberPayload(this, user, withUser);
  }

  /** Active threads of the guild. */
  threads(): Channel[] {
    return [...this.channels.values()].filter((c) =>
      c.type === ChannelType.PublicThread || c.type === ChannelType.PrivateThread
    );
  }

  /** The GUILD_CREATE payload. */
  guildCreate(): Record<string, unknown> {
    return guildCreatePayload(this);
  }

  /** Creates, stores and dispatches a message. */
  createMessage(m: NewMessage): Message {
    return createMessage(this, m);
  }

  /** Edits a message and dispatches MESSAGE_UPDATE. */
  editMessage(
    channelId: string,
    messageId: string,
    patch: Parameters<typeof editMessage>[3],
  ): Message {
    return editMessage(this, channelId, messageId, patch);
  }

  /** Deletes a message and dispatches MESSAGE_DELETE. */
  deleteMessage(channelId: string, messageId: string): void {
    deleteMessage(this, channelId, messageId);
  }

  /** Messages of a channel, newest first, with Discord's cursor semantics. */
  listMessages(
    channelId: string,
    q: { before?: string; after?: string; around?: string; limit: number },
  ): Message[] {
    return listMessages(this, channelId, q);
  }

  /** Creates a thread (see `_threads.ts`). */
  createThread(opts: ThreadInit): { thread: Channel; starter?: Message } {
    return createThread(this, opts);
  }

  /** Adds a reaction and dispatches MESSAGE_REACTION_ADD. Returns false if it was there. */
  addReaction(channelId: string, messageId: string, userId: string, emoji: string): boolean {
    return addReaction(this, channelId, messageId, userId, emoji);
  }

  /** Removes a reaction and dispatches MESSAGE_REACTION_REMOVE. */
  removeReaction(channelId: string, messageId: string, userId: string, emoji: string): void {
    removeReaction(this, channelId, messageId, userId, emoji);
  }

  /**
   * Stores uploaded bytes (or a size for a placeholder) and returns the attachment object, its
   * URL signed for the CDN (see _cdn.ts).
   */
  attachment(channelId: string, file: NewAttachment): Attachment {
    const id = this.snowflake();
    const bytes = file.bytes ?? new Uint8Array(Math.min(file.size ?? 0, 8 << 20)).fill(120);
    const url = this.cdn.sign(
      this.cdn.store(channelId, id, file.filename, bytes, file.content_type),
    );
    const a: Attachment = {
      id,
      filename: file.filename,
      size: file.bytes?.length ?? file.size ?? 0,
      url,
      proxy_url: url,
    };
    if (file.content_type) a.content_type = file.content_type;
    if (file.duration_secs !== undefined) a.duration_secs = file.duration_secs;
    if (file.waveform !== undefined) a.waveform = file.waveform;
    if (file.duration_secs !== undefined) a.flags = 0;
    return a;
  }
}
