// Where the local server departs from Discord's HTTP API description on purpose: the
// description disagrees with Discord's documented (and observed) behaviour, and the documented
// behaviour wins. Every departure is listed here, once, with its reason; the request and
// response checks of `_spec.ts` consult this list and nothing else.

/** One departure from the description. */
export interface SpecException {
  /** Operation names of the description, or `*` for every operation. */
  operations: readonly string[];
  /** Whether it concerns what clients send or what the server answers. */
  side: "request" | "response";
  /** For a response: only answers with this status (default: any). */
  status?: number;
  /**
   * The field, as a dotted path (`*` one segment, `**` any number of them). An `ignore`
   * exception silences the checks there; a `stricter` one only records that the server refuses
   * more than the description does (the check still runs, and passes).
   */
  at: string;
  /** `ignore`: the description is wrong there; `stricter`: Discord refuses more than it says. */
  effect: "ignore" | "stricter";
  /** Why. */
  reason: string;
}

/** Every departure, with its reason. */
export const SPEC_EXCEPTIONS: readonly SpecException[] = [
  {
    operations: ["*"],
    side: "response",
    at: "errors.**._errors.*.code",
    effect: "ignore",
    reason: "Discord's form errors (50035) carry string codes such as BASE_TYPE_REQUIRED " +
      "(the API reference's Error Messages example); the description's Error schema, shared " +
      "with the top level, types every `code` as a number.",
  },
  {
    operations: ["*"],
    side: "response",
    status: 429,
    at: "code",
    effect: "ignore",
    reason: "A 429 answers `{message, retry_after, global}` (Rate Limits topic, its example " +
      "body); the description's RatelimitedResponse also requires an error `code`.",
  },
  {
    operations: ["CreateThread"],
    side: "response",
    at: "message",
    effect: "ignore",
    reason: "A forum or media post answers with its starter message in `message` (API " +
      "reference, Start Thread in Forum or Media Channel); the description's " +
      "CreatedThreadResponse has no such field.",
  },
  {
    operations: [
      "BulkSetApplicationCommands",
      "BulkSetGuildApplicationCommands",
      "CreateApplicationCommand",
      "CreateGuildApplicationCommand",
      "UpdateApplicationCommand",
      "UpdateGuildApplicationCommand",
    ],
    side: "request",
    at: "**.default_member_permissions",
    effect: "ignore",
    reason: "`default_member_permissions` is a permission bit set as a string (Application " +
      "Commands topic, Application Command Structure and every command endpoint's JSON " +
      "params; discord.js sends it so); the description's request schemas type it as a " +
      "number. The server takes either and answers a string, as Discord does.",
  },
  ...[
    { operations: ["CreateMessage", "UpdateMessage"], at: "content" },
    { operations: ["CreateThread"], at: "message.content" },
  ].map((e): SpecException => ({
    ...e,
    side: "request",
    effect: "stricter",
    reason: "Message content is at most 2,000 characters for bots (API reference, Create " +
      "Message); the description allows 4,000 there (the limit of users with Nitro), though " +
      "it says 2,000 for webhooks and interaction answers.",
  })),
];

function matches(pattern: string[], path: string[]): boolean {
  if (pattern.length === 0) return path.length === 0;
  const [head, ...rest] = pattern;
  if (head === "**") {
    for (let i = 0; i <= path.length; i++) if (matches(rest, path.slice(i))) return true;
    return false;
  }
  if (path.length === 0) return false;
  return (head === "*" || head === path[0]) && matches(rest, path.slice(1));
}

/**
 * The `ignore` exception covering a field of an operation's request or response, if any.
 *
 * @param operation The operation's name.
 * @param side Request or response.
 * @param path The field's path.
 * @param status For a response, its status.
 */
export function exceptionFor(
  operation: string,
  side: "request" | "response",
  path: readonly (string | number)[],
  status?: number,
): SpecException | undefined {
  const p = path.map(String);
  return SPEC_EXCEPTIONS.find((e) =>
    e.effect === "ignore" && e.side === side &&
    (e.status === undefined || e.status === status) &&
    (e.operations.includes("*") || e.operations.includes(operation)) &&
    matches(e.at.split("."), p)
  );
}
