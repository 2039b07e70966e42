// Messages of the local Discord: create (with replies and mentions as Discord computes
// them), edit, delete, and list with Discord's cursor semantics. DiscordState delegates here.
import {
  ChannelType,
  GatewayIntentBits,
  MessageReferenceType,
  MessageType,
  RESTJSONErrorCodes,
} from "discord-api-types/v10";
import { snowflakeTime } from "./_snowflake.ts";
import { DiscordHttpError, errors } from "./_errors.ts";
import type { Message, MessageReference, User } from "./_types.ts";
import type { NewMessage, World } from "./_state_types.ts";
import { numberComponents } from "./_messages.ts";
import { reopenForMessage } from "./_threads.ts";

/** Creates, stores and dispatches a message. */
export function createMessage(st: World, m: NewMessage): Message {
  const channel = st.channelOrThrow(m.channelId);
  if (channel.type === ChannelType.GuildForum) {
    throw new DiscordHttpError(
      400,
      RESTJSONErrorCodes.CannotSendMessagesInNonTextChannel,
      "Cannot send messages in a non-text channel",
    );
  }
  reopenForMessage(st, channel);
  const id = m.id ?? st.snowflake();
  // As on Discord, the timestamp is the snowflake's time.
  const iso = new Date(snowflakeTime(id)).toISOString();
  let referenced: Message | null | undefined;
  let type = m.type ?? MessageType.Default;
  let reference: MessageReference | undefined;
  if (m.messageReference?.message_id) {
    const refChannel = m.messageReference.channel_id ?? m.channelId;
    referenced = st.messagesByChannel.get(refChannel)?.find((x) =>
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
        type: MessageReferenceType.Default,
        message_id: referenced.id,
        channel_id: refChannel,
        guild_id: st.guildId,
      };
      if (m.type === undefined) {
        type = MessageType.Reply;
      }
    }
  }
  const mentions = mentionsOf(st, m.content ?? "", m.allowedMentions);
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
    components: numberComponents(m.components ?? []),
    pinned: false,
    flags: m.flags ?? 0,
  };
  if (m.webhookId) msg.webhook_id = m.webhookId;
  if (m.applicationId) msg.application_id = m.applicationId;
  if (m.interactionMetadata) msg.interaction_metadata = m.interactionMetadata;
  if (reference) {
    msg.message_reference = reference;
    // The referenced message comes without its own reference's message (one level, as on
    // Discord) and without its reactions (Discord's BasicMessageResponse has none).
    const { referenced_message: _nested, reactions: _reactions, ...basic } = referenced ??
      { referenced_message: null, reactions: undefined };
    msg.referenced_message = referenced ? basic as Message : null;
  }
  if (channel.type === ChannelType.PublicThread || channel.type === ChannelType.PrivateThread) {
    msg.position = channel.total_message_sent ?? 0;
    channel.message_count = (channel.message_count ?? 0) + 1;
    channel.total_message_sent = (channel.total_message_sent ?? 0) + 1;
  }
  const list = st.messagesByChannel.get(m.channelId) ?? [];
  list.push(msg);
  st.messagesByChannel.set(m.channelId, list);
  st.messageChannel.set(msg.id, m.channelId);
  channel.last_message_id = msg.id;
  st.dispatch(
    "MESSAGE_CREATE",
    {
      ...msg,
      ...(m.nonce === undefined ? {} : { nonce: m.nonce }),
      guild_id: st.guildId,
      member: m.webhookId ? undefined : st.member(m.author),
    },
    { intent: GatewayIntentBits.GuildMessages, message: msg },
  );
  return msg;
}

/** The users a message mentions, as Discord computes them (allowed mentions applied). */
function mentionsOf(
  st: World,
  content: string,
  allowed?: { parse?: string[]; users?: string[] },
): User[] {
  const out: User[] = [];
  for (const match of content.matchAll(/<@!?(\d{17,20})>/g)) {
    const u = st.users.get(match[1]);
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
export function editMessage(
  st: World,
  channelId: string,
  messageId: string,
  patch: {
    content?: string;
    embeds?: Record<string, unknown>[];
    components?: Record<string, unknown>[];
    flags?: number;
  },
): Message {
  const msg = st.messageOrThrow(channelId, messageId);
  if (patch.content !== undefined) {
    msg.content = patch.content;
    msg.mentions = mentionsOf(st, patch.content);
  }
  if (patch.embeds !== undefined) msg.embeds = patch.embeds;
  if (patch.components !== undefined) msg.components = numberComponents(patch.components);
  if (patch.flags !== undefined) msg.flags = patch.flags;
  msg.edited_timestamp = new Date(st.now()).toISOString();
  st.dispatch(
    "MESSAGE_UPDATE",
    { ...msg, guild_id: st.guildId },
    { intent: GatewayIntentBits.GuildMessages, message: msg },
  );
  return msg;
}

/** Deletes a message and dispatches MESSAGE_DELETE. */
export function deleteMessage(st: World, channelId: string, messageId: string): void {
  st.messageOrThrow(channelId, messageId);
  const list = st.messagesByChannel.get(channelId)!;
  list.splice(list.findIndex((x) => x.id === messageId), 1);
  st.messageChannel.delete(messageId);
  st.reactionUsers.delete(messageId);
  const channel = st.channels.get(channelId)!;
  if (channel.message_count !== undefined) channel.message_count--;
  st.dispatch(
    "MESSAGE_DELETE",
    { id: messageId, channel_id: channelId, guild_id: st.guildId },
    { intent: GatewayIntentBits.GuildMessages },
  );
}

/** Messages of a channel, newest first, with Discord's cursor semantics. */
export function listMessages(
  st: World,
  channelId: string,
  q: { before?: string; after?: string; around?: string; limit: number },
): Message[] {
  st.channelOrThrow(channelId);
  const asc = st.messagesByChannel.get(channelId) ?? [];
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
