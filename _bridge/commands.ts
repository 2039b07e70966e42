// Private: the bridge's slash commands (ARCHITECTURE.md, "Slash commands"): it registers
// `/sessions`, `/status` and `/stop` in its guild at READY (_discord/commands.ts: a bulk overwrite
// only when the guild's set differs) and answers them, and `/stop`'s autocomplete.
//
// Answers compose across several bridges of one bot (one per machine), each of which sees every
// interaction: `/sessions` and `/status` are deferred by every bridge (Discord takes the first
// deferral and refuses the others with 40060) and each posts one ephemeral follow-up with its own
// machine's part; `/stop` is answered by the bridge that owns the session (a bridge that does not
// know it answers "no such session" only after FALLBACK_MS, so the owner's answer comes first);
// autocomplete offers this machine's sessions (Discord keeps the first answer). Users off the
// allowlist get "not allowed" and see no session.
import { describeError, type Logger } from "../log.ts";
import type { SessionRecord, SessionRegistry } from "../sessions.ts";
import { readStop } from "../stop.ts";
import { InteractionType } from "../_discord/numbers.ts";
import type { RawCommandOption, RawInteraction } from "../_discord/raw.ts";
import type { DiscordRest } from "../_discord/rest.ts";
import { STOP_SESSION_OPTION, syncGuildCommands } from "../_discord/commands.ts";
import {
  type AnswerOutcome,
  type Choice,
  type InteractionAnswers,
  MAX_CHOICES,
} from "./answers.ts";
import { answerText, type Stopper } from "./stop.ts";
import { displayName } from "./events.ts";

/** How long a bridge that does not know a `/stop` session waits before saying so. */
export const FALLBACK_MS = 1500;

/** The bridge's health, for `/status`. */
export interface Health {
  /** Gateway state (`connected`, `reconnecting`, …). */
  state: string;
  /** ISO time of the last state change. */
  since: string;
  /** Mailbox lines written since the bridge started. */
  delivered: number;
  /** Messages held for the next session to start. */
  held: number;
  /** Outbox entries waiting to be sent (all sessions). */
  outboxPending: number;
  /** Outbox entries sent since the bridge started. */
  sent: number;
  /** Outbox entries Discord refused for good since the bridge started. */
  failed: number;
  /** The last error the bridge logged, with its time. */
  lastError?: { at: string; message: string };
}

/** What the commands need from the bridge. */
export interface CommandDeps {
  /** The REST client that registers the commands. */
  rest: DiscordRest;
  /** Answers interactions (a short time budget). */
  answers: InteractionAnswers;
  /** Stops this machine's sessions. */
  stopper: Stopper;
  /** This machine's sessions. */
  registry: SessionRegistry;
  /** The state directory (stop markers). */
  home: string;
  /** Users who get answers. */
  allowed: ReadonlySet<string>;
  log: Logger;
  now: () => number;
  /** The guild of the chat channel ("" until known). */
  guildId: () => string;
  /** This machine's label. */
  machine: () => string;
  /** The bridge's health now. */
  health: () => Promise<Health>;
  /** A session's state in words (the card's), when known. */
  stateOf?: (session: SessionRecord) => string | undefined;
  /** Overrides {@linkcode FALLBACK_MS} (tests). */
  fallbackMs?: number;
}

/** Registers and answers the bridge's slash commands. */
export class SlashCommands {
  readonly #d: CommandDeps;
  #registering: Promise<void> | undefined;
  #synced = false;

  /** @param deps REST, answers, stopper, registry, allowlist, clock, machine, health. */
  constructor(deps: CommandDeps) {
    this.#d = deps;
  }

  /** Whether the guild's commands were found current (or made so) since the bridge started. */
  get synced(): boolean {
    return this.#synced;
  }

  /**
   * Makes the guild's commands current (at READY, and at the first RESUMED of a bridge that
   * resumed its session): one GET, and a PUT only when they differ. Failures are logged (the
   * commands are missing until the next READY).
   *
   * @param applicationId READY's `application.id`; without it, the application is read.
   */
  register(applicationId?: string): Promise<void> {
    const guildId = this.#d.guildId();
    if (!guildId || this.#registering) return this.#registering ?? Promise.resolve();
    const rest = this.#d.rest;
    const app = applicationId ??
      rest.request<{ id: string }>("GET", "/applications/@me", { what: "read the application" })
        .then((a) => a.id);
    this.#registering = Promise.resolve(app).then((id) => syncGuildCommands(rest, id, guildId))
      .then(
        (outcome) => {
          this.#synced = true;
          if (outcome === "registered") {
            this.#d.log.info(`slash commands registered in guild ${guildId}`);
          }
        },
        (err) =>
          this.#d.log.warn(
            `cannot register the slash commands (/sessions, /status, /stop): ${
              describeError(err)
            }; ` +
              "invite the bot again with the URL `deno task setup` prints (scope applications.commands)",
          ),
      ).finally(() => (this.#registering = undefined));
    return this.#registering;
  }

  /**
   * Handles a slash command or an autocomplete of ours.
   *
   * @returns Whether the interaction was one (handled here).
   */
  onInteraction(i: RawInteraction): boolean {
    const name = i.data?.name;
    if (name !== "sessions" && name !== "status" && name !== "stop") return false;
    if (i.type === InteractionType.ApplicationCommandAutocomplete) {
      void this.#autocomplete(i);
      return true;
    }
    if (i.type !== InteractionType.ApplicationCommand) return false;
    const run = name === "stop" ? this.#stop(i) : this.#deferred(i, name);
    run.catch((err) => this.#d.log.error(`/${name} failed`, err));
    return true;
  }

  #allowed(i: RawInteraction): { id: string; name: string } | undefined {
    const user = i.member?.user ?? i.user;
    if (!user?.id || !this.#d.allowed.has(user.id)) return undefined;
    return { id: user.id, name: displayName(user, user.id) };
  }

  /** `/sessions` and `/status`: deferred by every bridge, one follow-up each with its part. */
  async #deferred(i: RawInteraction, name: "sessions" | "status"): Promise<void> {
    const user = this.#allowed(i);
    const deferred: AnswerOutcome = await this.#d.answers.defer(i);
    if (deferred === "failed") return;
    if (user === undefined) {
      // One "not allowed" in all: from the bridge whose deferral Discord took.
      if (deferred === "answered") await this.#d.answers.followUp(i, NOT_ALLOWED);
      return;
    }
    const text = name === "sessions"
      ? this.sessionsText()
      : statusText(this.#d.machine(), await this.#d.health(), this.#d.now());
    await this.#d.answers.followUp(i, text);
  }

  /** `/stop session:<id>`: answered by the bridge that owns the session. */
  async #stop(i: RawInteraction): Promise<void> {
    const user = this.#allowed(i);
    if (user === undefined) {
      await this.#d.answers.reply(i, NOT_ALLOWED);
      return;
    }
    const value = String(optionValue(i.data?.options, STOP_SESSION_OPTION) ?? "").trim();
    const session = this.#find(value);
    if (session !== undefined) {
      const text = answerText(this.#d.stopper.stop(session.id, user, "command"));
      if (text !== undefined) await this.#d.answers.reply(i, text);
      return;
    }
    // Not this machine's: its owner answers; if none does, this answer says so.
    await new Promise((resolve) => setTimeout(resolve, this.#d.fallbackMs ?? FALLBACK_MS));
    await this.#d.answers.reply(
      i,
      `No live session ${
        value ? `"${value}"` : "given"
      }: pick one from the list \`/stop\` offers ` +
        "(`/sessions` shows them all).",
    );
  }

  /** This machine's session with the id, or live session with the name. */
  #find(value: string): SessionRecord | undefined {
    if (value === "") return undefined;
    return this.#d.stopper.own(value) ?? this.#d.registry.findByName(value);
  }

  async #autocomplete(i: RawInteraction): Promise<void> {
    if (this.#allowed(i) === undefined) {
      await this.#d.answers.choices(i, []); // strangers see no session
      return;
    }
    const typed = String(focusedValue(i.data?.options) ?? "").trim().toLowerCase();
    const machine = this.#d.machine();
    const choices: Choice[] = [];
    for (const s of this.#d.registry.list({ live: true }).reverse()) {
      const label = clipChoice(`${s.name} · ${machine} · ${projectOf(s)}`);
      if (typed && !`${label} ${s.id}`.toLowerCase().includes(typed)) continue;
      choices.push({ name: label, value: s.id });
      if (choices.length === MAX_CHOICES) break;
    }
    await this.#d.answers.choices(i, choices);
  }

  /** This machine's part of `/sessions`. */
  sessionsText(): string {
    const machine = this.#d.machine();
    const live = this.#d.registry.list({ live: true });
    if (live.length === 0) return `**${machine}**: no live session.`;
    const lines = live.map((s) => {
      const thread = s.threadId ? ` · <#${s.threadId}>` : " · no thread yet";
      return `• **${s.name}** · ${machine} · \`${projectOf(s)}\` · ${this.#stateOf(s)} · ` +
        `${age(this.#d.now() - Date.parse(s.started))}${thread}`;
    });
    return `**${machine}**: ${live.length} live session${live.length === 1 ? "" : "s"}\n${
      lines.join("\n")
    }`;
  }

  #stateOf(s: SessionRecord): string {
    const stop = readStop(this.#d.home, s.id, (m) => this.#d.log.warn(m));
    if (stop !== undefined) {
      return stop.appliedAt ? `stopped by ${stop.by}` : `stopping (asked by ${stop.by})`;
    }
    return this.#d.stateOf?.(s) ?? "live";
  }
}

const NOT_ALLOWED =
  "Not allowed: only users on this bot's allowlist can use claude-discord's commands.";

/** `/status`'s part of one machine. */
export function statusText(machine: string, h: Health, now: number): string {
  const since = Math.floor(Date.parse(h.since) / 1000);
  const lines = [
    `**${machine}**: bridge ${h.state} since <t:${since}:R>`,
    `delivered ${h.delivered} · held ${h.held} · outbox ${h.outboxPending} waiting ` +
    `(sent ${h.sent}, refused ${h.failed})`,
    h.lastError
      ? `last error ${age(now - Date.parse(h.lastError.at))} ago: ${
        h.lastError.message.slice(0, 300)
      }`
      : "no error logged",
  ];
  return lines.join("\n");
}

/** The project folder of a session (its working directory's last part). */
function projectOf(s: SessionRecord): string {
  return s.cwd.replace(/\/+$/, "").split("/").pop() || s.cwd || "?";
}

/**
 * A duration in words: `45 s`, `12 min`, `3 h 5 min`, `2 d 4 h`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { age } from "./commands.ts";
 * assert.equal(age(45_000), "45 s");
 * assert.equal(age(3 * 3600_000 + 5 * 60_000), "3 h 5 min");
 * ```
 */
export function age(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 24) return `${h} h ${min % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

function clipChoice(name: string): string {
  return name.length <= 100 ? name : `${name.slice(0, 99)}…`;
}

function optionValue(
  options: RawCommandOption[] | undefined,
  name: string,
): string | number | boolean | undefined {
  return options?.find((o) => o.name === name)?.value;
}

function focusedValue(
  options: RawCommandOption[] | undefined,
): string | number | boolean | undefined {
  for (const o of options ?? []) {
    if (o.focused) return o.value;
    const inner = focusedValue(o.options);
    if (inner !== undefined) return inner;
  }
  return undefined;
}
