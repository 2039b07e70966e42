// Private: the guild's slash commands of claude-discord (`/sessions`, `/status`, `/stop`):
// their definitions, the registration the bridge runs at READY (a bulk overwrite, only when the
// guild's set differs, so a reconnecting bridge spends no rate limit on it) and the removal
// `setup --uninstall` runs. Other commands of the application are left as they are.
import { CHAT_INPUT, STRING_OPTION } from "./numbers.ts";
import type { DiscordRest } from "./rest.ts";

/** An option of a slash command, as this package defines it (Discord's JSON). */
export interface CommandOptionDefinition {
  /** Option type (`ApplicationCommandOptionType`). */
  type: number;
  /** Name (lower case). */
  name: string;
  /** What it is, shown in the client. */
  description: string;
  /** Whether the client requires it. */
  required?: boolean;
  /** Whether the client asks the bot for choices as the user types. */
  autocomplete?: boolean;
}

/** A slash command, as this package defines it (Discord's JSON). */
export interface CommandDefinition {
  /** Command type (`ApplicationCommandType`): chat input. */
  type: number;
  /** Name (lower case). */
  name: string;
  /** What it does, shown in the client. */
  description: string;
  /** Its options. */
  options?: CommandOptionDefinition[];
}

/** The name of the `/stop` option that names the session (its value: the session id). */
export const STOP_SESSION_OPTION = "session";

/** The slash commands the bridge registers in its guild. */
export const COMMANDS: readonly CommandDefinition[] = [
  {
    type: CHAT_INPUT,
    name: "sessions",
    description: "The live Claude Code sessions: name, machine, project, state, age, thread",
  },
  {
    type: CHAT_INPUT,
    name: "status",
    description: "The bridge's health: connected since, messages delivered and held, outbox",
  },
  {
    type: CHAT_INPUT,
    name: "stop",
    description: "Stop a Claude Code session: its next tool call is blocked and its turn ends",
    options: [{
      type: STRING_OPTION,
      name: STOP_SESSION_OPTION,
      description: "The session to stop",
      required: true,
      autocomplete: true,
    }],
  },
];

/** A command as Discord lists it (the fields compared; Discord adds ids and defaults). */
interface ListedCommand {
  id?: string;
  type?: number;
  name: string;
  description?: string;
  options?: Partial<CommandOptionDefinition>[];
  [key: string]: unknown;
}

/** The fields of a command that this package sets, in a comparable form. */
function shape(c: ListedCommand | CommandDefinition): string {
  return JSON.stringify({
    type: c.type ?? CHAT_INPUT,
    name: c.name,
    description: c.description ?? "",
    options: (c.options ?? []).map((o) => ({
      type: o.type,
      name: o.name,
      description: o.description ?? "",
      required: o.required ?? false,
      autocomplete: o.autocomplete ?? false,
    })),
  });
}

function route(applicationId: string, guildId: string): string {
  return `/applications/${applicationId}/guilds/${guildId}/commands`;
}

/** What {@linkcode syncGuildCommands} did. */
export type SyncOutcome = "unchanged" | "registered";

/**
 * Makes the guild's commands of this package what {@linkcode COMMANDS} says: lists them, and
 * only when they differ overwrites the guild's set with them plus the application's other guild
 * commands as they are (bulk overwrite keeps a command's id when its name stays).
 *
 * @param rest The bot's REST client.
 * @param applicationId The application (READY's `application.id`).
 * @param guildId The guild.
 * @param commands The wanted commands. Default {@linkcode COMMANDS}.
 * @returns `unchanged` (one GET) or `registered` (GET, then PUT).
 * @throws {DiscordApiError} When Discord refuses (e.g. the bot was invited without the
 * `applications.commands` scope: 50001).
 *
 * @example Registered once, then found current
 * ```ts
 * import assert from "node:assert/strict";
 * import { startDiscordServer } from "../testing/mod.ts";
 * import { DiscordRest } from "./rest.ts";
 * import { syncGuildCommands } from "./commands.ts";
 *
 * await using server = await startDiscordServer({ port: 0 });
 * const rest = new DiscordRest({ token: server.token, apiUrl: server.apiUrl });
 * const sync = () => syncGuildCommands(rest, server.applicationId, server.guildId);
 * assert.equal(await sync(), "registered");
 * assert.equal(await sync(), "unchanged");
 * assert.deepEqual(server.commands().map((c) => c.name).sort(), ["sessions", "status", "stop"]);
 * ```
 */
export async function syncGuildCommands(
  rest: DiscordRest,
  applicationId: string,
  guildId: string,
  commands: readonly CommandDefinition[] = COMMANDS,
): Promise<SyncOutcome> {
  const listed = await rest.request<ListedCommand[]>("GET", route(applicationId, guildId), {
    what: `list the slash commands of guild ${guildId}`,
  });
  const ours = new Set(commands.map((c) => c.name));
  const have = listed.filter((c) => ours.has(c.name)).map(shape).sort();
  const want = commands.map(shape).sort();
  if (have.length === want.length && have.every((s, i) => s === want[i])) return "unchanged";
  const others = listed.filter((c) => !ours.has(c.name)).map(strip);
  await rest.request("PUT", route(applicationId, guildId), {
    what: `register the slash commands of guild ${guildId}`,
    body: [...others, ...commands],
  });
  return "registered";
}

/**
 * Removes this package's commands from the guild (the application's other commands stay).
 *
 * @param rest The bot's REST client.
 * @param applicationId The application.
 * @param guildId The guild.
 * @param commands The commands to remove. Default {@linkcode COMMANDS}.
 * @returns How many were removed.
 * @throws {DiscordApiError} When Discord refuses.
 */
export async function removeGuildCommands(
  rest: DiscordRest,
  applicationId: string,
  guildId: string,
  commands: readonly CommandDefinition[] = COMMANDS,
): Promise<number> {
  const listed = await rest.request<ListedCommand[]>("GET", route(applicationId, guildId), {
    what: `list the slash commands of guild ${guildId}`,
  });
  const ours = new Set(commands.map((c) => c.name));
  const removed = listed.filter((c) => ours.has(c.name)).length;
  if (removed === 0) return 0;
  await rest.request("PUT", route(applicationId, guildId), {
    what: `remove the slash commands of guild ${guildId}`,
    body: listed.filter((c) => !ours.has(c.name)).map(strip),
  });
  return removed;
}

/** A listed command without the fields Discord sets (ids, version), to PUT it back unchanged. */
function strip(c: ListedCommand): Record<string, unknown> {
  const { id: _id, application_id: _app, guild_id: _guild, version: _version, ...rest } = c;
  return rest;
}
