// Application commands as Discord returns them: the shapes the local Discord keeps and answers
// (a leaf: only types).

/** One option of an application command, as Discord returns it. */
export interface CommandOption {
  /** Discord's `type` (1 sub-command … 11 attachment). */
  type: number;
  /** Discord's `name`. */
  name: string;
  /** Discord's `description`. */
  description: string;
  /** Discord's `required` (present only when true). */
  required?: boolean;
  /** Discord's `autocomplete`. */
  autocomplete?: boolean;
  /** Discord's `choices`. */
  choices?: { name: string; value: string | number }[];
  /** Discord's `options` (sub-commands and groups). */
  options?: CommandOption[];
  /** Discord's `channel_types`. */
  channel_types?: number[];
  /** Discord's `min_value`. */
  min_value?: number;
  /** Discord's `max_value`. */
  max_value?: number;
  /** Discord's `min_length`. */
  min_length?: number;
  /** Discord's `max_length`. */
  max_length?: number;
  /** Discord's `name_localizations`. */
  name_localizations?: Record<string, string>;
  /** Discord's `description_localizations`. */
  description_localizations?: Record<string, string>;
}

/** An application command, as Discord returns it. */
export interface ApplicationCommand {
  /** Discord's `id`. */
  id: string;
  /** Discord's `application_id`. */
  application_id: string;
  /** Discord's `version`: a new snowflake on every change. */
  version: string;
  /** Discord's `default_member_permissions`. */
  default_member_permissions: string | null;
  /** Discord's `type` (1 chat input, 2 user, 3 message). */
  type: number;
  /** Discord's `name`. */
  name: string;
  /** Discord's `description`. */
  description: string;
  /** Discord's `guild_id` (guild commands only). */
  guild_id?: string;
  /** Discord's `dm_permission` (global commands only). */
  dm_permission?: boolean;
  /** Discord's `contexts`. */
  contexts: number[] | null;
  /** Discord's `integration_types`. */
  integration_types: number[];
  /** Discord's `options`. */
  options?: CommandOption[];
  /** Discord's `nsfw`. */
  nsfw: boolean;
  /** Discord's `name_localizations`. */
  name_localizations?: Record<string, string>;
  /** Discord's `description_localizations`. */
  description_localizations?: Record<string, string>;
}
