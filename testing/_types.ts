// The Discord JSON shapes this server keeps and sends (snake_case, as on the wire).

/** A Discord user (or bot, or webhook author). */
export interface User {
  /** Discord's `id`. */
  id: string;
  /** Discord's `username`. */
  username: string;
  /** Discord's `discriminator`. */
  discriminator: string;
  /** Discord's `global_name`. */
  global_name: string | null;
  /** Discord's `avatar`. */
  avatar: string | null;
  /** Discord's `bot`. */
  bot?: boolean;
  /** Discord's `public_flags`. */
  public_flags: number;
  /** Discord's `flags`. */
  flags: number;
  /** Discord's `primary_guild` (the guild tag a user shows; none here). */
  primary_guild: null;
}

/** An attachment of a message. */
export interface Attachment {
  /** Discord's `id`. */
  id: string;
  /** Discord's `filename`. */
  filename: string;
  /** Discord's `size`. */
  size: number;
  /** Discord's `url`. */
  url: string;
  /** Discord's `proxy_url`. */
  proxy_url: string;
  /** Discord's `content_type`. */
  content_type?: string;
  /** Discord's `duration_secs` (voice messages). */
  duration_secs?: number;
  /** Discord's `waveform` (voice messages). */
  waveform?: string;
  /** Discord's `flags`. */
  flags?: number;
}

/** A reaction summary on a message. */
export interface Reaction {
  /** Discord's `count`. */
  count: number;
  /** Discord's `count_details`. */
  count_details: { burst: number; normal: number };
  /** Discord's `me`. */
  me: boolean;
  /** Discord's `me_burst`. */
  me_burst: boolean;
  /** Discord's `burst_colors`. */
  burst_colors: string[];
  /** Discord's `emoji`. */
  emoji: { id: string | null; name: string };
}

/** A message reference (reply or thread-created pointer). */
export interface MessageReference {
  /** Discord's `type`. */
  type?: number;
  /** Discord's `message_id`. */
  message_id?: string;
  /** Discord's `channel_id`. */
  channel_id?: string;
  /** Discord's `guild_id`. */
  guild_id?: string;
  /** Discord's `fail_if_not_exists`. */
  fail_if_not_exists?: boolean;
}

/** A message as Discord returns it. */
export interface Message {
  /** Discord's `id`. */
  id: string;
  /** Discord's `type`. */
  type: number;
  /** Discord's `channel_id`. */
  channel_id: string;
  /** Discord's `author`. */
  author: User;
  /** Discord's `content`. */
  content: string;
  /** Discord's `timestamp`. */
  timestamp: string;
  /** Discord's `edited_timestamp`. */
  edited_timestamp: string | null;
  /** Discord's `tts`. */
  tts: boolean;
  /** Discord's `mention_everyone`. */
  mention_everyone: boolean;
  /** Discord's `mentions`. */
  mentions: User[];
  /** Discord's `mention_roles`. */
  mention_roles: string[];
  /** Discord's `attachments`. */
  attachments: Attachment[];
  /** Discord's `embeds`. */
  embeds: Record<string, unknown>[];
  /** Discord's `components`. */
  components: Record<string, unknown>[];
  /** Discord's `reactions`. */
  reactions?: Reaction[];
  /** Discord's `pinned`. */
  pinned: boolean;
  /** Discord's `flags`. */
  flags: number;
  /** Discord's `webhook_id`. */
  webhook_id?: string;
  /** Discord's `application_id`. */
  application_id?: string;
  /** Discord's `message_reference`. */
  message_reference?: MessageReference;
  /** Discord's `referenced_message`. */
  referenced_message?: Message | null;
  /** Discord's `position`. */
  position?: number;
  /** Discord's `thread`. */
  thread?: Channel;
  /** Discord's `interaction_metadata`. */
  interaction_metadata?: Record<string, unknown>;
}

/** Thread metadata. */
export interface ThreadMetadata {
  /** Discord's `archived`. */
  archived: boolean;
  /** Discord's `auto_archive_duration`. */
  auto_archive_duration: number;
  /** Discord's `archive_timestamp`. */
  archive_timestamp: string;
  /** Discord's `locked`. */
  locked: boolean;
  /** Discord's `create_timestamp`. */
  create_timestamp: string;
  /** Discord's `invitable`. */
  invitable?: boolean;
}

/** A guild channel or thread. Type 0 text, 15 forum, 11 public thread, 12 private thread. */
export interface Channel {
  /** Discord's `id`. */
  id: string;
  /** Discord's `type`. */
  type: number;
  /** Discord's `guild_id`. */
  guild_id: string;
  /** Discord's `name`. */
  name: string;
  /** Discord's `position`. */
  position?: number;
  /** Discord's `parent_id`. */
  parent_id: string | null;
  /** Discord's `permission_overwrites`. */
  permission_overwrites?: unknown[];
  /** Discord's `topic`. */
  topic?: string | null;
  /** Discord's `nsfw`. */
  nsfw?: boolean;
  /** Discord's `last_message_id`. */
  last_message_id: string | null;
  /** Discord's `rate_limit_per_user`. */
  rate_limit_per_user: number;
  /** Discord's `flags`. */
  flags: number;
  /** Discord's `owner_id`. */
  owner_id?: string;
  /** Discord's `message_count`. */
  message_count?: number;
  /** Discord's `member_count`. */
  member_count?: number;
  /** Discord's `total_message_sent`. */
  total_message_sent?: number;
  /** Discord's `thread_metadata`. */
  thread_metadata?: ThreadMetadata;
  /** Discord's `available_tags`. */
  available_tags?: unknown[];
  /** Discord's `applied_tags`. */
  applied_tags?: string[];
  /** Discord's `default_reaction_emoji`. */
  default_reaction_emoji?: unknown;
  /** Discord's `default_sort_order`. */
  default_sort_order?: number | null;
  /** Discord's `default_forum_layout`. */
  default_forum_layout?: number;
  /** Discord's `default_thread_rate_limit_per_user`. */
  default_thread_rate_limit_per_user?: number;
  /** Discord's `newly_created`. */
  newly_created?: boolean;
  /** Discord's `member`. */
  member?: Record<string, unknown>;
}

/** An incoming webhook. */
export interface Webhook {
  /** Discord's `id`. */
  id: string;
  /** Discord's `type`. */
  type: number;
  /** Discord's `guild_id`. */
  guild_id: string;
  /** Discord's `channel_id`. */
  channel_id: string;
  /** Discord's `name`. */
  name: string;
  /** Discord's `avatar`. */
  avatar: string | null;
  /** Discord's `token`. */
  token: string;
  /** Discord's `application_id`. */
  application_id: string | null;
  /** Discord's `user`. */
  user?: User;
  /** Discord's `url`. */
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
