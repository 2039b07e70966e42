// Application commands of the local Discord: the guild's and the global ones, kept per world,
// validated as Discord validates them (Application Commands topic: naming, option rules,
// per-scope limits, 200 creates per day per guild), with the ids and versions Discord keeps.
import {
  ApplicationCommandOptionType,
  ApplicationCommandType,
  RESTJSONErrorCodes,
} from "discord-api-types/v10";
import { DiscordHttpError, errors, fieldError } from "./_errors.ts";
import type { DiscordState } from "./_state.ts";

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

/** Command names and option names of chat input commands (Application Command Naming). */
const CHAT_INPUT_NAME = /^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$/u;
/** Commands per type and scope (Registering a Command). */
const MAX_COMMANDS: Record<number, number> = {
  [ApplicationCommandType.ChatInput]: 100,
  [ApplicationCommandType.User]: 15,
  [ApplicationCommandType.Message]: 15,
};
/** New commands per guild per day (Registering a Command, "global rate limit"). */
export const DAILY_COMMAND_CREATES = 200;
const DAY_MS = 24 * 60 * 60_000;
/** Options per command or sub-command, choices per option (option structure). */
const MAX_OPTIONS = 25;
/** Option types that may autocomplete (option structure, `autocomplete`). */
const AUTOCOMPLETE_TYPES: number[] = [
  ApplicationCommandOptionType.String,
  ApplicationCommandOptionType.Integer,
  ApplicationCommandOptionType.Number,
];
/** The scope key of global commands. */
const GLOBAL = "global";

/** The commands of one world: per scope (a guild id, or global), in registration order. */
export class CommandStore {
  readonly #st: DiscordState;
  readonly #scopes = new Map<string, ApplicationCommand[]>();
  readonly #creates = new Map<string, { since: number; count: number }>();

  constructor(st: DiscordState) {
    this.#st = st;
  }

  /** The commands of a guild (`guildId`) or the global ones (no guild). */
  list(guildId?: string): ApplicationCommand[] {
    return structuredClone(this.#scopes.get(guildId ?? GLOBAL) ?? []);
  }

  /** Every command, global ones first. */
  all(): ApplicationCommand[] {
    const out = this.list();
    for (const [scope, list] of this.#scopes) if (scope !== GLOBAL) out.push(...list);
    return structuredClone(out);
  }

  /** A command by id, in a guild or global, or 10063 Unknown application command. */
  get(id: string, guildId?: string): ApplicationCommand {
    const c = this.#scopes.get(guildId ?? GLOBAL)?.find((x) => x.id === id);
    if (!c) throw unknownCommand();
    return structuredClone(c);
  }

  /**
   * Finds the command a user invokes by name: the guild's first, then a global one (as the
   * client lists them), of a type (default chat input).
   */
  find(name: string, guildId: string, type: number = ApplicationCommandType.ChatInput) {
    const pick = (scope: string) =>
      this.#scopes.get(scope)?.find((c) => c.name === name && c.type === type);
    const c = pick(guildId) ?? pick(GLOBAL);
    return c ? structuredClone(c) : undefined;
  }

  /**
   * Bulk overwrite: the scope's commands become `bodies`. A command whose name and type
   * exist already (or whose `id` is given and known) keeps its id; its version changes only
   * when its content does. Names new to the scope count toward the daily create limit.
   *
   * @throws {DiscordHttpError} 50035 with field errors, 30032, 30034.
   */
  overwrite(bodies: unknown, guildId?: string): ApplicationCommand[] {
    if (!Array.isArray(bodies)) {
      throw errors.invalidFormBody(fieldError([], "BASE_TYPE_LIST", "Must be an array."));
    }
    const scope = guildId ?? GLOBAL;
    const before = this.#scopes.get(scope) ?? [];
    const made = bodies.map((b, i) => this.#parse(b, guildId, [i]));
    const seen = new Set<string>();
    made.forEach((c, i) => {
      const key = `${c.type}:${c.name}`;
      if (seen.has(key)) {
        throw errors.invalidFormBody(
          fieldError(
            [i],
            "APPLICATION_COMMANDS_DUPLICATE_NAME",
            "Application command names must be unique",
          ),
        );
      }
      seen.add(key);
    });
    this.#checkCounts(made);
    const news = made.filter((c, i) => !this.#previous(before, c, bodies[i]));
    this.#spendCreates(scope, news.length);
    const next = made.map((c, i) => this.#keep(this.#previous(before, c, bodies[i]), c));
    this.#scopes.set(scope, next);
    return structuredClone(next);
  }

  /**
   * Creates a command, or overwrites the one of the same name and type (an upsert, as Discord
   * treats a create). Returns the command and whether it was new (201) or not (200).
   */
  create(body: unknown, guildId?: string): { command: ApplicationCommand; created: boolean } {
    const scope = guildId ?? GLOBAL;
    const list = [...(this.#scopes.get(scope) ?? [])];
    const made = this.#parse(body, guildId, []);
    const i = list.findIndex((c) => c.name === made.name && c.type === made.type);
    if (i >= 0) {
      list[i] = this.#keep(list[i], made);
    } else {
      this.#checkCounts([...list, made]);
      this.#spendCreates(scope, 1);
      list.push(made);
    }
    this.#scopes.set(scope, list);
    return { command: structuredClone(list[i >= 0 ? i : list.length - 1]), created: i < 0 };
  }

  /** Edits a command: given fields replace the old ones entirely. */
  edit(id: string, patch: unknown, guildId?: string): ApplicationCommand {
    const scope = guildId ?? GLOBAL;
    const list = [...(this.#scopes.get(scope) ?? [])];
    const i = list.findIndex((c) => c.id === id);
    if (i < 0) throw unknownCommand();
    const p = (patch ?? {}) as Record<string, unknown>;
    const old = list[i];
    const merged = { ...commandInput(old), ...p, type: old.type };
    const made = this.#parse(merged, guildId, []);
    if (list.some((c, j) => j !== i && c.name === made.name && c.type === made.type)) {
      throw errors.invalidFormBody(
        fieldError(
          ["name"],
          "APPLICATION_COMMANDS_DUPLICATE_NAME",
          "Application command names must be unique",
        ),
      );
    }
    list[i] = this.#keep(old, made);
    this.#scopes.set(scope, list);
    return structuredClone(list[i]);
  }

  /** Deletes a command, or 10063. */
  delete(id: string, guildId?: string): void {
    const scope = guildId ?? GLOBAL;
    const list = this.#scopes.get(scope) ?? [];
    if (!list.some((c) => c.id === id)) throw unknownCommand();
    this.#scopes.set(scope, list.filter((c) => c.id !== id));
  }

  /** Puts saved commands back (a restarted sandbox). */
  load(commands: ApplicationCommand[]): void {
    this.#scopes.clear();
    for (const c of structuredClone(commands)) {
      const scope = c.guild_id ?? GLOBAL;
      this.#scopes.set(scope, [...(this.#scopes.get(scope) ?? []), c]);
    }
  }

  /** The earlier command `c` replaces: same id when given and known, else same name and type. */
  #previous(
    before: ApplicationCommand[],
    c: ApplicationCommand,
    body: unknown,
  ): ApplicationCommand | undefined {
    const id = (body as { id?: unknown })?.id;
    if (typeof id === "string") {
      const byId = before.find((x) => x.id === id);
      if (byId) return byId;
    }
    return before.find((x) => x.name === c.name && x.type === c.type);
  }

  /** `made` under the id (and, when nothing changed, the version) of `old`. */
  #keep(old: ApplicationCommand | undefined, made: ApplicationCommand): ApplicationCommand {
    if (!old) return made;
    const same = JSON.stringify({ ...made, id: "", version: "" }) ===
      JSON.stringify({ ...old, id: "", version: "" });
    return { ...made, id: old.id, version: same ? old.version : made.version };
  }

  #checkCounts(list: ApplicationCommand[]): void {
    for (const [type, max] of Object.entries(MAX_COMMANDS)) {
      if (list.filter((c) => c.type === Number(type)).length > max) {
        throw new DiscordHttpError(
          400,
          RESTJSONErrorCodes.MaximumNumberOfApplicationCommandsReached,
          `Maximum number of application commands reached (${max})`,
        );
      }
    }
  }

  #spendCreates(scope: string, n: number): void {
    if (n === 0 || scope === GLOBAL) return;
    const now = this.#st.now();
    let w = this.#creates.get(scope);
    if (!w || now - w.since >= DAY_MS) this.#creates.set(scope, w = { since: now, count: 0 });
    if (w.count + n > DAILY_COMMAND_CREATES) {
      throw new DailyCreatesSpent((w.since + DAY_MS - now) / 1000);
    }
    w.count += n;
  }

  /** A checked, normalised command from a request body (50035 with field errors otherwise). */
  #parse(raw: unknown, guildId: string | undefined, at: (string | number)[]): ApplicationCommand {
    const st = this.#st;
    const b = (raw ?? {}) as Record<string, unknown>;
    const type = typeof b.type === "number" ? b.type : ApplicationCommandType.ChatInput;
    const errs: Record<string, unknown>[] = [];
    const fail = (path: (string | number)[], code: string, message: string) =>
      errs.push(fieldError([...at, ...path], code, message));
    const name = typeof b.name === "string" ? b.name : "";
    const chatInput = type === ApplicationCommandType.ChatInput;
    if (chatInput ? !validName(name) : name.length < 1 || name.length > 32) {
      fail(["name"], "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid");
    }
    const description = typeof b.description === "string" ? b.description : "";
    if (chatInput && (description.length < 1 || description.length > 100)) {
      fail(["description"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.");
    }
    if (!chatInput && description !== "") {
      fail(
        ["description"],
        "APPLICATION_COMMAND_INVALID_DESCRIPTION",
        "Only chat input commands have a description",
      );
    }
    const perms = b.default_member_permissions;
    if (perms !== undefined && perms !== null && !/^\d{1,20}$/.test(String(perms))) {
      fail(["default_member_permissions"], "NUMBER_TYPE_COERCE", "Value is not int.");
    }
    let options: CommandOption[] | undefined;
    if (Array.isArray(b.options) && b.options.length > 0) {
      if (!chatInput) {
        fail(
          ["options"],
          "APPLICATION_COMMAND_OPTIONS_INVALID",
          "Only chat input commands have options",
        );
      } else {
        options = parseOptions(b.options, (p, c, m) => fail(["options", ...p], c, m), 0);
      }
    }
    if (errs.length > 0) {
      const merged: Record<string, unknown> = {};
      for (const e of errs) mergeErrors(merged, e);
      throw errors.invalidFormBody(merged);
    }
    const cmd: ApplicationCommand = {
      id: st.snowflake(),
      application_id: st.applicationId,
      version: st.snowflake(),
      default_member_permissions: perms === undefined || perms === null ? null : String(perms),
      type,
      name,
      description: chatInput ? description : "",
      contexts: Array.isArray(b.contexts) ? b.contexts as number[] : null,
      integration_types: Array.isArray(b.integration_types) ? b.integration_types as number[] : [0],
      nsfw: b.nsfw === true,
    };
    if (guildId) cmd.guild_id = guildId;
    else cmd.dm_permission = b.dm_permission !== false;
    if (options) cmd.options = options;
    for (const k of ["name_localizations", "description_localizations"] as const) {
      const v = b[k];
      if (v && typeof v === "object") cmd[k] = v as Record<string, string>;
    }
    return cmd;
  }
}

function validName(name: string): boolean {
  return CHAT_INPUT_NAME.test(name) && name === name.toLowerCase();
}

function mergeErrors(target: Record<string, unknown>, extra: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(extra)) {
    const cur = target[k];
    if (k === "_errors" && Array.isArray(cur)) cur.push(...(v as unknown[]));
    else if (cur && typeof cur === "object" && v && typeof v === "object") {
      mergeErrors(cur as Record<string, unknown>, v as Record<string, unknown>);
    } else target[k] = v;
  }
}

type Fail = (path: (string | number)[], code: string, message: string) => void;

/** Options checked by the option rules of the Application Commands topic, normalised. */
function parseOptions(raw: unknown[], local: Fail, depth: number): CommandOption[] {
  const rel = (i: number, ...rest: (string | number)[]) => [i, ...rest];
  if (raw.length > MAX_OPTIONS) {
    local([], "BASE_TYPE_MAX_LENGTH", `Must be ${MAX_OPTIONS} or fewer in length.`);
  }
  const names = new Set<string>();
  let optionalSeen = false;
  const out: CommandOption[] = [];
  raw.forEach((value, i) => {
    const o = (value ?? {}) as Record<string, unknown>;
    const type = o.type as number;
    const name = typeof o.name === "string" ? o.name : "";
    const group = type === ApplicationCommandOptionType.Subcommand ||
      type === ApplicationCommandOptionType.SubcommandGroup;
    if (!validName(name)) {
      local(rel(i, "name"), "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid");
    }
    if (names.has(name)) {
      local(
        rel(i, "name"),
        "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS",
        "Option names must be unique",
      );
    }
    names.add(name);
    const description = typeof o.description === "string" ? o.description : "";
    if (description.length < 1 || description.length > 100) {
      local(rel(i, "description"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.");
    }
    const required = o.required === true;
    if (group && o.required !== undefined && o.required !== null) {
      local(
        rel(i, "required"),
        "APPLICATION_COMMAND_OPTION_REQUIRED_INVALID",
        "Required cannot be configured for this type of option",
      );
    }
    if (required && optionalSeen) {
      local(
        rel(i, "required"),
        "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
        "Required options must be placed before non-required options",
      );
    }
    if (!required) optionalSeen = true;
    const choices = Array.isArray(o.choices) ? o.choices as CommandOption["choices"] : undefined;
    if (o.autocomplete === true) {
      if (!AUTOCOMPLETE_TYPES.includes(type)) {
        local(
          rel(i, "autocomplete"),
          "APPLICATION_COMMAND_OPTION_AUTOCOMPLETE_INVALID",
          "Autocomplete cannot be configured for this type of option",
        );
      }
      if (choices && choices.length > 0) {
        local(
          rel(i, "autocomplete"),
          "APPLICATION_COMMAND_AUTOCOMPLETE_CHOICES_INVALID",
          "Autocomplete and choices cannot both be set",
        );
      }
    }
    if (choices && choices.length > MAX_OPTIONS) {
      local(
        rel(i, "choices"),
        "BASE_TYPE_MAX_LENGTH",
        `Must be ${MAX_OPTIONS} or fewer in length.`,
      );
    }
    const opt: CommandOption = { type, name, description };
    if (required && !group) opt.required = true;
    if (o.autocomplete === true) opt.autocomplete = true;
    if (choices && choices.length > 0) {
      opt.choices = choices.map((c) => ({ name: c.name, value: c.value }));
    }
    for (const k of ["channel_types", "min_value", "max_value", "min_length", "max_length"]) {
      if (o[k] !== undefined && o[k] !== null) {
        (opt as unknown as Record<string, unknown>)[k] = o[k];
      }
    }
    for (const k of ["name_localizations", "description_localizations"] as const) {
      if (o[k] && typeof o[k] === "object") opt[k] = o[k] as Record<string, string>;
    }
    if (
      (type === ApplicationCommandOptionType.SubcommandGroup && depth > 0) ||
      (type === ApplicationCommandOptionType.Subcommand && depth > 1)
    ) {
      local(
        rel(i, "type"),
        "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
        "Sub-command groups are top-level options; sub-commands are top-level or in a group",
      );
    }
    if (group && Array.isArray(o.options) && o.options.length > 0) {
      const nested = type === ApplicationCommandOptionType.SubcommandGroup
        ? (o.options as Record<string, unknown>[]).every((x) =>
          x?.type === ApplicationCommandOptionType.Subcommand
        )
        : (o.options as Record<string, unknown>[]).every((x) =>
          x?.type !== ApplicationCommandOptionType.Subcommand &&
          x?.type !== ApplicationCommandOptionType.SubcommandGroup
        );
      if (!nested) {
        local(
          rel(i, "options"),
          "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
          "Sub-command groups hold sub-commands; sub-commands hold plain options",
        );
      }
      opt.options = parseOptions(
        o.options,
        (path, code, message) => local([i, "options", ...path], code, message),
        depth + 1,
      );
    }
    out.push(opt);
  });
  return out;
}

/** The fields of a stored command a request would carry (for an edit of some of them). */
function commandInput(c: ApplicationCommand): Record<string, unknown> {
  const { id: _id, application_id: _a, version: _v, guild_id: _g, ...rest } = c;
  return rest;
}

/** 30034, a 429 with the rate limit's `retry_after` (seconds until the day is over). */
class DailyCreatesSpent extends DiscordHttpError {
  readonly #retryAfter: number;

  constructor(retryAfter: number) {
    super(
      429,
      RESTJSONErrorCodes.MaximumDailyApplicationCommandCreatesReached,
      `Max number of daily application command creates has been reached (${DAILY_COMMAND_CREATES})`,
    );
    this.#retryAfter = Math.round(retryAfter * 1000) / 1000;
  }

  override body(): Record<string, unknown> {
    return { ...super.body(), retry_after: this.#retryAfter, global: false };
  }
}

function unknownCommand(): DiscordHttpError {
  return new DiscordHttpError(
    404,
    RESTJSONErrorCodes.UnknownApplicationCommand,
    "Unknown application command",
  );
}

const stores = new WeakMap<DiscordState, CommandStore>();

/** The command store of a world (made on first use). */
export function commandsOf(st: DiscordState): CommandStore {
  let s = stores.get(st);
  if (!s) stores.set(st, s = new CommandStore(st));
  return s;
}
