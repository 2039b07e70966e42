// The Discord JSON shapes this server keeps and sends (snake_case, as on the wire).

/** A Discord user (or bot, or webhook author). */
export interface User {
  id: string;
  username: string;
  discriminator: string;
  global_name: string | null;
  avatar: string | null;
  bot?: boolean;
  public_flags: number;
}

/** An attachment of a message. */
export interface Attachment {
  id: string;
  filename: string;
  size: number;
  url: string;
  proxy_url: string;
  content_type?: string;
}

/** A reaction summary on a message. */
export interface Reaction {
  count: number;
  count_details: { burst: number; normal: number };
  me: boolean;
  me_burst: boolean;
  burst_colors: string[];
  emoji: { id: string | null; name: string };
}

/** A message reference (reply or thread-created pointer). */
export interface MessageReference {
  type?: number;
  message_id?: string;
  channel_id?: string;
  guild_id?: string;
  fail_if_not_exists?: boolean;
}

/** A message as Discord returns it. */
export interface Message {
  id: string;
  type: number;
  channel_id: string;
  author: User;
  content: string;
  timestamp: string;
  edited_timestamp: string | null;
  tts: boolean;
  mention_everyone: boolean;
  mentions: User[];
  mention_roles: string[];
  attachments: Attachment[];
  embeds: Record<string, unknown>[];
  components: Record<string, unknown>[];
  reactions?: Reaction[];
  pinned: boolean;
  flags: number;
  webhook_id?: string;
  application_id?: string;
  message_reference?: MessageReference;
  referenced_message?: Message | null;
  position?: number;
  thread?: Channel;
  interaction_metadata?: Record<string, unknown>;
}

/** Thread metadata. */
export interface ThreadMetadata {
  archived: boolean;
  auto_archive_duration: number;
  archive_timestamp: string;
  locked: boolean;
  create_timestamp: string;
  invitable?: boolean;
}

/** A guild channel or thread. Type 0 text, 15 forum, 11 public thread, 12 private thread. */
export interface Channel {
  id: string;
  type: number;
  guild_id: string;
  name: string;
  position?: number;
  parent_id: string | null;
  permission_overwrites?: unknown[];
  topic?: string | null;
  nsfw?: boolean;
  last_message_id: string | null;
  rate_limit_per_user: number;
  flags: number;
  owner_id?: string;
  message_count?: number;
  member_count?: number;
  total_message_sent?: number;
  thread_metadata?: ThreadMetadata;
  available_tags?: unknown[];
  applied_tags?: string[];
  default_reaction_emoji?: unknown;
  default_sort_order?: number | null;
  default_forum_layout?: number;
  default_thread_rate_limit_per_user?: number;
  newly_created?: boolean;
  member?: Record<string, unknown>;
}

/** An incoming webhook. */
export interface Webhook {
  id: string;
  type: number;
  guild_id: string;
  channel_id: string;
  name: string;
  avatar: string | null;
  token: string;
  application_id: string | null;
  user?: User;
  url: string;
}

/** A preset or created user, as the control API takes it. */
export interface UserInit {
  /** The user name. */
  username: string;
  /** Whether the user is a bot. */
  bot?: boolean;
  /** A fixed id (default: a fresh snowflake). */
  id?: string;
}
