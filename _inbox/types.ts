// Private: the event types of the mailboxes, shared by inbox.ts (which exports them) and its
// file-level helpers (io.ts), so neither imports the other for them.

/**
 * A file attached to a Discord message. The bridge downloads the attachments of accepted
 * messages before it writes the event (ARCHITECTURE.md, Attachments): then `path` names the
 * stored file, or `error` says why it was not stored. Events written before that carry only
 * the CDN `url`.
 */
export interface InboxAttachment {
  /** Discord attachment id. */
  id: string;
  /** File name as uploaded. */
  filename: string;
  /** Size in bytes. */
  size: number;
  /** MIME type, when Discord gives one (the uploader's client states it). */
  contentType?: string;
  /** CDN URL (signed; it expires). */
  url: string;
  /** Where the bridge stored the file: `$CLAUDE_DISCORD_HOME/attachments/<message id>/<name>`. */
  path?: string;
  /** The type the file's bytes show (magic bytes; `text/plain` for UTF-8 text). */
  detectedType?: string;
  /** The beginning of a text file (at most the configured inline size), to show inline. */
  text?: string;
  /** Why the file was not stored (too large, download failed): one sentence. */
  error?: string;
  /** Set on the audio of a voice message. */
  voice?: boolean;
  /** A voice message's length in seconds. */
  durationSecs?: number;
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
  /** The name of the channel or thread, when the bridge knew it. */
  channelName?: string;
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
