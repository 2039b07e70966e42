/**
 * A session's status card: the first post of its Discord thread, kept current by editing that
 * one message (ARCHITECTURE.md, The status card). It names the project folder, git branch,
 * machine, model and start of the session, and one state line:
 *
 * | state | line |
 * | --- | --- |
 * | working | `working: <last tool> (<n> tools, <elapsed>)` (this turn) |
 * | waiting | `waiting for your approval: <tool call>` |
 * | idle | `idle since <time>` |
 * | stopped | `stopped by <user>` |
 * | error | the API error that ended the turn, in words |
 * | ended | `ended (<reason in words>)` |
 *
 * with the turns, the tokens and an estimate of their cost so far, the session id in the footer
 * and a ⏹ Stop button (stop.ts `stopCustomId`; not on an ended session's card).
 *
 * The SessionStart hook puts the card into the session's outbox queue ({@linkcode cardEntry}),
 * so it opens the session's thread; the bridge edits it (outbox `edit` entries keyed
 * {@linkcode CARD_KEY}). This module only renders: it loads no Discord library (the register
 * hook uses it), so Discord's numbers are named here and a test holds them to discord-api-types.
 *
 * @example Render a working session's card
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderCard } from "./card.ts";
 *
 * const body = renderCard({
 *   session: { id: "3f2a9c1e-0000-4000-8000-000000000000", name: "api-3f2a" },
 *   cwd: "/src/api",
 *   startedAt: "2026-01-01T10:00:00.000Z",
 *   state: { kind: "working", tool: "Bash", tools: 3, since: "2026-01-01T10:00:00.000Z" },
 *   turns: 1,
 * }, Date.parse("2026-01-01T10:00:12.000Z"));
 * const embed = body.embeds![0] as { description: string };
 * assert.equal(embed.description, "🟢 **working: Bash** (3 tools, 12s)");
 * ```
 *
 * @module
 */
import { formatDuration } from "./_shared/duration.ts";
import type { MessageBody, NewEntry } from "./outbox.ts";
import { costOf, type TokenUsage, totalTokens } from "./_card/pricing.ts";
import { stopCustomId } from "./stop.ts";

export type { TokenUsage };
export { MODEL_PRICES, priceOf } from "./_card/pricing.ts";

/** The outbox key of a session's card: its edits name it. */
export const CARD_KEY = "card";

/** What a session is doing, as the card says it. */
export type CardState =
  | { kind: "working"; tool?: string; tools: number; since: string }
  | { kind: "waiting"; tool: string }
  | { kind: "idle"; since: string }
  | { kind: "stopped"; by: string }
  | { kind: "error"; reason: string }
  | { kind: "ended"; reason: string };

/** Everything a card shows. */
export interface CardFacts {
  /** The session. */
  session: { id: string; name: string };
  /** Its working directory (the last part is shown as the project). */
  cwd: string;
  /** When it started (ISO 8601). */
  startedAt: string;
  /** The machine it runs on. */
  machine?: string;
  /** The git branch (from the transcript). */
  branch?: string;
  /** The model last used (from the transcript). */
  model?: string;
  /** The state line. */
  state: CardState;
  /** Turns so far (prompts of the user, wake-ups included). */
  turns?: number;
  /** Tokens so far, per model (from the transcript). */
  usage?: ReadonlyMap<string, TokenUsage>;
}

/** Discord's numbers the card uses (Message Components): held to discord-api-types by a test. */
export const CARD_NUMBERS = {
  /** `ComponentType.ActionRow`. */
  actionRow: 1,
  /** `ComponentType.Button`. */
  button: 2,
  /** `ButtonStyle.Danger`. */
  danger: 4,
} as const;

const LOOK: Record<CardState["kind"], { icon: string; color: number }> = {
  working: { icon: "🟢", color: 0x2ecc71 },
  waiting: { icon: "🟡", color: 0xf1c40f },
  idle: { icon: "💤", color: 0x95a5a6 },
  stopped: { icon: "⏹️", color: 0xe67e22 },
  error: { icon: "❌", color: 0xe74c3c },
  ended: { icon: "⚫", color: 0x34495e },
};

/** Discord's limits on an embed's parts. */
const FIELD_VALUE_MAX = 1024;
const DESCRIPTION_MAX = 4096;
const TITLE_MAX = 256;

/**
 * The outbox entry id of a session's card post: the same for every attempt, so a card queued
 * twice (SessionStart again after a compaction) is posted once (the outbox commits an id once,
 * and Discord answers a repeated nonce with the first message).
 *
 * @param sessionId The session id.
 * @returns `card` and up to 21 letters and digits of the id.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cardEntryId } from "./card.ts";
 * assert.equal(cardEntryId("3f2a9c1e-0000-4000"), "card3f2a9c1e00004000");
 * ```
 */
export function cardEntryId(sessionId: string): string {
  return `card${sessionId.replace(/[^A-Za-z0-9]/g, "").slice(0, 21)}`;
}

/**
 * The outbox entry that posts a session's first card into its thread (opened with it).
 *
 * @param facts What the card shows.
 * @param threadName The session thread's title.
 * @param now The time (ms), for elapsed times.
 * @returns A post entry for `Outbox.enqueue`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CARD_KEY, cardEntry } from "./card.ts";
 * const entry = cardEntry({
 *   session: { id: "abcd1234", name: "web-abcd" }, cwd: "/w/web",
 *   startedAt: new Date().toISOString(), state: { kind: "idle", since: new Date().toISOString() },
 * }, "web-abcd", Date.now());
 * assert(entry.kind === "post" && entry.key === CARD_KEY && entry.threadName === "web-abcd");
 * ```
 */
export function cardEntry(facts: CardFacts, threadName: string, now: number): NewEntry {
  return {
    kind: "post",
    id: cardEntryId(facts.session.id),
    key: CARD_KEY,
    threadName,
    body: renderCard(facts, now),
  };
}

/**
 * The card's state line, Discord markdown.
 *
 * @param state The state.
 * @param now The time (ms), for the elapsed time of a working session.
 * @returns The line with its icon.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stateLine } from "./card.ts";
 * assert.equal(stateLine({ kind: "stopped", by: "ada" }, 0), "⏹️ **stopped by ada**");
 * assert.equal(stateLine({ kind: "ended", reason: "Claude Code exited" }, 0), "⚫ **ended** (Claude Code exited)");
 * ```
 */
export function stateLine(state: CardState, now: number): string {
  const icon = LOOK[state.kind].icon;
  switch (state.kind) {
    case "working": {
      const elapsed = formatElapsed(now - Date.parse(state.since));
      if (state.tool === undefined) return `${icon} **working** (${elapsed})`;
      const n = `${state.tools} tool${state.tools === 1 ? "" : "s"}`;
      return `${icon} **working: ${plain(state.tool, 80)}** (${n}, ${elapsed})`;
    }
    case "waiting":
      return `${icon} **waiting for your approval:** ${code(state.tool, 300)}`;
    case "idle":
      return `${icon} **idle since** ${discordTime(state.since, "t")}`;
    case "stopped":
      return `${icon} **stopped by ${plain(state.by, 80)}**`;
    case "error":
      return `${icon} **${plain(state.reason, 300)}**`;
    case "ended":
      return `${icon} **ended** (${plain(state.reason, 300)})`;
  }
}

/**
 * Renders a card: one embed and, until the session ended, the Stop button.
 *
 * @param facts What the card shows.
 * @param now The time (ms), for elapsed times.
 * @returns The message body (no pings).
 */
export function renderCard(facts: CardFacts, now: number): MessageBody {
  const project = facts.cwd.replace(/\/+$/, "").split("/").pop() || facts.cwd || "—";
  const fields = [
    field("Project", plain(project, 100)),
    field("Branch", facts.branch ? plain(facts.branch, 100) : "—"),
    field("Machine", facts.machine ? plain(facts.machine, 100) : "—"),
    field("Model", facts.model ? plain(facts.model, 100) : "—"),
    field("Started", discordTime(facts.startedAt, "f")),
    field("Turns", String(facts.turns ?? 0)),
    field("Tokens", facts.usage ? tokensText(facts.usage) : "—"),
    field("Cost", facts.usage ? costText(facts.usage) : "—"),
  ];
  const embed = {
    title: clip(facts.session.name, TITLE_MAX),
    description: clip(stateLine(facts.state, now), DESCRIPTION_MAX),
    color: LOOK[facts.state.kind].color,
    fields,
    footer: { text: `session ${facts.session.id}` },
  };
  const components = facts.state.kind === "ended" ? [] : [{
    type: CARD_NUMBERS.actionRow,
    components: [{
      type: CARD_NUMBERS.button,
      style: CARD_NUMBERS.danger,
      label: "Stop",
      emoji: { name: "⏹️" },
      custom_id: stopCustomId(facts.session.id),
    }],
  }];
  return { embeds: [embed], components, allowed_mentions: { parse: [] } };
}

function field(name: string, value: string): { name: string; value: string; inline: boolean } {
  return { name, value: clip(value, FIELD_VALUE_MAX), inline: true };
}

/** `12.3k tokens (in 10k · out 1.2k · cache 1.1k)`. */
function tokensText(usage: ReadonlyMap<string, TokenUsage>): string {
  let input = 0, output = 0, cache = 0;
  for (const u of usage.values()) {
    input += u.input;
    output += u.output;
    cache += u.cacheWrite + u.cacheWrite1h + u.cacheRead;
  }
  const total = [...usage.values()].reduce((n, u) => n + totalTokens(u), 0);
  return `${count(total)} (in ${count(input)} · out ${count(output)} · cache ${count(cache)})`;
}

function costText(usage: ReadonlyMap<string, TokenUsage>): string {
  const cost = costOf(usage);
  if ("unknown" in cost) return `unknown model (${plain(cost.unknown.join(", "), 200)})`;
  const usd = cost.usd;
  return `~$${usd < 0.1 ? usd.toFixed(3) : usd.toFixed(2)}`;
}

/** `950`, `12.3k`, `4.1M`. */
function count(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}

/**
 * `42s`, `3m 05s`, `2h 03m`, `1d 02h`.
 *
 * @param ms A duration.
 * @returns It in words.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatElapsed } from "./card.ts";
 * assert.equal(formatElapsed(185_000), "3m 05s");
 * ```
 */
export function formatElapsed(ms: number): string {
  return formatDuration(ms);
}

/** A Discord timestamp (shown in the reader's time zone): `<t:1700000000:f>`. */
function discordTime(iso: string, style: "t" | "f"): string {
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? `<t:${Math.floor(ms / 1000)}:${style}>` : "—";
}

/** Text shown as is: markdown escaped, mass mentions broken, one line, clipped. */
function plain(text: string, max: number): string {
  return clip(text.replace(/\s+/g, " ").trim(), max).replace(/[\\*_`~|<>#[\]]/g, "\\$&")
    .replace(/@(everyone|here)/gi, "@\u200b$1");
}

/** Text in a code span: its backticks replaced, one line, clipped. */
function code(text: string, max: number): string {
  return `\`${clip(text.replace(/\s+/g, " ").trim(), max).replaceAll("`", "ˋ")}\``;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max - 1) + "…";
}
