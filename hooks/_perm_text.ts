// Private: what a permission prompt says, and what counts as an answer to it.
import type { InboxEvent } from "../inbox.ts";
import { type PermRule, ruleText } from "./_perm_rule.ts";

/** Prefix of the prompt buttons' custom ids: `cd:perm:<requestId>:allow|deny|always`. */
export const PERM_PREFIX = "cd:perm:";

/** A decision from Discord. `always` = allow, and allow the same for the rest of the session. */
export type PermDecision = "allow" | "deny" | "always";

/** An accepted answer. */
export interface PermAnswer {
  /** What was decided. */
  decision: PermDecision;
  /** Who decided (an allowlisted Discord user). */
  by: { id: string; name: string };
  /** How: a button, a reaction or a text reply; `stop`: the session was stopped (stop.ts). */
  via: "button" | "reaction" | "text" | "stop";
  /** The event that carried it. */
  eventId: string;
}

/** The mailbox the bridge fills with clicks and reactions on a prompt (its posts owner). */
export function permMailbox(requestId: string): string {
  return `perm-${requestId}`;
}

const TEXT_ANSWER =
  /^\s*(allow|deny|always|allow always|allow for (?:this|the) session)\s*[.!]?\s*$/i;

/** Reads a text reply: `allow`, `deny`, `always` / `allow always` / `allow for this session`. */
export function textDecision(content: string): PermDecision | undefined {
  const m = content.match(TEXT_ANSWER);
  if (!m) return undefined;
  const word = m[1].toLowerCase();
  return word === "allow" ? "allow" : word === "deny" ? "deny" : "always";
}

const ALLOW_EMOJI = new Set(["✅", "👍", "☑️", "✔️"]);
const DENY_EMOJI = new Set(["❌", "👎", "🚫", "⛔"]);

function snowflakeAfter(a: string, b: string): boolean {
  try {
    return BigInt(a) > BigInt(b);
  } catch (err) {
    if (err instanceof SyntaxError) return false; // not snowflakes
    throw err;
  }
}

/** What an answer must match. */
export interface AnswerRules {
  /** The request id in the buttons' custom ids. */
  requestId: string;
  /** The prompt message. */
  promptMessageId: string;
  /** The channel (thread) the prompt was posted in. */
  channelId: string;
  /** Allowlisted user ids. */
  allowed: ReadonlySet<string>;
  /** Whether a plain text `allow` in the thread (not a Discord reply) may answer: only when this is the session's only open prompt. */
  plainTextAnswers: boolean;
}

/**
 * Reads an event as an answer to one prompt.
 *
 * @param e The event.
 * @param rules What must match.
 * @returns The answer, or a reason string when the event is not one.
 */
export function answerOf(e: InboxEvent, rules: AnswerRules): PermAnswer | string {
  if (!rules.allowed.has(e.author.id)) return `user ${e.author.id} is not on the allowlist`;
  const by = { id: e.author.id, name: e.author.name };
  if (e.kind === "button") {
    const id = e.customId ?? "";
    const prefix = `${PERM_PREFIX}${rules.requestId}:`;
    if (!id.startsWith(prefix)) return `button ${id} belongs to another prompt`;
    const choice = id.slice(prefix.length);
    if (choice !== "allow" && choice !== "deny" && choice !== "always") {
      return `unknown button ${id}`;
    }
    return { decision: choice, by, via: "button", eventId: e.id };
  }
  if (e.kind === "reaction") {
    if (e.targetMessageId !== rules.promptMessageId) return "reaction on another message";
    const emoji = e.emoji ?? "";
    if (ALLOW_EMOJI.has(emoji)) return { decision: "allow", by, via: "reaction", eventId: e.id };
    if (DENY_EMOJI.has(emoji)) return { decision: "deny", by, via: "reaction", eventId: e.id };
    return `reaction ${emoji} is no answer`;
  }
  const decision = textDecision(e.content ?? "");
  if (decision === undefined) return "text is no answer";
  if (!snowflakeAfter(e.id, rules.promptMessageId)) return "text is older than the prompt";
  const isReply = e.replyTo?.messageId === rules.promptMessageId;
  const inPlace = e.channelId === rules.channelId;
  if (!isReply && !(inPlace && rules.plainTextAnswers)) {
    return "text is not a reply to this prompt";
  }
  return { decision, by, via: "text", eventId: e.id };
}

function clip(text: string, max: number): string {
  return text.length > max
    ? `${text.slice(0, max)}\n[… ${text.length - max} more characters]`
    : text;
}

function fence(text: string): string {
  return "```\n" + text.replaceAll("```", "`\u200b``") + "\n```";
}

function field(input: unknown, key: string): string | undefined {
  if (input === null || typeof input !== "object") return undefined;
  const v = (input as Record<string, unknown>)[key];
  return typeof v === "string" ? v : undefined;
}

/**
 * A short, readable preview of a tool call (command, file, URL, …).
 *
 * @param tool The tool name.
 * @param input The tool input.
 * @param max Longest preview.
 * @returns Markdown for the prompt.
 */
export function toolPreview(tool: string, input: unknown, max = 1200): string {
  const path = field(input, "file_path") ?? field(input, "path") ?? field(input, "notebook_path");
  switch (tool) {
    case "Bash": {
      const description = field(input, "description");
      return (description ? `${description}\n` : "") +
        fence(clip(field(input, "command") ?? "", max));
    }
    case "Write":
      return `File \`${path ?? "?"}\`\n${
        fence(clip(field(input, "content") ?? "", Math.min(max, 600)))
      }`;
    case "Edit":
    case "MultiEdit": {
      const old = field(input, "old_string");
      const neu = field(input, "new_string");
      if (old === undefined && neu === undefined) return `File \`${path ?? "?"}\``;
      return `File \`${path ?? "?"}\`\n${
        fence(clip(`- ${old ?? ""}\n+ ${neu ?? ""}`, Math.min(max, 600)))
      }`;
    }
    case "Read":
    case "NotebookEdit":
      return `File \`${path ?? "?"}\``;
    case "WebFetch":
      return `URL ${field(input, "url") ?? "?"}`;
    case "WebSearch":
      return `Search: ${field(input, "query") ?? "?"}`;
    default: {
      let json: string;
      try {
        json = JSON.stringify(input, null, 1) ?? "";
      } catch (err) {
        if (!(err instanceof TypeError)) throw err; // a cycle or a BigInt
        json = String(input);
      }
      return fence(clip(json, max));
    }
  }
}

/** One line of plain text for logs and the audit file. */
export function toolSummary(tool: string, input: unknown, max = 300): string {
  const main = field(input, "command") ?? field(input, "file_path") ?? field(input, "url") ??
    field(input, "path") ?? field(input, "query");
  let text = main;
  if (text === undefined) {
    try {
      text = JSON.stringify(input) ?? "";
    } catch (err) {
      if (!(err instanceof TypeError)) throw err; // a cycle or a BigInt
      text = "";
    }
  }
  text = text.replace(/\s+/g, " ");
  return `${tool}${text ? `: ${text.length > max ? text.slice(0, max) + "…" : text}` : ""}`;
}

/** How the session that asks was started, as far as an unanswered prompt's fate goes. */
export type PromptMode = "interactive" | "print" | "other";

/**
 * The mode from `CLAUDE_CODE_ENTRYPOINT`: `cli` is the interactive terminal, `sdk-cli` is
 * `claude -p` (checked with the real CLI in tests/e2e/).
 *
 * @param entrypoint The variable's value.
 * @returns The mode.
 */
export function promptMode(entrypoint: string | undefined): PromptMode {
  return entrypoint === "cli" ? "interactive" : entrypoint === "sdk-cli" ? "print" : "other";
}

function duration(seconds: number): string {
  return seconds >= 120 ? `${Math.round(seconds / 60)} min` : `${seconds} s`;
}

/**
 * What happens to the request without an answer from Discord, as checked with the real CLI:
 * an interactive session shows its terminal dialog at once and takes the first answer from
 * either side; `claude -p` has no terminal to ask in and refuses the tool call.
 */
function fate(mode: PromptMode, timeoutSeconds: number): string {
  const within = `No answer here within ${duration(timeoutSeconds)}`;
  switch (mode) {
    case "interactive":
      return "The same question is open in the terminal: the first answer, here or there, " +
        `counts. ${within}: this prompt closes, the terminal's stays.`;
    case "print":
      return `${within}: the tool call is refused (\`claude -p\` has no terminal to ask in).`;
    case "other":
      return `${within}: Claude Code decides as it does without Discord.`;
  }
}

/**
 * The prompt message's text (≤ 2000 characters, Discord's limit).
 *
 * @param o What to say: the session, the tool call, the timeout, how the session runs, and the
 *   rules "Allow for this session" adds (empty: that button is not offered).
 * @returns Markdown.
 */
export function promptContent(o: {
  sessionName: string;
  tool: string;
  input: unknown;
  timeoutSeconds: number;
  mode: PromptMode;
  sessionRules: readonly PermRule[];
  mentionUserId?: string;
}): string {
  const head = `${o.mentionUserId ? `<@${o.mentionUserId}> ` : ""}**Permission request** · ` +
    `session \`${o.sessionName}\`\nClaude wants to use **${o.tool}**:\n`;
  const session = o.sessionRules.length === 0
    ? ""
    : `\n**Allow for this session** adds the rule ${
      o.sessionRules.map((r) => `\`${ruleText(r)}\``).join(", ")
    } until the session ends; nothing else changes.`;
  const foot = `${session}\nAnswer with a button, or reply \`allow\` or \`deny\` ` +
    `(allowlisted users only). ${fate(o.mode, o.timeoutSeconds)}`;
  const room = 1990 - head.length - foot.length;
  return head + toolPreview(o.tool, o.input, Math.max(200, room - 40)).slice(0, room) + foot;
}

/**
 * The line appended to the prompt when it is settled.
 *
 * @param answer The answer, or `undefined` on timeout.
 * @param o The timeout, the session's mode, and the rules an "always" answer added (empty: it
 *   allowed this call only).
 * @returns Markdown.
 */
export function outcomeLine(
  answer: PermAnswer | undefined,
  o: { timeoutSeconds: number; mode: PromptMode; sessionRules: readonly PermRule[] },
): string {
  if (answer === undefined) {
    const within = `**No answer within ${duration(o.timeoutSeconds)}**`;
    switch (o.mode) {
      case "interactive":
        return `${within}: the question is still open in the terminal.`;
      case "print":
        return `${within}: the tool call was refused.`;
      case "other":
        return `${within}: Claude Code decides as it does without Discord.`;
    }
  }
  const who = `${answer.by.name} (<@${answer.by.id}>)`;
  const how = answer.via === "button" ? "" : ` (${answer.via})`;
  switch (answer.decision) {
    case "allow":
      return `**Allowed** by ${who}${how}.`;
    case "always":
      return o.sessionRules.length === 0
        ? `**Allowed** by ${who}${how}, this call only: no rule names it exactly.`
        : `**Allowed for this session** by ${who}${how}: rule ${
          o.sessionRules.map((r) => `\`${ruleText(r)}\``).join(", ")
        } added until the session ends.`;
    case "deny":
      return answer.via === "stop"
        ? `**Denied**: the session was stopped from Discord by ${who}.`
        : `**Denied** by ${who}${how}.`;
  }
}
