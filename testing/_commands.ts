// Application commands of the local Discord: the guild's and the global ones, kept per world,
// validated as Discord validates them (Application Commands topic: naming and option rules in
// _command_rules.ts, per-scope limits, 200 creates per day per guild), with the ids and
// versions Discord keeps.
import { ApplicationCommandType, RESTJSONErrorCodes } from "discord-api-types/v10";
import { DiscordHttpError, errors, fieldError } from "./_errors.ts";
import type { DiscordState } from "./_state.ts";
import type { ApplicationCommand, CommandOption } from "./_command_types.ts";
import { parseOptions, validName } from "./_command_rules.ts";

export type { ApplicationCommand, CommandOption } from "./_command_types.ts";

/** Commands per type and scope (Registering a Command). */
const MAX_COMMANDS: Record<number, number> = {
  [ApplicationCommandType.ChatInput]: 100,
  [ApplicationCommandType.User]: 15,
  [ApplicationCommandType.Message]: 15,
};
/** New commands per guild per day (Registering a Command, "global rate limit"). */
export const DAILY_COMMAND_CREATES = 200;
const DAY_MS = 24 * 60 * 60_000;
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

function mergeErrors(target: Record<string, unknown>, extra: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(extra)) {
    const cur = target[k];
    if (k === "_errors" && Array.isArray(cur)) cur.push(...(v as unknown[]));
    else if (cur && typeof cur === "object" && v && typeof v === "object") {
      mergeErrors(cur as Record<string, unknown>, v as Record<string, unknown>);
    } else target[k] = v;
  }
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
