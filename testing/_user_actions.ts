// What a person does in the local Discord (post, open a thread), as the server's public
// methods, the control API and the sandbox page do it.
import { ChannelType } from "discord-api-types/v10";
import { errors } from "./_errors.ts";
import type { DiscordState } from "./_state.ts";
import type { PostAsUser } from "./_server_types.ts";
import type { Channel, Message, MessageReference } from "./_types.ts";
import { webhookUser } from "./_webhooks.ts";

/** Posts a message as a user (or webhook): dispatched to connected bots, kept in history. */
export function postAsUser(st: DiscordState, p: PostAsUser): Message {
  let author = st.userOrThrow(p.userId);
  if (p.webhookId) {
    const hook = st.webhooks.get(p.webhookId);
    if (!hook) throw errors.unknownWebhook();
    author = webhookUser(hook);
  }
  const attachments = (p.attachments ?? []).map((a) => st.attachment(p.channelId, a));
  const ref: MessageReference | undefined = p.messageReference
    ? { message_id: p.messageReference.message_id }
    : undefined;
  return st.createMessage({
    channelId: p.channelId,
    author,
    content: p.content,
    attachments,
    messageReference: ref,
    webhookId: p.webhookId,
    flags: p.flags,
  });
}

/** What {@linkcode createThreadAsUser} takes. */
export interface ThreadAsUser {
  /** The channel (text or forum). */
  parentId: string;
  /** The thread's name. */
  name: string;
  /** The message to start it from (text channels). */
  messageId?: string;
  /** Who opens it (default: the owner). */
  userId?: string;
  /** A forum post's first message (default: the name). */
  content?: string;
}

/** Creates a thread as a user (from a message, or a forum post / bare thread). */
export function createThreadAsUser(st: DiscordState, o: ThreadAsUser): Channel {
  const owner = st.userOrThrow(o.userId ?? st.owner.id);
  const parent = st.channelOrThrow(o.parentId);
  const starter = parent.type === ChannelType.GuildForum
    ? { author: owner, content: o.content ?? o.name }
    : undefined;
  return st.createThread({
    parentId: o.parentId,
    name: o.name,
    ownerId: owner.id,
    messageId: o.messageId,
    starter,
  }).thread;
}
