// Thread creation: from a message, without one, and forum posts.
import {
  ChannelType,
  GatewayIntentBits,
  MessageType,
  RESTJSONErrorCodes,
} from "discord-api-types/v10";
import { DiscordHttpError, errors } from "./_errors.ts";
import type { NewMessage, World } from "./_state_types.ts";
import type { Channel, Message } from "./_types.ts";

/** Input of {@linkcode createThread}. */
export interface ThreadInit {
  parentId: string;
  name: string;
  ownerId: string;
  messageId?: string;
  type?: number;
  autoArchiveDuration?: number;
  starter?: Omit<NewMessage, "channelId" | "id">;
  appliedTags?: string[];
}

/**
 * Creates a thread: from a message (thread id = message id), without one
 * (type 18 system message in a text parent), or a forum post with its
 * starter message (thread id = starter message id).
 */
export function createThread(
  st: World,
  opts: ThreadInit,
): { thread: Channel; starter?: Message } {
  const parent = st.channelOrThrow(opts.parentId);
  if (parent.type !== ChannelType.GuildText && parent.type !== ChannelType.GuildForum) {
    throw new DiscordHttpError(
      400,
      RESTJSONErrorCodes.CannotExecuteActionOnThisChannelType,
      "Cannot execute action on this channel type",
    );
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
  if (parent.type === ChannelType.GuildForum && !opts.starter) {
    throw errors.invalidFormBody({
      message: { _errors: [{ code: "BASE_TYPE_REQUIRED", message: "This field is required" }] },
    });
  }
  let id: string;
  if (opts.messageId) {
    const msg = st.messageOrThrow(opts.parentId, opts.messageId);
    if ([...st.channels.values()].some((c) => c.id === msg.id)) {
      throw new DiscordHttpError(
        400,
        RESTJSONErrorCodes.ThreadAlreadyCreatedForMessage,
        "A thread has already been created for this message",
      );
    }
    id = msg.id;
  } else id = st.snowflake();
  const iso = new Date(st.now()).toISOString();
  const thread: Channel = {
    id,
    type: opts.type ?? ChannelType.PublicThread,
    guild_id: st.guildId,
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
  if (parent.type === ChannelType.GuildForum) thread.applied_tags = opts.appliedTags ?? [];
  st.channels.set(id, thread);
  st.dispatch(
    "THREAD_CREATE",
    { ...thread, newly_created: true },
    { intent: GatewayIntentBits.Guilds },
  );
  let starter: Message | undefined;
  if (opts.messageId) {
    const msg = st.findMessage(opts.messageId)!;
    msg.thread = thread;
  } else if (parent.type === ChannelType.GuildText) {
    st.createMessage({
      channelId: parent.id,
      author: st.userOrThrow(opts.ownerId),
      content: opts.name,
      type: MessageType.ThreadCreated,
      messageReference: { channel_id: id, guild_id: st.guildId },
    });
  }
  if (opts.starter) starter = st.createMessage({ ...opts.starter, channelId: id, id });
  return { thread, starter };
}

/** The fields of `PATCH /channels/{channel_id}` this server applies. */
export interface ChannelPatch {
  name?: string;
  topic?: string | null;
  nsfw?: boolean;
  rate_limit_per_user?: number;
  archived?: boolean;
  locked?: boolean;
  auto_archive_duration?: number;
  applied_tags?: string[];
}

/**
 * Updates a channel or thread (name, topic, archiving, locking…) and dispatches
 * CHANNEL_UPDATE or THREAD_UPDATE, as `PATCH /channels/{channel_id}` does.
 */
export function updateChannel(st: World, id: string, patch: ChannelPatch): Channel {
  const channel = st.channelOrThrow(id);
  const thread = isThread(channel);
  if (patch.name !== undefined) channel.name = patch.name;
  if (patch.rate_limit_per_user !== undefined) {
    channel.rate_limit_per_user = patch.rate_limit_per_user;
  }
  if (thread) {
    const meta = channel.thread_metadata!;
    if (patch.auto_archive_duration !== undefined) {
      meta.auto_archive_duration = patch.auto_archive_duration;
    }
    if (patch.locked !== undefined) meta.locked = patch.locked;
    if (patch.archived !== undefined && patch.archived !== meta.archived) {
      meta.archived = patch.archived;
      meta.archive_timestamp = new Date(st.now()).toISOString();
    }
    if (patch.applied_tags !== undefined) channel.applied_tags = patch.applied_tags;
  } else {
    if (patch.topic !== undefined) channel.topic = patch.topic;
    if (patch.nsfw !== undefined) channel.nsfw = patch.nsfw;
  }
  st.dispatch(thread ? "THREAD_UPDATE" : "CHANNEL_UPDATE", { ...channel }, {
    intent: GatewayIntentBits.Guilds,
  });
  return channel;
}

/** Whether a channel is a thread. */
export function isThread(c: Channel): boolean {
  return c.type === ChannelType.PublicThread || c.type === ChannelType.PrivateThread ||
    c.type === ChannelType.AnnouncementThread;
}

/**
 * Makes an archived thread take a new message, as Discord does: a message unarchives it,
 * unless it is locked (160005).
 */
export function reopenForMessage(st: World, c: Channel): void {
  const meta = c.thread_metadata;
  if (!meta?.archived) return;
  if (meta.locked) {
    throw new DiscordHttpError(400, RESTJSONErrorCodes.ThreadLocked, "Thread is locked");
  }
  updateChannel(st, c.id, { archived: false });
}
