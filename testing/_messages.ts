// Validation of message bodies (create, edit, webhook execute) the way Discord validates them.
import { ComponentType, RESTJSONErrorCodes } from "discord-api-types/v10";
import { DiscordHttpError, errors, fieldError } from "./_errors.ts";

/** A validated message body. Fields absent from the request stay undefined. */
export interface MessageBody {
  content?: string;
  embeds?: Record<string, unknown>[];
  components?: Record<string, unknown>[];
  allowed_mentions?: { parse?: string[]; users?: string[]; replied_user?: boolean };
  message_reference?: { message_id?: string; channel_id?: string; fail_if_not_exists?: boolean };
  flags?: number;
  username?: string;
  thread_name?: string;
  attachments?: unknown[];
  nonce?: string | number;
  enforce_nonce?: boolean;
}

function merge(target: Record<string, unknown>, extra: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(extra)) {
    const cur = target[k];
    if (cur && typeof cur === "object" && v && typeof v === "object" && !Array.isArray(v)) {
      merge(cur as Record<string, unknown>, v as Record<string, unknown>);
    } else target[k] = v;
  }
}

const EMBED_TEXT = ["title", "description"] as const;

function embedChars(embed: Record<string, unknown>): number {
  let n = 0;
  for (const k of EMBED_TEXT) if (typeof embed[k] === "string") n += (embed[k] as string).length;
  const footer = embed.footer as { text?: string } | undefined;
  if (typeof footer?.text === "string") n += footer.text.length;
  const author = embed.author as { name?: string } | undefined;
  if (typeof author?.name === "string") n += author.name.length;
  for (const f of (Array.isArray(embed.fields) ? embed.fields : []) as Record<string, unknown>[]) {
    if (typeof f?.name === "string") n += f.name.length;
    if (typeof f?.value === "string") n += f.value.length;
  }
  return n;
}

/**
 * Validates a create/edit body. Throws 50035 with field errors, as Discord does.
 * `requireSomething` throws 50006 when nothing visible would be sent.
 */
export function validateMessageBody(
  raw: unknown,
  opts: { requireSomething: boolean; hasFiles?: boolean },
): MessageBody {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new DiscordHttpError(
      400,
      RESTJSONErrorCodes.InvalidFormBodyOrContentType,
      "Invalid Form Body",
      {
        _errors: [{
          code: "DICT_TYPE_CONVERT",
          message: "Only dictionaries may be used in a DictType",
        }],
      },
    );
  }
  const b = raw as Record<string, unknown>;
  const errs: Record<string, unknown> = {};
  const out: MessageBody = {};
  if (b.content !== undefined && b.content !== null) {
    if (typeof b.content !== "string") {
      merge(errs, fieldError(["content"], "BASE_TYPE_STRING", "Must be a string."));
    } else if (b.content.length > 2000) {
      merge(
        errs,
        fieldError(["content"], "BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length."),
      );
    } else out.content = b.content;
  }
  if (b.embeds !== undefined && b.embeds !== null) {
    if (!Array.isArray(b.embeds)) {
      merge(errs, fieldError(["embeds"], "BASE_TYPE_LIST", "Must be an array."));
    } else if (b.embeds.length > 10) {
      merge(errs, fieldError(["embeds"], "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length."));
    } else {
      let total = 0;
      b.embeds.forEach((e, i) => {
        const embed = (e ?? {}) as Record<string, unknown>;
        for (const [field, max] of [["description", 4096], ["title", 256]] as const) {
          const value = embed[field];
          if (typeof value === "string" && value.length > max) {
            merge(
              errs,
              fieldError(
                ["embeds", i, field],
                "BASE_TYPE_MAX_LENGTH",
                `Must be ${max} or fewer in length.`,
              ),
            );
          }
        }
        total += embedChars(embed);
      });
      if (total > 6000) {
        merge(
          errs,
          fieldError(
            ["embeds"],
            "MAX_EMBED_SIZE_EXCEEDED",
            "Embed size exceeds maximum size of 6000",
          ),
        );
      }
      out.embeds = (b.embeds as Record<string, unknown>[]).map((e) => {
        const embed: Record<string, unknown> = { type: "rich", ...e };
        // Discord answers every field with its `inline`, false when the request left it out.
        if (Array.isArray(e.fields)) {
          embed.fields = (e.fields as Record<string, unknown>[]).map((f) => ({
            ...f,
            inline: f?.inline === true,
          }));
        }
        return embed;
      });
    }
  }
  if (b.components !== undefined && b.components !== null) {
    if (!Array.isArray(b.components) || b.components.length > 5) {
      merge(
        errs,
        fieldError(["components"], "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length."),
      );
    } else {
      b.components.forEach((row, i) => {
        const r = (row ?? {}) as { type?: number; components?: Record<string, unknown>[] };
        if (
          r.type !== ComponentType.ActionRow || !Array.isArray(r.components) ||
          r.components.length > 5
        ) {
          merge(
            errs,
            fieldError(["components", i], "COMPONENT_LAYOUT_WIDTH_EXCEEDED", "Invalid action row."),
          );
          return;
        }
        r.components.forEach((c, j) => {
          if (c?.type === ComponentType.Button) {
            const hasId = typeof c.custom_id === "string" && c.custom_id.length > 0;
            const hasUrl = typeof c.url === "string";
            if (hasId === hasUrl || (hasId && (c.custom_id as string).length > 100)) {
              merge(
                errs,
                fieldError(
                  ["components", i, "components", j, "custom_id"],
                  "BUTTON_COMPONENT_CUSTOM_ID_REQUIRED",
                  "A custom id (at most 100 characters) or a url is required",
                ),
              );
            }
            if (typeof c.label === "string" && c.label.length > 80) {
              merge(
                errs,
                fieldError(
                  ["components", i, "components", j, "label"],
                  "BASE_TYPE_MAX_LENGTH",
                  "Must be 80 or fewer in length.",
                ),
              );
            }
          }
        });
      });
      out.components = b.components as Record<string, unknown>[];
    }
  }
  if (b.allowed_mentions !== undefined && b.allowed_mentions !== null) {
    out.allowed_mentions = b.allowed_mentions as MessageBody["allowed_mentions"];
  }
  if (b.message_reference !== undefined && b.message_reference !== null) {
    out.message_reference = b.message_reference as MessageBody["message_reference"];
  }
  if (typeof b.flags === "number") out.flags = b.flags;
  if (typeof b.username === "string") out.username = b.username;
  if (b.thread_name !== undefined && b.thread_name !== null) {
    if (typeof b.thread_name !== "string" || b.thread_name.length > 100) {
      merge(
        errs,
        fieldError(["thread_name"], "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length."),
      );
    } else out.thread_name = b.thread_name;
  }
  if (Array.isArray(b.attachments)) out.attachments = b.attachments;
  if (typeof b.nonce === "string" || typeof b.nonce === "number") out.nonce = b.nonce;
  if (b.enforce_nonce === true) out.enforce_nonce = true;
  if (Object.keys(errs).length > 0) throw errors.invalidFormBody(errs);
  if (
    opts.requireSomething && !out.content && !(out.embeds?.length) && !(out.components?.length) &&
    !opts.hasFiles
  ) throw errors.emptyMessage();
  return out;
}

/**
 * Gives every component of a message its numeric `id`, as Discord does for components sent
 * without one: 1, 2, 3… in reading order (a row before its children), skipping ids in use.
 */
export function numberComponents(components: Record<string, unknown>[]): Record<string, unknown>[] {
  const used = new Set<number>();
  const visit = (list: unknown, f: (c: Record<string, unknown>) => void): void => {
    if (!Array.isArray(list)) return;
    for (const c of list as Record<string, unknown>[]) {
      if (!c || typeof c !== "object") continue;
      f(c);
      visit(c.components, f);
      if (c.accessory) visit([c.accessory], f);
    }
  };
  const copy = structuredClone(components);
  visit(copy, (c) => typeof c.id === "number" && used.add(c.id));
  let next = 1;
  visit(copy, (c) => {
    if (typeof c.id === "number") return;
    while (used.has(next)) next++;
    c.id = next;
    used.add(next);
  });
  return copy;
}
