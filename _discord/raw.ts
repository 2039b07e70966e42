// Private: the Discord JSON shapes (snake_case, as sent) this package reads.
import { ThreadChannelType } from "./numbers.ts";

/** A user as Discord sends it. */
export interface RawUser {
  /** User id. */
  id: string;
  /** Unique username. */
  username: string;
  /** Display name. */
  global_name?: string | null;
  /** A bot account. */
  bot?: boolean;
  /** Discord's system user. */
  system?: boolean;
}

/** An attachment as Discord sends it. */
export interface RawAttachment {
  /** Attachment id. */
  id: string;
  /** File name. */
  filename: string;
  /** Size in bytes. */
  size: number;
  /** CDN URL. */
  url: string;
  /** MIME type. */
  content_type?: string;
  /** A voice message's length in seconds. */
  duration_secs?: number;
}

/** A message as Discord sends it (gateway MESSAGE_CREATE or REST). */
export interface RawMessage {
  /** Message id. */
  id: string;
  /** Channel or thread id. */
  channel_id: string;
  /** Guild id (gateway only). */
  guild_id?: string;
  /** Message type (`MessageType`): default and reply are a person's; others are system messages. */
  type: number;
  /** Author (the webhook for webhook messages). */
  author: RawUser;
  /** Text ("" without the message content intent). */
  content: string;
  /** ISO time. */
  timestamp: string;
  /** ISO time of the last edit. */
  edited_timestamp?: string | null;
  /** Files. */
  attachments?: RawAttachment[];
  /** Message flags (`IS_VOICE_MESSAGE` = 1 << 13, …). */
  flags?: number;
  /** Embeds. */
  embeds?: unknown[];
  /** Stickers. */
  sticker_items?: unknown[];
  /** Reply / forward / thread-starter pointer. */
  message_reference?: { type?: number; message_id?: string; channel_id?: string };
  /** Set when a webhook posted it. */
  webhook_id?: string;
  /** The message a reply answers (one level deep; `null` when it was deleted). */
  referenced_message?: RawMessage | null;
  /** A poll, when the message is one. */
  poll?: unknown;
}

/** A channel or thread as Discord sends it. */
export interface RawChannel {
  /** Channel id. */
  id: string;
  /** 0 text, 5 announcement, 10/11/12 threads, 15 forum, 16 media. */
  type: number;
  /** Guild id. */
  guild_id?: string;
  /** Parent channel (for threads). */
  parent_id?: string | null;
  /** Name. */
  name?: string;
  /** Who created it (threads). */
  owner_id?: string;
  /** Thread state (threads). */
  thread_metadata?: { archived?: boolean };
}

/** An interaction as Discord sends it (INTERACTION_CREATE). */
export interface RawInteraction {
  /** Interaction id. */
  id: string;
  /** 2 command, 3 component, 4 autocomplete, 5 modal submit. */
  type: number;
  /** Token for the callback (secret for 15 minutes). */
  token: string;
  /** Channel. */
  channel_id?: string;
  /** Guild. */
  guild_id?: string;
  /** The application the interaction is for (follow-ups go to its webhook). */
  application_id?: string;
  /** Component data (`custom_id`), or a command's (`name`, `options`). */
  data?: {
    custom_id?: string;
    component_type?: number;
    /** The command's name (commands and autocomplete). */
    name?: string;
    /** The command's options as the user gave them (autocomplete: `focused` on the one typed). */
    options?: RawCommandOption[];
  };
  /** The clicking member (in guilds). */
  member?: { user?: RawUser; nick?: string | null };
  /** The clicking user (in DMs). */
  user?: RawUser;
  /** The message whose component was used. */
  message?: { id: string; channel_id?: string; author?: RawUser };
  /** The largest file the app may upload where the interaction happened, in bytes. */
  attachment_size_limit?: number;
}

/** A slash command's option as Discord sends it in an interaction. */
export interface RawCommandOption {
  /** Option name. */
  name: string;
  /** Option type (`ApplicationCommandOptionType`). */
  type: number;
  /** Its value (for autocomplete: what is typed so far). */
  value?: string | number | boolean;
  /** Set on the option being typed (autocomplete). */
  focused?: boolean;
  /** A sub-command's options. */
  options?: RawCommandOption[];
}

/** A reaction as Discord sends it (MESSAGE_REACTION_ADD). */
export interface RawReaction {
  /** Who reacted. */
  user_id: string;
  /** Channel or thread. */
  channel_id: string;
  /** The message reacted to. */
  message_id: string;
  /** Guild. */
  guild_id?: string;
  /** The reacting member. */
  member?: { user?: RawUser; nick?: string | null };
  /** The emoji. */
  emoji: { id: string | null; name: string | null };
}

/** `GET /gateway/bot`: where to connect, and the token's IDENTIFY budget. */
export interface RawGatewayBot {
  /** The gateway URL to IDENTIFY at (`wss://gateway.discord.gg`). */
  url: string;
  /** Recommended number of shards. */
  shards: number;
  /** The IDENTIFYs this token may still send (per 24 h, shared by every connection). */
  session_start_limit: {
    /** The limit per reset period (1,000). */
    total: number;
    /** How many are left now. */
    remaining: number;
    /** Milliseconds until `remaining` is back at `total`. */
    reset_after: number;
    /** IDENTIFYs allowed per 5 s. */
    max_concurrency: number;
  };
}

/** Channel types that are threads. */
export const THREAD_TYPES: ReadonlySet<number> = new Set(Object.values(ThreadChannelType));
