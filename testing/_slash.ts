// A person runs a slash command (INTERACTION_CREATE type 2) or types into one of its
// autocomplete options (type 4): the options are checked and typed as the Discord client
// does before it sends them (required ones present, choices kept to, numbers and booleans
// read), users and channels resolved, sub-commands nested.
import { ApplicationCommandOptionType, RESTJSONErrorCodes } from "discord-api-types/v10";
import { DiscordHttpError } from "./_errors.ts";
import { type CommandOption, commandsOf } from "./_commands.ts";
import type { Interactions, OpenedInteraction } from "./_interactions.ts";
import type { DiscordState } from "./_state.ts";

/** A slash command as a person runs it; see {@linkcode DiscordServer.runCommand}. */
export interface RunCommand {
  /** The command's name (a guild command first, then a global one). */
  name: string;
  /** Who runs it (default: the owner). */
  userId?: string;
  /** Where (default: the text channel "chat"). */
  channelId?: string;
  /** Option values by name: strings, numbers, booleans; user and channel ids. */
  options?: Record<string, string | number | boolean>;
  /** The sub-command to run, when the command has sub-commands. */
  subcommand?: string;
  /** The sub-command group of {@linkcode RunCommand.subcommand}, when it is in one. */
  group?: string;
}

/** An autocomplete request: the option being typed and what is typed so far. */
export interface Autocomplete extends RunCommand {
  /** The option the person is typing (it must have `autocomplete: true`). */
  focused: string;
}

/** What the bot answered to an autocomplete. */
export interface AutocompleteResult {
  /** The interaction's id. */
  interactionId: string;
  /** Whether a callback (type 8) came within the deadline. */
  answered: boolean;
  /** The choices it offered ([] when none, or no answer). */
  choices: { name: string; value: string | number }[];
}

function invalid(message: string): DiscordHttpError {
  return new DiscordHttpError(400, RESTJSONErrorCodes.InvalidFormBodyOrContentType, message);
}

/** The option list a run addresses (inside the sub-command and group), and the wrapping. */
function leafOptions(cmd: { options?: CommandOption[] }, run: RunCommand) {
  let defs = cmd.options ?? [];
  const path: CommandOption[] = [];
  for (const [kind, name] of [["group", run.group], ["subcommand", run.subcommand]] as const) {
    const type = kind === "group"
      ? ApplicationCommandOptionType.SubcommandGroup
      : ApplicationCommandOptionType.Subcommand;
    const has = defs.some((o) => o.type === type);
    if (name === undefined) {
      if (has) throw invalid(`/${run.name} needs a ${kind}: one of ${names(defs, type)}`);
      continue;
    }
    const found = defs.find((o) => o.type === type && o.name === name);
    if (!found) throw invalid(`/${run.name} has no ${kind} "${name}"`);
    path.push(found);
    defs = found.options ?? [];
  }
  return { defs, path };
}

function names(defs: CommandOption[], type: number): string {
  return defs.filter((o) => o.type === type).map((o) => o.name).join(", ");
}

/** One option value, typed as its definition says (the client's checks). */
function typed(
  st: DiscordState,
  def: CommandOption,
  raw: string | number | boolean,
  resolved: Record<string, Record<string, unknown>>,
  partial: boolean,
): string | number | boolean {
  const T = ApplicationCommandOptionType;
  let value: string | number | boolean = raw;
  switch (def.type) {
    case T.String:
      value = String(raw);
      if (partial) return value;
      if (def.min_length !== undefined && value.length < def.min_length) {
        throw invalid(`${def.name}: at least ${def.min_length} characters`);
      }
      if (def.max_length !== undefined && value.length > def.max_length) {
        throw invalid(`${def.name}: at most ${def.max_length} characters`);
      }
      break;
    case T.Integer:
    case T.Number: {
      const n = Number(raw);
      if (partial) return Number.isFinite(n) ? n : String(raw);
      if (!Number.isFinite(n) || (def.type === T.Integer && !Number.isInteger(n))) {
        throw invalid(`${def.name}: not ${def.type === T.Integer ? "an integer" : "a number"}`);
      }
      if (def.min_value !== undefined && n < def.min_value) {
        throw invalid(`${def.name}: at least ${def.min_value}`);
      }
      if (def.max_value !== undefined && n > def.max_value) {
        throw invalid(`${def.name}: at most ${def.max_value}`);
      }
      value = n;
      break;
    }
    case T.Boolean:
      if (raw !== true && raw !== false && raw !== "true" && raw !== "false") {
        throw invalid(`${def.name}: true or false`);
      }
      value = raw === true || raw === "true";
      break;
    case T.User: {
      const user = st.userOrThrow(String(raw));
      (resolved.users ??= {})[user.id] = user;
      const { user: _u, ...member } = st.member(user, true) as Record<string, unknown>;
      (resolved.members ??= {})[user.id] = { ...member, permissions: "0" };
      value = user.id;
      break;
    }
    case T.Channel: {
      const c = st.channelOrThrow(String(raw));
      if (def.channel_types && !def.channel_types.includes(c.type)) {
        throw invalid(`${def.name}: a channel of type ${def.channel_types.join(" or ")}`);
      }
      const partialChannel: Record<string, unknown> = {
        id: c.id,
        name: c.name,
        type: c.type,
        permissions: "2248473465835073",
        parent_id: c.parent_id,
        flags: c.flags,
      };
      if (c.thread_metadata) partialChannel.thread_metadata = c.thread_metadata;
      (resolved.channels ??= {})[c.id] = partialChannel;
      value = c.id;
      break;
    }
    default:
      value = String(raw);
  }
  if (def.choices && !def.choices.some((c) => c.value === value)) {
    throw invalid(`${def.name}: one of ${def.choices.map((c) => JSON.stringify(c.value))}`);
  }
  return value;
}

/** The `data` of the interaction: command id, name, type, typed options, resolved entities. */
function commandData(
  st: DiscordState,
  run: RunCommand,
  focused?: string,
): { data: Record<string, unknown>; name: string } {
  const cmd = commandsOf(st).find(run.name, st.guildId);
  if (!cmd) {
    throw new DiscordHttpError(
      404,
      RESTJSONErrorCodes.UnknownApplicationCommand,
      `Unknown application command: /${run.name} is not registered`,
    );
  }
  const { defs, path } = leafOptions(cmd, run);
  const given = run.options ?? {};
  const resolved: Record<string, Record<string, unknown>> = {};
  for (const name of Object.keys(given)) {
    if (!defs.some((d) => d.name === name)) throw invalid(`/${run.name} has no option "${name}"`);
  }
  if (focused !== undefined) {
    const def = defs.find((d) => d.name === focused);
    if (!def?.autocomplete) throw invalid(`${focused}: not an option with autocomplete`);
  }
  const options: Record<string, unknown>[] = [];
  for (const def of defs) {
    const raw = given[def.name];
    if (raw === undefined) {
      if (def.name === focused) {
        options.push({ type: def.type, name: def.name, value: "", focused: true });
      } else if (def.required && focused === undefined) {
        throw invalid(`/${run.name} needs the option "${def.name}"`);
      }
      continue;
    }
    const isFocused = def.name === focused;
    const value = typed(st, def, raw, resolved, isFocused);
    options.push({
      type: def.type,
      name: def.name,
      value,
      ...(isFocused ? { focused: true } : {}),
    });
  }
  let nested: Record<string, unknown>[] = options;
  for (const p of path.toReversed()) nested = [{ type: p.type, name: p.name, options: nested }];
  const data: Record<string, unknown> = { id: cmd.id, name: cmd.name, type: cmd.type };
  if (cmd.guild_id) data.guild_id = cmd.guild_id;
  if (nested.length > 0) data.options = nested;
  if (Object.keys(resolved).length > 0) data.resolved = resolved;
  return { data, name: cmd.name };
}

/** Runs a slash command: INTERACTION_CREATE type 2 to every session. */
export function runCommand(
  st: DiscordState,
  interactions: Interactions,
  run: RunCommand,
): OpenedInteraction {
  const { data, name } = commandData(st, run);
  return interactions.open({
    kind: "command",
    userId: run.userId ?? st.owner.id,
    channelId: run.channelId ?? st.channelId,
    data,
    commandName: name,
  });
}

/** Sends an autocomplete interaction (type 4) and waits for the bot's choices (or the deadline). */
export async function autocomplete(
  st: DiscordState,
  interactions: Interactions,
  run: Autocomplete,
): Promise<AutocompleteResult> {
  const { data, name } = commandData(st, run, run.focused);
  const opened = interactions.open({
    kind: "autocomplete",
    userId: run.userId ?? st.owner.id,
    channelId: run.channelId ?? st.channelId,
    data,
    commandName: name,
  });
  const answered = await opened.answered;
  const choices = interactions.record(opened.interactionId)?.choices ?? [];
  return { interactionId: opened.interactionId, answered, choices };
}
