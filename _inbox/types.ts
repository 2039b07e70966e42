// Private: the event types of the mailboxes, shared by inbox.ts (which exports them) and its
// file-level helpers (io.ts), so neither imports the other for them.

/** A file attached to a Discord message. */
export interface InboxAttachment {
  /** Discord attachment id. */
  id: string;
  /** File name as uploaded. */
  filename: string;
  /** Size in bytes. */
  size: number;
  /** MIME type, when Discord gives one. */
  contentType?: string;
  /** CDN URL. */
  url: string;
}

/** One Discord event addressed to a session: a message, a button click or a reaction. */
export interface InboxEvent {
  /** De-dup key: the message id; the interaction id for buttons; `r:<messageId>:<userId>:<emoji>` for reactions. */
  id: string;
  /** What happened. */
  kind: "message" | "button" | "reaction";
  /** Where it happened (the thread id when in a thread). */
  channelId: string;
  /** Set when `channelId` is a thread. */
  threadId?: string;
  /** Parent channel of that thread. */
  parentId?: string;
  /** Guild (server) id. */
  guildId?: string;
  /** Who did it. */
  author: { id: string; name: string };
  /** Message text ("" for buttons and reactions). */
  content: string;
  /** ISO 8601 time of the event. */
  timestamp: string;
  /** ISO 8601 time of the last edit. */
  editedTimestamp?: string;
  /** Attached files. */
  attachments: InboxAttachment[];
  /** The message this one replies to. */
  replyTo?: { messageId: string; channelId?: string };
  /** Button `custom_id`. */
  customId?: string;
  /** Reaction emoji. */
  emoji?: string;
  /** The message a button or reaction belongs to. */
  targetMessageId?: string;
}
