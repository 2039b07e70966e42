// Private: text handling of the MCP server: splitting long replies into Discord-sized
// messages, and rendering channel history and mailbox events for Claude.
import type { InboxEvent } from "../inbox.ts";

/** Discord's content limit per message. */
export const MESSAGE_LIMIT = 2000;

/** The subset of a Discord message the MCP server reads. */
export interface DiscordMessage {
  id: string;
  channel_id: string;
  author: { id: string; username: string; global_name?: string | null; bot?: boolean };
  content: string;
  timestamp: string;
  edited_timestamp?: string | null;
  attachments?: { filename: string; size: number; url: string }[];
  embeds?: { title?: string; description?: string }[];
  message_reference?: { message_id?: string };
  webhook_id?: string;
  type?: number;
}

const FENCE = /^ {0,3}(`{3,}|~{3,})(.*)$/;

/**
 * Splits `text` into pieces of at most `limit` characters, cutting at a line break, else
 * at a space, else anywhere (never inside a surrogate pair). A code block cut in two is
 * closed at the end of one piece and reopened (same fence and language) in the next.
 */
export function chunkText(text: string, limit: number = MESSAGE_LIMIT): string[] {
  if (limit < 40) throw new RangeError(`limit must be at least 40, got ${limit}`);
  const chunks: string[] = [];
  let rest = text;
  let reopen = ""; // the fence line to reopen with, when the previous piece cut a block
  while (rest.length > 0) {
    const prefix = reopen ? `${reopen}\n` : "";
    if (prefix.length + rest.length <= limit) {
      chunks.push(prefix + rest);
      break;
    }
    // Room for the prefix and a closing fence ("\n" + up to 10 fence characters).
    const budget = limit - prefix.length - 11;
    const cut = findCut(rest, budget);
    const piece = rest.slice(0, cut).replace(/[ \t]+$/, "");
    rest = rest.slice(cut);
    if (rest.startsWith("\n")) rest = rest.slice(1);
    else if (rest.startsWith(" ")) rest = rest.replace(/^ +/, "");
    const open = openFence(prefix + piece);
    if (open) {
      chunks.push(`${prefix}${piece}\n${open.marker}`);
      reopen = open.line;
    } else {
      chunks.push(prefix + piece);
      reopen = "";
    }
  }
  return chunks.filter((c) => c.trim() !== "");
}

function findCut(text: string, budget: number): number {
  const window = text.slice(0, budget + 1);
  const floor = Math.floor(budget / 2);
  const newline = window.lastIndexOf("\n", budget);
  if (newline >= floor) return newline;
  const space = window.lastIndexOf(" ", budget);
  if (space >= floor) return space;
  let cut = budget;
  const code = text.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut--;
  return cut;
}

function openFence(text: string): { line: string; marker: string } | undefined {
  let open: { line: string; marker: string } | undefined;
  for (const line of text.split("\n")) {
    const m = line.match(FENCE);
    if (!m) continue;
    if (!open) open = { line: line.trimStart(), marker: m[1] };
    else if (m[1][0] === open.marker[0] && m[1].length >= open.marker.length && !m[2].trim()) {
      open = undefined;
    }
  }
  return open;
}

/** `2025-01-02 03:04:05 UTC` from an ISO time (the input itself when it does not parse). */
export function formatTime(iso: string): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  return new Date(t).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
}

function authorName(m: DiscordMessage, botId: string | undefined): string {
  const name = m.author.global_name || m.author.username;
  if (m.author.id === botId) return `${name} (this bot, you)`;
  if (m.webhook_id) return `${name} (webhook)`;
  if (m.author.bot) return `${name} (bot)`;
  return name;
}

/**
 * Renders history oldest first, one block per message:
 * `[time] name (user id) · message id [· reply to id] [· edited]` then the content.
 */
export function formatHistory(
  messages: DiscordMessage[],
  options: { botId?: string; channelLabel: string },
): string {
  if (messages.length === 0) return `No messages in ${options.channelLabel}.`;
  const ordered = [...messages].sort((a, b) => compareIds(a.id, b.id));
  const blocks = ordered.map((m) => {
    const head = [
      `[${formatTime(m.timestamp)}] ${authorName(m, options.botId)} (user ${m.author.id})`,
      `message ${m.id}`,
    ];
    if (m.message_reference?.message_id) head.push(`reply to ${m.message_reference.message_id}`);
    if (m.edited_timestamp) head.push("edited");
    const lines = [head.join(" · ")];
    if (m.content) lines.push(m.content);
    for (const e of m.embeds ?? []) {
      const text = [e.title, e.description].filter(Boolean).join(": ");
      if (text) lines.push(`[embed] ${text}`);
    }
    for (const a of m.attachments ?? []) {
      lines.push(`[attachment] ${a.filename} (${formatBytes(a.size)}) ${a.url}`);
    }
    if (lines.length === 1) lines.push("(no text)");
    return lines.join("\n");
  });
  return `${messages.length} message(s) in ${options.channelLabel}, oldest first:\n\n${
    blocks.join("\n\n")
  }`;
}

/** Orders snowflakes numerically. */
export function compareIds(a: string, b: string): number {
  return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
}

/** `1.5 MiB`, `12 KiB`, `300 B`. */
export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1).replace(/\.0$/, "")} MiB`;
  if (n >= 1024) return `${Math.round(n / 1024)} KiB`;
  return `${n} B`;
}

/** What a channel notification carries: the text and `meta` attributes (string values). */
export interface ChannelPayload {
  content: string;
  meta: Record<string, string>;
}

/**
 * Frames one mailbox event for a channel notification. The text says who wrote it and
 * where, as data from a Discord user; `meta` carries the ids Claude needs to answer
 * (`chat_id` is where `reply` should go).
 */
export function channelPayload(event: InboxEvent): ChannelPayload {
  const where = event.threadId ? `thread ${event.threadId}` : `channel ${event.channelId}`;
  const who = `${event.author.name} (Discord user ${event.author.id})`;
  const when = formatTime(event.timestamp);
  let what: string;
  if (event.kind === "button") {
    what = `${who} clicked the button "${event.customId ?? "?"}" on message ${
      event.targetMessageId ?? "?"
    } in ${where} at ${when}.`;
  } else if (event.kind === "reaction") {
    what = `${who} reacted ${event.emoji ?? "?"} to message ${
      event.targetMessageId ?? "?"
    } in ${where} at ${when}.`;
  } else {
    const reply = event.replyTo ? `, replying to message ${event.replyTo.messageId}` : "";
    what = `Discord message ${event.id} from ${who} in ${where} at ${when}${reply}:\n${
      event.content || "(no text)"
    }`;
  }
  const files = event.attachments.map((a) =>
    `[attachment] ${a.filename} (${formatBytes(a.size)}) ${a.url}`
  );
  const meta: Record<string, string> = {
    source: "discord",
    kind: event.kind,
    chat_id: event.threadId ?? event.channelId,
    message_id: event.targetMessageId ?? event.id,
    user: event.author.name,
    user_id: event.author.id,
    ts: event.timestamp,
  };
  if (event.threadId) meta.thread_id = event.threadId;
  if (event.replyTo) meta.reply_to = event.replyTo.messageId;
  return { content: [what, ...files].join("\n"), meta };
}
