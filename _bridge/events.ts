// Private: turns Discord payloads into inbox events, and decides which messages are dropped.
import type { InboxAttachment, InboxEvent } from "../inbox.ts";
import type { RawInteraction, RawMessage, RawReaction, RawUser } from "../_discord/raw.ts";
import { timeOfSnowflake } from "../_discord/snowflake.ts";
import { IS_VOICE_MESSAGE, MessageReferenceType, MessageType } from "../_discord/numbers.ts";
import type { RoutableEvent, ThreadOrigin } from "../routing.ts";

/**
 * Why a message was not delivered. `elsewhere`: it is for a session this machine does not have
 * (another machine's thread, name or post; routing.ts).
 */
export type DropReason = "bot" | "webhook" | "system" | "not-allowed" | "empty" | "elsewhere";

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
  if (ref?.message_id && isReply(m)) {
    event.replyTo = {
      messageId: ref.message_id,
      ...(ref.channel_id ? { channelId: ref.channel_id } : {}),
    };
  }
  return event;
}

/**
 * Who posts for the sessions of every machine: the bot, and the STATUS webhook (`notify.ts`
 * used directly posts through it).
 *
 * @param botId The bot's user id.
 * @param webhookUrl The STATUS webhook.
 * @returns Their ids (a message's `author.id`, a thread's `owner_id`).
 */
export function ownAuthors(
  botId: string | undefined,
  webhookUrl: string | undefined,
): ReadonlySet<string> {
  const ids = new Set<string>();
  if (botId !== undefined) ids.add(botId);
  const hook = webhookUrl?.match(/\/webhooks\/([0-9]+)\//)?.[1];
  if (hook !== undefined) ids.add(hook);
  return ids;
}

/**
 * What every bridge can tell about a message, for routing it among machines: who made its thread
 * (`threadOrigin`: a thread whose origin could not be learnt counts as the bot's, so that it is
 * never taken for everybody's) and whether it replies to a message of the bot (or its webhook).
 *
 * @param m The message.
 * @param place Where it is.
 * @param threadOrigin Who made its thread, when known.
 * @param ours The bot's and its webhook's ids ({@linkcode ownAuthors}).
 * @returns The facts to route it with.
 */
export function routingFacts(
  m: RawMessage,
  place: Place,
  threadOrigin: ThreadOrigin | undefined,
  ours: ReadonlySet<string>,
): Pick<RoutableEvent, "threadOrigin" | "replyToBot"> {
  const facts: Pick<RoutableEvent, "threadOrigin" | "replyToBot"> = {};
  if (place.threadId !== undefined) facts.threadOrigin = threadOrigin ?? "bot";
  if (repliedOwnPost(m, ours) !== undefined) facts.replyToBot = true;
  return facts;
}

/**
 * How long after Discord accepted a post its machine may take to record it in its posts index
 * (the REST answer, then one `fsync`ed line): an event about a post of the bot this young that is
 * not in this machine's index yet is looked at again until the post is this old.
 */
export const RECORD_GRACE_MS = 1500;

/**
 * Whether a post of the bot may still be about to enter its machine's posts index: its id's time
 * is less than {@linkcode RECORD_GRACE_MS} ago (a clock behind Discord's counts as young; the
 * caller bounds its wait by its own clock too).
 *
 * @param messageId The post.
 * @param now Clock (ms).
 * @returns Whether it is that young.
 */
export function youngPost(messageId: string, now: number): boolean {
  return now - timeOfSnowflake(messageId) < RECORD_GRACE_MS;
}

/**
 * The message a reply answers, when the bot or its webhook posted it.
 *
 * @param m The message.
 * @param ours The bot's and its webhook's ids ({@linkcode ownAuthors}).
 * @returns The answered message's id, or `undefined`.
 */
export function repliedOwnPost(m: RawMessage, ours: ReadonlySet<string>): string | undefined {
  const author = m.referenced_message?.author?.id;
  return isReply(m) && author !== undefined && ours.has(author)
    ? m.message_reference!.message_id
    : undefined;
}

/** A default reference (or one without a type) is a reply; a forward addresses no one. */
function isReply(m: RawMessage): boolean {
  const ref = m.message_reference;
  return !!ref?.message_id && m.type === MessageType.Reply &&
    (ref.type === undefined || ref.type === MessageReferenceType.Default);
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
