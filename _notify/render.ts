// Private: turns a STATUS into Discord webhook payloads (embeds, splitting, mention safety).
import { formatDuration } from "../_shared/duration.ts";

export { formatDuration };

/** The state a STATUS reports. */
export type StatusState = "done" | "error" | "waiting" | "info";

/** One extra embed field. */
export interface StatusField {
  /** Field name (≤ 256 characters shown in the embed; longer ones move to the text). */
  name: string;
  /** Field value (≤ 1024 characters shown in the embed; longer ones move to the text). */
  value: string;
  /** Whether Discord may lay it out beside others. */
  inline?: boolean;
}

/** The session a STATUS belongs to. */
export interface StatusSession {
  /** Stable id (Claude Code's `session_id`): the key of the session's thread. */
  id: string;
  /** Human name: the thread's title. */
  name: string;
}

/** What to post. */
export interface StatusInput {
  /** The session; one thread per `session.id`. */
  session: StatusSession;
  /** The state, which picks the colour and default title. */
  state: StatusState;
  /** Title; default from the state. */
  title?: string;
  /** Body text, e.g. Claude's last assistant message; split across messages when long. */
  text?: string;
  /** Extra fields. */
  fields?: StatusField[];
  /** The session's working directory (its last path segment is shown as the project). */
  cwd?: string;
  /** When the session started (for the duration field). */
  startedAt?: Date | number | string;
  /** Mention someone: `true` = the notifier's `mentionUserId`, a string = that user id. */
  mention?: boolean | string;
}

/** A Discord embed, as much of it as we send. */
export interface Embed {
  title?: string;
  description?: string;
  color?: number;
  fields?: { name: string; value: string; inline?: boolean }[];
  footer?: { text: string };
  timestamp?: string;
}

/** A webhook execution body (thread parameters are added when sending). */
export interface WebhookPayload {
  content?: string;
  embeds?: Embed[];
  allowed_mentions: { parse: string[]; users?: string[] };
}

/** What rendering needs besides the input. */
export interface RenderContext {
  /** Now, in ms since the epoch. */
  now: number;
  /** Host name shown in the embed, if known. */
  host?: string;
  /** The user `mention: true` refers to. */
  mentionUserId?: string;
  /** Most messages one STATUS may take; beyond, the text is trimmed with a marker. */
  maxMessages: number;
}

/** Discord's limits. */
export const LIMITS = {
  content: 2000,
  title: 256,
  description: 4096,
  fieldName: 256,
  fieldValue: 1024,
  fields: 25,
  embedTotal: 6000,
  threadName: 100,
} as const;

const STATES: Record<StatusState, { color: number; icon: string; label: string }> = {
  done: { color: 0x2ecc71, icon: "✅", label: "Done" },
  error: { color: 0xe74c3c, icon: "❌", label: "Error" },
  waiting: { color: 0xf1c40f, icon: "⏳", label: "Waiting for input" },
  info: { color: 0x3498db, icon: "ℹ️", label: "Info" },
};

const SNOWFLAKE = /^[0-9]{15,21}$/;

/** Throws a TypeError unless `input` is a valid StatusInput. */
export function validateStatusInput(input: StatusInput): void {
  if (!input || typeof input !== "object") throw new TypeError("status input must be an object");
  const s = input.session;
  if (!s || typeof s.id !== "string" || s.id.trim() === "") {
    throw new TypeError("status input session.id must be a non-empty string");
  }
  if (typeof s.name !== "string" || s.name.trim() === "") {
    throw new TypeError("status input session.name must be a non-empty string");
  }
  if (!(input.state in STATES)) {
    throw new TypeError(
      `status input state must be one of done, error, waiting, info (got ${
        JSON.stringify(input.state)
      })`,
    );
  }
  if (input.title !== undefined && typeof input.title !== "string") {
    throw new TypeError("status input title must be a string");
  }
  if (input.text !== undefined && typeof input.text !== "string") {
    throw new TypeError("status input text must be a string");
  }
  if (input.fields !== undefined) {
    if (!Array.isArray(input.fields)) throw new TypeError("status input fields must be an array");
    for (const f of input.fields) {
      if (!f || typeof f.name !== "string" || typeof f.value !== "string") {
        throw new TypeError("each status field needs a string name and a string value");
      }
    }
  }
  if (
    input.mention !== undefined && typeof input.mention !== "boolean" &&
    !(typeof input.mention === "string" && SNOWFLAKE.test(input.mention))
  ) {
    throw new TypeError("status input mention must be true, false or a Discord user id");
  }
  if (input.startedAt !== undefined) toMillis(input.startedAt);
}

function toMillis(value: Date | number | string): number {
  const ms = value instanceof Date
    ? value.getTime()
    : typeof value === "number"
    ? value
    : Date.parse(value);
  if (!Number.isFinite(ms)) throw new TypeError("status input startedAt is not a valid time");
  return ms;
}

/** Makes text safe for `content`: no @everyone/@here, no markdown from the name. */
export function safeContent(text: string): string {
  return text.replace(/@(everyone|here)/gi, "@\u200b$1");
}

/** Escapes Discord markdown in a short label. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\*_`~|]/g, "\\$&");
}

/** A thread title for a session: its name, trimmed to Discord's 100 characters. */
export function threadNameFor(name: string): string {
  const clean = name.replace(/\s+/g, " ").trim();
  return clean.length <= LIMITS.threadName ? clean : clean.slice(0, LIMITS.threadName - 1) + "…";
}

const FENCE = /^ {0,3}(`{3,}|~{3,})(.*)$/;

/** The fence line left open at the end of `text`, if any. */
function openFence(text: string): string | undefined {
  let open: string | undefined;
  let marker = "";
  for (const line of text.split("\n")) {
    const m = line.match(FENCE);
    if (!m) continue;
    if (open === undefined) {
      open = line.trim();
      marker = m[1];
    } else if (m[1][0] === marker[0] && m[1].length >= marker.length && m[2].trim() === "") {
      open = undefined;
    }
  }
  return open;
}

function cutPoint(text: string, avail: number): { cut: number; skip: number } {
  if (text.length <= avail) return { cut: text.length, skip: 0 };
  const window = text.slice(0, avail + 1);
  const nl = window.lastIndexOf("\n");
  if (nl >= avail * 0.5) return { cut: nl, skip: 1 };
  const sp = window.lastIndexOf(" ");
  if (sp >= avail * 0.5) return { cut: sp, skip: 1 };
  let cut = avail;
  const code = text.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut--; // never split a surrogate pair
  return { cut, skip: 0 };
}

/**
 * Splits `text` into chunks of at most `firstLimit` then `restLimit` characters, at line or
 * word boundaries where possible; a code fence open at a cut is closed and reopened.
 */
export function splitText(text: string, firstLimit: number, restLimit: number): string[] {
  const chunks: string[] = [];
  let rest = text;
  let reopen = "";
  while (rest.length > 0) {
    const limit = chunks.length === 0 ? firstLimit : restLimit;
    const prefix = reopen ? reopen + "\n" : "";
    if (prefix.length + rest.length <= limit) {
      chunks.push(prefix + rest);
      break;
    }
    const avail = Math.max(1, limit - prefix.length - 4);
    const { cut, skip } = cutPoint(rest, avail);
    const piece = prefix + rest.slice(0, cut);
    rest = rest.slice(cut + skip);
    const fence = openFence(piece);
    chunks.push(fence ? piece + "\n" + fence.match(FENCE)![1] : piece);
    reopen = fence ?? "";
  }
  return chunks;
}

function fieldSize(f: { name: string; value: string }): number {
  return f.name.length + f.value.length;
}

/**
 * Renders a STATUS as one or more webhook payloads, in order.
 *
 * The first carries the embed with the meta fields; the text continues in further embeds
 * marked `part i/n`. Beyond `maxMessages` the text is trimmed with a visible marker.
 */
export function renderStatus(input: StatusInput, ctx: RenderContext): WebhookPayload[] {
  const st = STATES[input.state];
  const title = truncate(`${st.icon} ${input.title?.trim() || st.label}`, LIMITS.title);
  const meta: { name: string; value: string; inline: boolean }[] = [
    { name: "Session", value: truncate(input.session.name, LIMITS.fieldValue), inline: true },
  ];
  if (input.cwd) {
    const project = input.cwd.replace(/\/+$/, "").split("/").pop() || input.cwd;
    meta.push({ name: "Project", value: truncate(project, LIMITS.fieldValue), inline: true });
  }
  if (ctx.host) meta.push({ name: "Host", value: truncate(ctx.host, 256), inline: true });
  if (input.startedAt !== undefined) {
    const d = formatDuration(ctx.now - toMillis(input.startedAt));
    meta.push({ name: "Duration", value: d, inline: true });
  }

  let text = input.text?.trim() ?? "";
  const footerRoom = 80;
  const fieldBudget = LIMITS.embedTotal - title.length - footerRoom - Math.min(text.length, 1500) -
    meta.reduce((n, f) => n + fieldSize(f), 0);
  const fields = [...meta];
  const overflow: string[] = [];
  let used = 0;
  for (const f of input.fields ?? []) {
    const name = f.name.trim() || "—";
    const value = f.value.trim() || "—";
    const size = name.length + value.length;
    if (
      name.length <= LIMITS.fieldName && value.length <= LIMITS.fieldValue &&
      fields.length < LIMITS.fields && used + size <= fieldBudget && overflow.length === 0
    ) {
      fields.push({ name, value, inline: f.inline ?? false });
      used += size;
    } else {
      overflow.push(`**${name}**\n${value}`);
    }
  }
  if (overflow.length) text = [text, ...overflow].filter((t) => t !== "").join("\n\n");

  const fixed = title.length + fields.reduce((n, f) => n + fieldSize(f), 0) + footerRoom;
  const firstLimit = Math.min(LIMITS.description, LIMITS.embedTotal - fixed);
  const restLimit = LIMITS.description;
  let chunks = text ? splitText(text, firstLimit, restLimit) : [];
  const max = Math.max(1, ctx.maxMessages);
  if (chunks.length > max) {
    const kept = chunks.slice(0, max);
    const keptChars = kept.reduce((n, c) => n + c.length, 0);
    const marker = (n: number) =>
      `\n\n… [trimmed: ${n} more characters not shown (limit ${max} messages)]`;
    const room = (max === 1 ? firstLimit : restLimit) - marker(text.length).length - 8;
    let last = kept[max - 1];
    if (last.length > room) last = last.slice(0, room);
    const fence = openFence(last);
    if (fence) last += "\n" + fence.match(FENCE)![1];
    const shown = keptChars - kept[max - 1].length + last.length;
    kept[max - 1] = last + marker(Math.max(1, text.length - shown));
    chunks = kept;
  }
  const n = Math.max(1, chunks.length);
  const timestamp = new Date(ctx.now).toISOString();

  const mentionId = input.mention === true
    ? ctx.mentionUserId
    : typeof input.mention === "string"
    ? input.mention
    : undefined;

  const payloads: WebhookPayload[] = [];
  const first: Embed = { title, color: st.color, fields, timestamp };
  if (chunks[0]) first.description = chunks[0];
  if (n > 1) first.footer = { text: `part 1/${n} · continued below` };
  payloads.push({
    ...(mentionId ? { content: `<@${mentionId}>` } : {}),
    embeds: [first],
    allowed_mentions: mentionId ? { parse: [], users: [mentionId] } : { parse: [] },
  });
  for (let i = 1; i < chunks.length; i++) {
    payloads.push({
      embeds: [{
        description: chunks[i],
        color: st.color,
        footer: { text: truncate(`${input.session.name} · part ${i + 1}/${n}`, 256) },
      }],
      allowed_mentions: { parse: [] },
    });
  }
  return payloads;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max - 1) + "…";
}

/** Prefixes a payload with the session's name (for posts straight into a text channel). */
export function withSessionPrefix(payload: WebhookPayload, name: string): WebhookPayload {
  const label = `**[${escapeMarkdown(safeContent(name.slice(0, LIMITS.threadName)))}]**`;
  return {
    ...payload,
    content: payload.content ? `${label} ${payload.content}` : label,
  };
}
