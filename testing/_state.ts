// The world of the local Discord: users, one guild, channels, threads, messages,
// webhooks, reactions, and the logs the control API exposes. Every change that
// Discord would announce on the gateway goes through `dispatch`.
import { createSnowflakeFactory, type SnowflakeFactory, snowflakeTime } from "./_snowflake.ts";
import { DiscordHttpError, errors } from "./_errors.ts";
import type {
  Attachment,
  Channel,
  Message,
  MessageReference,
  User,
  UserInit,
  Webhook,
} from "./_types.ts";

/** Gateway intents used by the server. */
export const Intents = {
  Guilds: 1 << 0,
  GuildMembers: 1 << 1,
  GuildPresences: 1 << 8,
  GuildMessages: 1 << 9,
  GuildMessageReactions: 1 << 10,
  GuildMessageTyping: 1 << 11,
  DirectMessages: 1 << 12,
  MessageContent: 1 << 15,
} as const;

/** Application flags for the message content intent. */
export const AppFlags = { GatewayMessageContent: 1 << 19, GatewayMessageContentLimited: 1 << 18 };

/** How a dispatch is filtered per session. */
export interface DispatchInfo {
  /** The intent a session needs to receive it (0 = always). */
  intent: number;
  /** A message whose content is emptied for sessions without MESSAGE_CONTENT. */
  message?: Message;
}

/** Receives every gateway event the state produces. */
export type DispatchSink = (
  event: string,
  data: Record<string, unknown>,
  info: DispatchInfo,
) => void;

/** One webhook execution, as recorded for tests. */
export interface WebhookExecution {
  webhookId: string;
  query: Record<string, string>;
  queryString: string;
  body: unknown;
  status: number;
  messageId?: string;
  channelId?: string;
  time: string;
}

/** One request, as recorded for tests. */
export interface RequestRecord {
  method: string;
  path: string;
  query: string;
  status: number;
  time: string;
  ms: number;
  bucket?: string;
}

/** Options of {@linkcode DiscordState}. */
export interface StateOptions {
  now: () => number;
  /** `http://127.0.0.1:PORT` (no trailing slash), for attachment and webhook URLs. */
  origin: string;
  messageContentIntent: boolean;
}

/** Input of {@linkcode DiscordState.createMessage}. */
export interface NewMessage {
  channelId: string;
  author: User;
  content?: string;
  embeds?: Record<string, unknown>[];
  components?: Record<string, unknown>[];
  attachments?: Attachment[];
  messageReference?: MessageReference & { fail_if_not_exists?: boolean };
  allowedMentions?: { parse?: string[]; users?: string[]; replied_user?: boolean };
  webhookId?: string;
  applicationId?: string;
  type?: number;
  flags?: number;
  id?: string;
  interactionMetadata?: Record<string, unknown>;
}

function randomToken(bytes: number): string {
  const b = crypto.getRandomValues(new Uint8Array(bytes));
  return btoa(String.fromCharCode(...b)).replaceAll("+", "-").replaceAll("/", "_").replaceAll(
    "=",
    "",
  );
}

/** The whole mutable world. */
export class DiscordState {
  readonly now: () => number;
  readonly snowflake: SnowflakeFactory;
  readonly origin: string;
  messageContentIntent: boolean;
  readonly bot: User;
  readonly owner: User;
  readonly stranger: User;
  readonly otherBot: User;
  readonly token: string;
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
  webhookExecutions: WebhookExecution[] = [];
  requests: RequestRecord[] = [];
  dispatch: DispatchSink = () => {};
  readonly #presetChannels: Channel[];
  readonly #presetUsers: User[];
  readonly #presetWebhooks: Webhook[];

  constructor(opts: StateOptions) {
    this.now = opts.now;
    this.origin = opts.origin;
    this.messageContentIntent = opts.messageContentIntent;
    this.snowflake = createSnowflakeFactory(opts.now);
    const sf = this.snowflake;
    this.bot = this.#user({ username: "claude-bot", bot: true, id: sf() });
    this.applicationId = this.bot.id;
    this.owner = this.#user({ username: "owner", id: sf() });
    this.stranger = this.#user({ username: "stranger", id: sf() });
    this.otherBot = this.#user({ username: "other-bot", bot: true, id: sf() });
    this.token = `${btoa(this.bot.id).replaceAll("=", "")}.${randomToken(4)}.${randomToken(27)}`;
    this.guildId = sf();
    this.channelId = sf();
    this.forumId = sf();
    const iso = new Date(this.now()).toISOString();
    const base = { guild_id: this.guildId, parent_id: null, last_message_id: null, flags: 0 };
    this.#presetChannels = [
      {
        ...base,
        id: this.channelId,
        type: 0,
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
        type: 15,
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
    this.forumWebhook = this.#newWebhook(this.forumId, "status-webhook", this.owner);
    this.textWebhook = this.#newWebhook(this.channelId, "chat-webhook", this.owner);
    this.#presetWebhooks = [this.forumWebhook, this.textWebhook];
    this.reset();
  }

  #user(init: UserInit): User {
    const user: User = {
      id: init.id ?? this.snowflake(),
      username: init.username,
      discriminator: init.bot ? "0000" : "0",
      global_name: init.bot ? null : init.username,
      avatar: null,
      public_flags: 0,
    };
    if (init.bot) user.bot = true;
    return user;
  }

  #newWebhook(channelId: string, name: string, user: User): Webhook {
    const id = this.snowflake();
    const token = randomToken(48);
    return {
      id,
      type: 1,
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
    if (!u) throw new DiscordHttpError(404, 10013, "Unknown User");
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
    const m: Record<string, unknown> = {
      roles: [],
      joined_at: new Date(this.now()).toISOString(),
      deaf: false,
      mute: false,
      flags: 0,
      pending: false,
      nick: null,
      avatar: null,
      premium_since: null,
      communication_disabled_until: null,
    };
    if (withUser) m.user = user;
    return m;
  }

  /** Active threads of the guild. */
  threads(): Channel[] {
    return [...this.channels.values()].filter((c) => c.type === 11 || c.type === 12);
  }

  /** The GUILD_CREATE payload. */
  guildCreate(): Record<string, unknown> {
    const everyone = {
      id: this.guildId,
      name: "@everyone",
      color: 0,
      colors: { primary_color: 0, secondary_color: null, tertiary_color: null },
      hoist: false,
      icon: null,
      unicode_emoji: null,
      position: 0,
      permissions: "2248473465835073",
      managed: false,
      mentionable: false,
      flags: 0,
    };
    return {
      id: this.guildId,
      name: "local-discord",
      icon: null,
      splash: null,
      discovery_splash: null,
      owner_id: this.owner.id,
      afk_channel_id: null,
      afk_timeout: 300,
      verification_level: 0,
      default_message_notifications: 0,
      explicit_content_filter: 0,
      roles: [everyone],
      emojis: [],
      stickers: [],
      features: [],
      mfa_level: 0,
      application_id: null,
      system_channel_id: null,
      system_channel_flags: 0,
      rules_channel_id: null,
      vanity_url_code: null,
      description: null,
      banner: null,
      premium_tier: 0,
      premium_subscription_count: 0,
      preferred_locale: "en-US",
      public_updates_channel_id: null,
      nsfw_level: 0,
      premium_progress_bar_enabled: false,
      safety_alerts_channel_id: null,
      joined_at: new Date(this.now()).toISOString(),
      large: false,
      unavailable: false,
      member_count: this.users.size,
      voice_states: [],
      members: [...this.users.values()].map((u) => this.member(u, true)),
      channels: [...this.channels.values()].filter((c) => c.type === 0 || c.type === 15),
      threads: this.threads(),
      presences: [],
      stage_instances: [],
      guild_scheduled_events: [],
      soundboard_sounds: [],
    };
  }

  /** Creates, stores and dispatches a message. */
  createMessage(m: NewMessage): Message {
    const channel = this.channelOrThrow(m.channelId);
    if (channel.type === 15) {
      throw new DiscordHttpError(400, 50008, "Cannot send messages in a non-text channel");
    }
    const id = m.id ?? this.snowflake();
    // As on Discord, the timestamp is the snowflake's time.
    const iso = new Date(snowflakeTime(id)).toISOString();
    let referenced: Message | null | undefined;
    let type = m.type ?? 0;
    let reference: MessageReference | undefined;
    if (m.messageReference?.message_id) {
      const refChannel = m.messageReference.channel_id ?? m.channelId;
      referenced = this.messagesByChannel.get(refChannel)?.find((x) =>
        x.id === m.messageReference!.message_id
      ) ?? null;
      if (!referenced && m.messageReference.fail_if_not_exists !== false) {
        throw errors.invalidFormBody({
          message_reference: {
            _errors: [{ code: "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", message: "Unknown message" }],
          },
        });
      }
      if (referenced) {
        reference = {
          type: 0,
          message_id: referenced.id,
          channel_id: refChannel,
          guild_id: this.guildId,
        };
        if (m.type === undefined) {
          type = 19;
        }
      }
    }
    const mentions = this.#mentions(m.content ?? "", m.allowedMentions);
    // A reply mentions its target unless allowed_mentions is given without replied_user: true.
    const pingReplied = m.allowedMentions === undefined || m.allowedMentions.replied_user === true;
    if (referenced && pingReplied && !mentions.some((u) => u.id === referenced!.author.id)) {
      mentions.push(referenced.author);
    }
    const msg: Message = {
      id,
      type,
      channel_id: m.channelId,
      author: m.author,
      content: m.content ?? "",
      timestamp: iso,
      edited_timestamp: null,
      tts: false,
      mention_everyone: false,
      mentions,
      mention_roles: [],
      attachments: m.attachments ?? [],
      embeds: m.embeds ?? [],
      components: m.components ?? [],
      pinned: false,
      flags: m.flags ?? 0,
    };
    if (m.webhookId) msg.webhook_id = m.webhookId;
    if (m.applicationId) msg.application_id = m.applicationId;
    if (m.interactionMetadata) msg.interaction_metadata = m.interactionMetadata;
    if (reference) {
      msg.message_reference = reference;
      msg.referenced_message = referenced ?? null;
    }
    if (channel.type === 11 || channel.type === 12) {
      msg.position = channel.total_message_sent ?? 0;
      channel.message_count = (channel.message_count ?? 0) + 1;
      channel.total_message_sent = (channel.total_message_sent ?? 0) + 1;
    }
    const list = this.messagesByChannel.get(m.channelId) ?? [];
    list.push(msg);
    this.messagesByChannel.set(m.channelId, list);
    this.messageChannel.set(msg.id, m.channelId);
    channel.last_message_id = msg.id;
    this.dispatch(
      "MESSAGE_CREATE",
      { ...msg, guild_id: this.guildId, member: m.webhookId ? undefined : this.member(m.author) },
      { intent: Intents.GuildMessages, message: msg },
    );
    return msg;
  }

  #mentions(content: string, allowed?: { parse?: string[]; users?: string[] }): User[] {
    const out: User[] = [];
    for (const match of content.matchAll(/<@!?(\d{17,20})>/g)) {
      const u = this.users.get(match[1]);
      if (!u || out.some((x) => x.id === u.id)) continue;
      if (allowed) {
        const ok = allowed.parse?.includes("users") || allowed.users?.includes(u.id);
        if (!ok) continue;
      }
      out.push(u);
    }
    return out;
  }

  /** Edits a message and dispatches MESSAGE_UPDATE. */
  editMessage(
    channelId: string,
    messageId: string,
    patch: {
      content?: string;
      embeds?: Record<string, unknown>[];
      components?: Record<string, unknown>[];
      flags?: number;
    },
  ): Message {
    const msg = this.messageOrThrow(channelId, messageId);
    if (patch.content !== undefined) {
      msg.content = patch.content;
      msg.mentions = this.#mentions(patch.content);
    }
    if (patch.embeds !== undefined) msg.embeds = patch.embeds;
    if (patch.components !== undefined) msg.components = patch.components;
    if (patch.flags !== undefined) msg.flags = patch.flags;
    msg.edited_timestamp = new Date(this.now()).toISOString();
    this.dispatch(
      "MESSAGE_UPDATE",
      { ...msg, guild_id: this.guildId },
      { intent: Intents.GuildMessages, message: msg },
    );
    return msg;
  }

  /** Deletes a message and dispatches MESSAGE_DELETE. */
  deleteMessage(channelId: string, messageId: string): void {
    this.messageOrThrow(channelId, messageId);
    const list = this.messagesByChannel.get(channelId)!;
    list.splice(list.findIndex((x) => x.id === messageId), 1);
    this.messageChannel.delete(messageId);
    this.reactionUsers.delete(messageId);
    const channel = this.channels.get(channelId)!;
    if (channel.message_count !== undefined) channel.message_count--;
    this.dispatch(
      "MESSAGE_DELETE",
      { id: messageId, channel_id: channelId, guild_id: this.guildId },
      { intent: Intents.GuildMessages },
    );
  }

  /** Messages of a channel, newest first, with Discord's cursor semantics. */
  listMessages(
    channelId: string,
    q: { before?: string; after?: string; around?: string; limit: number },
  ): Message[] {
    this.channelOrThrow(channelId);
    const asc = this.messagesByChannel.get(channelId) ?? [];
    const big = (id: string) => BigInt(id);
    let picked: Message[];
    if (q.around) {
      const a = big(q.around);
      const before = asc.filter((m) => big(m.id) < a).slice(-Math.floor(q.limit / 2));
      const rest = asc.filter((m) => big(m.id) >= a).slice(0, q.limit - before.length);
      picked = [...before, ...rest];
    } else if (q.after) {
      const a = big(q.after);
      picked = asc.filter((m) => big(m.id) > a).slice(0, q.limit);
    } else if (q.before) {
      const b = big(q.before);
      picked = asc.filter((m) => big(m.id) < b).slice(-q.limit);
    } else {
      picked = asc.slice(-q.limit);
    }
    return picked.slice().reverse();
  }

  /**
   * Creates a thread: from a message (thread id = message id), without one
   * (type 18 system message in a text parent), or a forum post with its
   * starter message (thread id = starter message id).
   */
  createThread(opts: {
    parentId: string;
    name: string;
    ownerId: string;
    messageId?: string;
    type?: number;
    autoArchiveDuration?: number;
    starter?: Omit<NewMessage, "channelId" | "id">;
    appliedTags?: string[];
  }): { thread: Channel; starter?: Message } {
    const parent = this.channelOrThrow(opts.parentId);
    if (parent.type !== 0 && parent.type !== 15) {
      throw new DiscordHttpError(400, 50024, "Cannot execute action on this channel type");
    }
    if (typeof opts.name !== "string" || opts.name.length < 1 || opts.name.length > 100) {
      throw errors.invalidFormBody({
        name: {
          _errors: [{
            code: "BASE_TYPE_BAD_LENGTH",
            message: "Must be between 1 and 100 in length.",
          }],
        },
      });
    }
    if (parent.type === 15 && !opts.starter) {
      throw errors.invalidFormBody({
        message: { _errors: [{ code: "BASE_TYPE_REQUIRED", message: "This field is required" }] },
      });
    }
    let id: string;
    if (opts.messageId) {
      const msg = this.messageOrThrow(opts.parentId, opts.messageId);
      if ([...this.channels.values()].some((c) => c.id === msg.id)) {
        throw new DiscordHttpError(
          400,
          160004,
          "A thread has already been created for this message",
        );
      }
      id = msg.id;
    } else id = this.snowflake();
    const iso = new Date(this.now()).toISOString();
    const thread: Channel = {
      id,
      type: opts.type ?? 11,
      guild_id: this.guildId,
      parent_id: parent.id,
      owner_id: opts.ownerId,
      name: opts.name,
      last_message_id: null,
      rate_limit_per_user: 0,
      flags: 0,
      message_count: 0,
      member_count: 1,
      total_message_sent: 0,
      thread_metadata: {
        archived: false,
        auto_archive_duration: opts.autoArchiveDuration ?? 4320,
        archive_timestamp: iso,
        locked: false,
        create_timestamp: iso,
      },
    };
    if (parent.type === 15) thread.applied_tags = opts.appliedTags ?? [];
    this.channels.set(id, thread);
    this.dispatch(
      "THREAD_CREATE",
      { ...thread, newly_created: true },
      { intent: Intents.Guilds },
    );
    let starter: Message | undefined;
    if (opts.messageId) {
      const msg = this.findMessage(opts.messageId)!;
      msg.thread = thread;
    } else if (parent.type === 0) {
      this.createMessage({
        channelId: parent.id,
        author: this.userOrThrow(opts.ownerId),
        content: opts.name,
        type: 18,
        messageReference: { channel_id: id, guild_id: this.guildId },
      });
    }
    if (opts.starter) starter = this.createMessage({ ...opts.starter, channelId: id, id });
    return { thread, starter };
  }

  /** Adds a reaction and dispatches MESSAGE_REACTION_ADD. Returns false if it was there. */
  addReaction(channelId: string, messageId: string, userId: string, emoji: string): boolean {
    const msg = this.messageOrThrow(channelId, messageId);
    const user = this.userOrThrow(userId);
    const parsed = parseEmoji(emoji);
    const key = parsed.id ?? parsed.name;
    const byEmoji = this.reactionUsers.get(messageId) ?? new Map<string, Set<string>>();
    this.reactionUsers.set(messageId, byEmoji);
    const users = byEmoji.get(key) ?? new Set<string>();
    byEmoji.set(key, users);
    if (users.has(userId)) return false;
    users.add(userId);
    msg.reactions ??= [];
    let r = msg.reactions.find((x) => (x.emoji.id ?? x.emoji.name) === key);
    if (!r) {
      r = {
        count: 0,
        count_details: { burst: 0, normal: 0 },
        me: false,
        me_burst: false,
        burst_colors: [],
        emoji: parsed,
      };
      msg.reactions.push(r);
    }
    r.count++;
    r.count_details.normal++;
    if (userId === this.bot.id) r.me = true;
    this.dispatch("MESSAGE_REACTION_ADD", {
      user_id: userId,
      channel_id: channelId,
      message_id: messageId,
      guild_id: this.guildId,
      member: this.member(user, true),
      emoji: parsed,
      message_author_id: msg.author.id,
      burst: false,
      burst_colors: [],
      type: 0,
    }, { intent: Intents.GuildMessageReactions });
    return true;
  }

  /** Removes a reaction and dispatches MESSAGE_REACTION_REMOVE. */
  removeReaction(channelId: string, messageId: string, userId: string, emoji: string): void {
    const msg = this.messageOrThrow(channelId, messageId);
    const parsed = parseEmoji(emoji);
    const key = parsed.id ?? parsed.name;
    const users = this.reactionUsers.get(messageId)?.get(key);
    if (!users?.delete(userId)) return;
    const r = msg.reactions?.find((x) => (x.emoji.id ?? x.emoji.name) === key);
    if (r) {
      r.count--;
      r.count_details.normal--;
      if (userId === this.bot.id) r.me = false;
      if (r.count === 0) msg.reactions = msg.reactions!.filter((x) => x !== r);
    }
    this.dispatch("MESSAGE_REACTION_REMOVE", {
      user_id: userId,
      channel_id: channelId,
      message_id: messageId,
      guild_id: this.guildId,
      emoji: parsed,
      burst: false,
      type: 0,
    }, { intent: Intents.GuildMessageReactions });
  }

  /** Stores uploaded bytes (or a size for a placeholder) and returns the attachment object. */
  attachment(
    channelId: string,
    file: { filename: string; size?: number; content_type?: string; bytes?: Uint8Array },
  ): Attachment {
    const id = this.snowflake();
    const safe = encodeURIComponent(file.filename.replaceAll("/", "_"));
    const url = `${this.origin}/attachments/${channelId}/${id}/${safe}`;
    if (file.bytes) this.files.set(id, file.bytes);
    else this.files.set(id, new Uint8Array(Math.min(file.size ?? 0, 8 << 20)).fill(120));
    const a: Attachment = {
      id,
      filename: file.filename,
      size: file.bytes?.length ?? file.size ?? 0,
      url,
      proxy_url: url,
    };
    if (file.content_type) a.content_type = file.content_type;
    return a;
  }
}

/** Parses a reaction emoji: unicode, `name:id`, or `<:name:id>`. */
export function parseEmoji(raw: string): { id: string | null; name: string } {
  const s = raw.replace(/^<a?:/, "").replace(/>$/, "");
  const m = /^([\w~-]+):(\d{17,20})$/.exec(s);
  if (m) throw errors.unknownEmoji();
  if (!s || s.length > 32) throw errors.unknownEmoji();
  return { id: null, name: s };
}
