// The state's shapes that its own modules share: how a gateway event is dispatched, a new
// message, and `World`, what the modules DiscordState delegates to (_message_store.ts,
// _threads.ts, _reactions.ts, _guild.ts, _access.ts) see of it. They take a `World`, not the
// class, so that none of them imports _state.ts: the state imports them. A leaf: only types.
import type { SnowflakeFactory } from "./_snowflake.ts";
import type { Attachment, Channel, Message, MessageReference, User } from "./_types.ts";

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

/** Input of `DiscordState.createMessage`. */
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
  /** The sender's `nonce`: echoed in the answer and MESSAGE_CREATE, not kept. */
  nonce?: string | number;
}

/**
 * The world as the state's own modules see it: its data, the lookups, and the few operations
 * they call back (a thread's starter message is a message; a reaction, a message and the guild
 * carry member objects). DiscordState is one.
 */
export interface World {
  /** The clock. */
  readonly now: () => number;
  /** Mints the next id. */
  readonly snowflake: SnowflakeFactory;
  /** The one guild. */
  readonly guildId: string;
  /** The bot user. */
  readonly bot: User;
  /** The application owner. */
  readonly owner: User;
  /** Guild members by id. */
  readonly users: Map<string, User>;
  /** Channels and threads by id. */
  readonly channels: Map<string, Channel>;
  /** Each channel's messages, oldest first. */
  readonly messagesByChannel: Map<string, Message[]>;
  /** The channel of each message. */
  readonly messageChannel: Map<string, string>;
  /** Per message, per emoji: the users who reacted. */
  readonly reactionUsers: Map<string, Map<string, Set<string>>>;
  /** Announces a change on the gateway. */
  readonly dispatch: DispatchSink;
  /** A channel or thread by id, or 10003. */
  channelOrThrow(id: string): Channel;
  /** A message by channel and id, or 10003/10008. */
  messageOrThrow(channelId: string, messageId: string): Message;
  /** A user by id, or 10013. */
  userOrThrow(id: string): User;
  /** Finds a message anywhere. */
  findMessage(messageId: string): Message | undefined;
  /** The guild member object of a user (without `user` unless asked). */
  member(user: User, withUser?: boolean): Record<string, unknown>;
  /** Active threads of the guild. */
  threads(): Channel[];
  /** Creates, stores and dispatches a message. */
  createMessage(m: NewMessage): Message;
}
