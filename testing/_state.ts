// The world of the local Discord: users, one guild, channels, threads, messages,
// webhooks, reactions, and the logs the control API exposes. Every change that
// Discord would announce on the gateway goes through `dispatch`.
import { createSnowflakeFactory, type SnowflakeFactory, snowflakeTime } from "./_snowflake.ts";
import { DiscordHttpError, errors } from "./_errors.ts";
import { addReaction, removeReaction } from "./_reactions.ts";
import { createThread, type ThreadInit } from "./_threads.ts";
import { guildCreatePayload, memberPayload } from "./_guild.ts";
import type {
  Attachment,
  Channel,
  Message,
  MessageReference,
  User,
  UserInit,
  Webhook,
} from "./_types.ts";

export { Intents } from "./_intents.ts";
import { Intents } from "./_intents.ts";

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
    return memberPayload(this, user, withUser);
  }

  /** Active threads of the guild. */
  threads(): Channel[] {
    return [...this.channels.values()].filter((c) => c.type === 11 || c.type === 12);
  }

  /** The GUILD_CREATE payload. */
  guildCreate(): Record<string, unknown> {
    return guildCreatePayload(this);
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
