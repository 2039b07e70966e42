// Private: the outbox's entry format (outbox.ts re-exports the types) and its validation.
//
// One entry is one JSON line of `outbox/<session>.jsonl`. Writers render everything (the
// bridge posts bodies; it does not know what a STATUS is), so the format carries Discord's own
// message fields. Version 1 has two kinds; a reader that meets a version or kind it does not
// know treats the line as malformed (kept in `outbox/rejected.jsonl`, never sent).
import { parseJson } from "../_shared/json.ts";

/** A message body as the bridge sends it: Discord's JSON field names. */
export interface MessageBody {
  /** The text (≤ 2000 characters). */
  content?: string;
  /** Embeds (≤ 10). */
  embeds?: object[];
  /** Action rows (buttons). */
  components?: object[];
  /** Who may be pinged; `{ parse: [] }` pings nobody. */
  allowed_mentions?: { parse: string[]; users?: string[]; roles?: string[] };
  /** Makes the post a Discord reply to this message (posts only). */
  message_reference?: { message_id: string; fail_if_not_exists?: boolean };
}

/** What every entry has. */
export interface EntryBase {
  /** The format version: 1. */
  v: 1;
  /**
   * Unique, at most {@linkcode ENTRY_ID_MAX} letters and digits: the message create's `nonce`,
   * so that a resend after a lost answer returns the first message instead of a second one.
   */
  id: string;
  /** When it was enqueued (ISO 8601): the cap drops the oldest first. */
  at: string;
  /** Not sent after this time (ISO 8601): the bridge skips it, with a log line. */
  expiresAt?: string;
}

/** A new message. */
export interface PostEntry extends EntryBase {
  /** `post`. */
  kind: "post";
  /** The message. */
  body: MessageBody;
  /**
   * The channel or thread to post in. Absent: the session's thread in the STATUS channel, which
   * the bridge opens with this post as its first message when the session has none yet.
   */
  channelId?: string;
  /** The session thread's title (required without `channelId`). */
  threadName?: string;
  /** A name for the message, so that a later `edit` entry of the session can refer to it. */
  key?: string;
  /**
   * Who owns the message in the posts index (posts.ts), so that replies, clicks and reactions on
   * it route there. Default: the session.
   */
  owner?: string;
}

/** A new body for a message posted earlier. */
export interface EditEntry extends EntryBase {
  /** `edit`. */
  kind: "edit";
  /** The new body (fields left out stay as they are). */
  body: MessageBody;
  /** The `key` of an earlier post of the same session. */
  key?: string;
  /** Or the message itself. */
  message?: { channelId: string; messageId: string };
}

/** One outbox entry. */
export type OutboxEntry = PostEntry | EditEntry;

/** Most characters of an entry id: Discord's limit for a nonce. */
export const ENTRY_ID_MAX = 25;

/** An entry to enqueue: `id`, `at` and `v` are filled in when left out. */
export type NewEntry =
  | (Omit<PostEntry, "v" | "id" | "at"> & { id?: string; at?: string })
  | (Omit<EditEntry, "v" | "id" | "at"> & { id?: string; at?: string });

/**
 * A fresh entry id: the time in base 36, then 12 random base-36 characters (at most 21
 * characters, within Discord's 25 for a nonce; ids of later entries mostly sort later).
 *
 * @param now The time, in ms since the epoch.
 * @returns The id.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ENTRY_ID_MAX, newEntryId } from "../outbox.ts";
 * const id = newEntryId();
 * assert(/^[0-9a-z]+$/.test(id) && id.length <= ENTRY_ID_MAX);
 * assert(newEntryId() !== id);
 * ```
 */
export function newEntryId(now: number = Date.now()): string {
  const random = crypto.getRandomValues(new Uint8Array(12));
  return now.toString(36) + Array.from(random, (b) => (b % 36).toString(36)).join("");
}

const ENTRY_ID = /^[A-Za-z0-9]{1,25}$/;
/** Discord's longest thread name. */
const THREAD_NAME_MAX = 100;
const SNOWFLAKE = /^[0-9]{15,21}$/;
/** Keys and owners: what a mailbox or posts-index owner may be called. */
const NAME = /^[A-Za-z0-9_-]{1,128}$/;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function bodyProblem(body: unknown): string | undefined {
  if (!isObject(body)) return "body is not an object";
  if (body.content !== undefined && typeof body.content !== "string") {
    return "body.content is not a string";
  }
  for (const list of ["embeds", "components"] as const) {
    if (body[list] !== undefined && !(Array.isArray(body[list]) && body[list].every(isObject))) {
      return `body.${list} is not a list of objects`;
    }
  }
  const mentions = body.allowed_mentions;
  if (mentions !== undefined && !(isObject(mentions) && Array.isArray(mentions.parse))) {
    return "body.allowed_mentions has no parse list";
  }
  const reference = body.message_reference;
  if (
    reference !== undefined &&
    !(isObject(reference) && typeof reference.message_id === "string")
  ) {
    return "body.message_reference has no message_id";
  }
  return undefined;
}

/**
 * Why `value` is not a valid outbox entry, or `undefined` when it is.
 *
 * @param value A parsed line.
 * @returns The problem, in a few words.
 */
export function entryProblem(value: unknown): string | undefined {
  if (!isObject(value)) return "not a JSON object";
  if (value.v !== 1) return `version ${JSON.stringify(value.v)} is unknown`;
  if (typeof value.id !== "string" || !ENTRY_ID.test(value.id)) {
    return `id must be 1-${ENTRY_ID_MAX} letters and digits`;
  }
  if (typeof value.at !== "string" || Number.isNaN(Date.parse(value.at))) return "at is no time";
  if (
    value.expiresAt !== undefined &&
    (typeof value.expiresAt !== "string" || Number.isNaN(Date.parse(value.expiresAt)))
  ) {
    return "expiresAt is no time";
  }
  const body = bodyProblem(value.body);
  if (body !== undefined) return body;
  if (value.key !== undefined && (typeof value.key !== "string" || !NAME.test(value.key))) {
    return "key must be 1-128 letters, digits, _ or -";
  }
  if (value.kind === "post") {
    if (value.channelId !== undefined) {
      if (typeof value.channelId !== "string" || !SNOWFLAKE.test(value.channelId)) {
        return "channelId is not a Discord id";
      }
    } else if (
      typeof value.threadName !== "string" || value.threadName.trim() === "" ||
      value.threadName.length > THREAD_NAME_MAX
    ) {
      return `a post without channelId needs a threadName of 1-${THREAD_NAME_MAX} characters`;
    }
    if (value.owner !== undefined && (typeof value.owner !== "string" || !NAME.test(value.owner))) {
      return "owner must be 1-128 letters, digits, _ or -";
    }
    return undefined;
  }
  if (value.kind === "edit") {
    const m = value.message;
    if (m !== undefined) {
      if (
        !isObject(m) || typeof m.channelId !== "string" || !SNOWFLAKE.test(m.channelId) ||
        typeof m.messageId !== "string" || !SNOWFLAKE.test(m.messageId)
      ) {
        return "message needs a channelId and a messageId";
      }
    } else if (value.key === undefined) return "an edit needs a key or a message";
    return undefined;
  }
  return `kind ${JSON.stringify(value.kind)} is unknown`;
}

/**
 * Parses one queue line: the entry, or a string saying why it is malformed.
 *
 * @param line One line, without its "\n".
 * @returns The entry or the problem.
 */
export function parseEntryLine(line: string): OutboxEntry | string {
  const value = parseJson(line);
  if (value === undefined) return "not valid JSON";
  const problem = entryProblem(value);
  return problem === undefined ? value as OutboxEntry : problem;
}
