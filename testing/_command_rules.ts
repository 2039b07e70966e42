// The naming and option rules of application commands (Application Commands topic: names,
// option structure, sub-commands and groups, autocomplete, choices), as Discord checks them on
// registration. A field error goes to the caller's `Fail`, which collects them for one 50035.
import { ApplicationCommandOptionType } from "discord-api-types/v10";
import type { CommandOption } from "./_command_types.ts";

/** Command names and option names of chat input commands (Application Command Naming). */
const CHAT_INPUT_NAME = /^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$/u;
/** Options per command or sub-command, choices per option (option structure). */
const MAX_OPTIONS = 25;
/** Option types that may autocomplete (option structure, `autocomplete`). */
const AUTOCOMPLETE_TYPES: number[] = [
  ApplicationCommandOptionType.String,
  ApplicationCommandOptionType.Integer,
  ApplicationCommandOptionType.Number,
];

/**
 * Whether a name is a valid chat input command or option name (lower case).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { validName } from "./_command_rules.ts";
 * assert(validName("sessions") && !validName("Sessions") && !validName("two words"));
 * ```
 */
export function validName(name: string): boolean {
  return CHAT_INPUT_NAME.test(name) && name === name.toLowerCase();
}

/** Receives one field error: where, Discord's code, its message. */
export type Fail = (path: (string | number)[], code: string, message: string) => void;

/**
 * Options checked by the option rules of the Application Commands topic, normalised.
 *
 * @example A required option after an optional one is refused
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseOptions } from "./_command_rules.ts";
 * const codes: string[] = [];
 * const options = parseOptions([
 *   { type: 3, name: "a", description: "first" },
 *   { type: 3, name: "b", description: "second", required: true },
 * ], (_path, code) => codes.push(code), 0);
 * assert.deepEqual(options.map((o) => o.name), ["a", "b"]);
 * assert.deepEqual(codes, ["APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID"]);
 * ```
 */
export function parseOptions(raw: unknown[], local: Fail, depth: number): CommandOption[] {
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
