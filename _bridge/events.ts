// Private: turns Discord payloads into inbox events, and decides which messages are dropped.
import type { InboxAttachment, InboxEvent } from "../inbox.ts";
import type { RawInteraction, RawMessage, RawReaction, RawUser } from "../_discord/raw.ts";
import { timeOfSnowflake } from "../_discord/snowflake.ts";
import { IS_VOICE_MESSAGE, MessageReferenceType, MessageType } from "../_discord/numbers.ts";

/** Why a message was not delivered. */
export type DropReason = "bot" | "webhook" | "system" | "not-allowed" | "empty";

/** Message types a person writes: default and reply. Everything else is a system message. */
const USER_MESSAGE_TYPES: ReadonlySet<number> = new Set([MessageType.Default, MessageType.Reply]);

/** Where an event happened, as far as the bridge knows. */
export interface Place {
  /** Set when the channel is a thread. */
  threadId?: string;
  /** The thread's parent channel. */
  parentId?: string;
  /** The channel's or thread's name, when known. */
  name?: string;
}

/**
 * Tells why a message must not be delivered, or `undefined` when it may be.
 * Bot and webhook messages never are (no loops); neither are system messages, messages
 * from users outside the allowlist, and messages with no content at all (what Discord
 * sends when the Message Content intent is missing).
 */
export function messageDropReason(
  m: RawMessage,
  allowed: ReadonlySet<string>,
): DropReason | undefined {
  if (m.webhook_id) return "webhook";
  if (m.author?.bot || m.author?.system) return "bot";
  if (!USER_MESSAGE_TYPES.has(m.type ?? MessageType.Default)) return "system";
  if (!m.author?.id || !allowed.has(m.author.id)) return "not-allowed";
  const empty = (m.content ?? "") === "" && !(m.attachments?.length) && !(m.embeds?.length) &&
    !(m.sticker_items?.length) && m.poll === undefined;
  if (empty) return "empty";
  return undefined;
}

/** The display name of a user: global name, else username, else the id. */
export function displayName(user: RawUser | undefined, fallbackId = ""): string {
  return user?.global_name || user?.username || fallbackId;
}

/** An accepted message as an inbox event. */
export function messageToEvent(m: RawMessage, place: Place): InboxEvent {
  const event: InboxEvent = {
    id: m.id,
    kind: "message",
    channelId: m.channel_id,
    author: { id: m.author.id, name: displayName(m.author, m.author.id) },
    content: m.content ?? "",
    timestamp: m.timestamp ?? new Date(timeOfSnowflake(m.id)).toISOString(),
    attachments: (m.attachments ?? []).map(attachment),
  };
  // A voice message is one audio attachment with its duration.
  if (((m.flags ?? 0) & IS_VOICE_MESSAGE) !== 0) {
    for (const a of event.attachments) {
      a.voice = true;
      const secs = m.attachments?.find((x) => x.id === a.id)?.duration_secs;
      if (secs !== undefined) a.durationSecs = secs;
    }
  }
  addPlace(event, place);
  if (m.guild_id) event.guildId = m.guild_id;
  if (m.edited_timestamp) event.editedTimestamp = m.edited_timestamp;
  const ref = m.message_reference;
  // A default reference (or one without a type) is a reply; a forward addresses no one.
  if (
    ref?.message_id && (ref.type === undefined || ref.type === MessageReferenceType.Default) &&
    m.type === MessageType.Reply
  ) {
    event.replyTo = {
      messageId: ref.message_id,
      ...(ref.channel_id ? { channelId: ref.channel_id } : {}),
    };
  }
  return event;
}

/** A button click as an inbox event (the interaction id is the de-dup key). */
export function interactionToEvent(i: RawInteraction, place: Place): InboxEvent {
  const user = i.member?.user ?? i.user;
  const event: InboxEvent = {
    id: i.id,
    kind: "button",
    channelId: i.channel_id ?? i.message?.channel_id ?? "",
    author: { id: user?.id ?? "", name: displayName(user, user?.id) },
    content: "",
    timestamp: new Date(timeOfSnowflake(i.id)).toISOString(),
    attachments: [],
  };
  addPlace(event, place);
  if (i.guild_id) event.guildId = i.guild_id;
  if (i.data?.custom_id !== undefined) event.customId = i.data.custom_id;
  if (i.message?.id) event.targetMessageId = i.message.id;
  return event;
}

/** A reaction as an inbox event (`r:<messageId>:<userId>:<emoji>` is the de-dup key). */
export function reactionToEvent(r: RawReaction, place: Place, now: number): InboxEvent {
  const emoji = emojiText(r.emoji);
  const event: InboxEvent = {
    id: `r:${r.message_id}:${r.user_id}:${emoji}`,
    kind: "reaction",
    channelId: r.channel_id,
    author: { id: r.user_id, name: displayName(r.member?.user, r.user_id) },
    content: "",
    timestamp: new Date(now).toISOString(),
    attachments: [],
    emoji,
    targetMessageId: r.message_id,
  };
  addPlace(event, place);
  if (r.guild_id) event.guildId = r.guild_id;
  return event;
}

/** A unicode emoji as itself; a custom one as `name:id`. */
export function emojiText(emoji: { id: string | null; name: string | null }): string {
  if (emoji.id) return `${emoji.name ?? "emoji"}:${emoji.id}`;
  return emoji.name ?? "?";
}

function addPlace(event: InboxEvent, place: Place): void {
  if (place.name) event.channelName = place.name;
  if (place.threadId) {
    event.threadId = place.threadId;
    if (place.parentId) event.parentId = place.parentId;
  }
}

function attachment(a: {
  id: string;
  filename: string;
  size: number;
  url: string;
  content_type?: string;
}): InboxAttachment {
  const out: InboxAttachment = { id: a.id, filename: a.filename, size: a.size, url: a.url };
  if (a.content_type) out.contentType = a.content_type;
  return out;
}
