// Private: Stop from Discord, the bridge's side (ARCHITECTURE.md, "Stop from Discord"): an
// allowlisted user's ⏹ Stop click on a session's card (`cd:stop:<sessionId>`), `/stop` (see
// commands.ts) or `stop` typed alone in the session's thread writes the session's stop marker
// (stop.ts), which the session's hooks act on, and a line in the audit log.
//
// Ownership is by session id: a bridge acts only on sessions of its own registry (its machine's
// state directory). A click on another machine's session is left to that machine's bridge: this
// one does not even answer it.
import { appendAudit } from "../_shared/audit.ts";
import type { InboxEvent } from "../inbox.ts";
import { describeError, type Logger } from "../log.ts";
import type { SessionRecord, SessionRegistry } from "../sessions.ts";
import { requestStop, sessionOfStopButton, type StopRequest, type StopVia } from "../stop.ts";
import type { RawInteraction } from "../_discord/raw.ts";
import { timeOfSnowflake } from "../_discord/snowflake.ts";
import type { InteractionAnswers } from "./answers.ts";
import { displayName } from "./events.ts";

/** A `stop` typed in a thread counts only this soon after it was written (catch-up after a long outage must not stop a later turn). */
export const STOP_TEXT_MAX_AGE_MS = 5 * 60_000;

/** What a stop needs from the bridge. */
export interface StopDeps {
  /** The state directory. */
  home: string;
  log: Logger;
  now: () => number;
  /** This machine's sessions. */
  registry: SessionRegistry;
  /** Users who may stop sessions. */
  allowed: ReadonlySet<string>;
  /** The session that owns a thread (the registry's, or the poster of its starter message). */
  threadOwner: (threadId: string) => string | undefined;
  /** Adds the bot's reaction to a message (the acknowledgement of a typed `stop`). */
  react: (channelId: string, messageId: string, emoji: string) => Promise<void>;
  /** Told after every stop written (the card shows it). */
  onStop?: (session: SessionRecord, stop: StopRequest) => void;
}

/** What became of a request to stop a session. */
export type StopOutcome =
  | { stopped: SessionRecord; stop: StopRequest }
  | { refused: "not-allowed" | "ended" | "failed"; session: SessionRecord }
  | { notMine: true };

/** The emoji the bridge reacts with to a typed `stop` it acted on. */
export const STOPPED_EMOJI = "⏹️";

/**
 * Whether a message is the word `stop` alone (any case, blanks and a final `.` or `!` aside).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isStopText } from "./stop.ts";
 * assert(isStopText(" Stop! ") && isStopText("STOP"));
 * assert(!isStopText("stop the tests") && !isStopText("don't stop"));
 * ```
 */
export function isStopText(content: string): boolean {
  return /^\s*stop\s*[.!]?\s*$/i.test(content);
}

/** Stops sessions of this machine for allowlisted users. */
export class Stopper {
  readonly #d: StopDeps;

  /** @param deps The state directory, registry, allowlist, logger and hooks. */
  constructor(deps: StopDeps) {
    this.#d = deps;
  }

  /** This machine's record of a session, if it has one (live or not). */
  own(sessionId: string): SessionRecord | undefined {
    try {
      return this.#d.registry.get(sessionId);
    } catch (err) {
      if (err instanceof TypeError) return undefined; // not a session id at all
      throw err;
    }
  }

  /** Whether a session of this machine is live. */
  live(record: SessionRecord): boolean {
    return this.#d.registry.isLive(record);
  }

  /**
   * Stops a session of this machine when the user is allowlisted and the session is live.
   *
   * @param sessionId The session.
   * @param user Who asks.
   * @param via How.
   * @returns What happened; `notMine` when this machine does not know the session.
   */
  stop(sessionId: string, user: { id: string; name: string }, via: StopVia): StopOutcome {
    const session = this.own(sessionId);
    if (session === undefined) return { notMine: true };
    if (!this.#d.allowed.has(user.id)) return { refused: "not-allowed", session };
    if (!this.live(session)) return { refused: "ended", session };
    let stop: StopRequest;
    try {
      stop = requestStop(
        this.#d.home,
        session.id,
        { by: user.name, userId: user.id, via },
        this.#d.now(),
      );
      appendAudit(this.#d.home, {
        at: stop.at,
        session: session.id,
        sessionName: session.name,
        decision: "stop",
        by: { id: user.id, name: user.name },
        via,
      });
    } catch (err) {
      this.#d.log.error(`cannot stop session ${session.name}`, err);
      return { refused: "failed", session };
    }
    this.#d.log.info(`stop: ${session.name} stopped by ${user.name} (${user.id}) via ${via}`);
    try {
      this.#d.onStop?.(session, stop);
    } catch (err) {
      this.#d.log.warn(`stop: a listener failed: ${describeError(err)}`);
    }
    return { stopped: session, stop };
  }

  /**
   * Handles a Stop button click, when it is one (`cd:stop:<sessionId>`): answered ephemerally by
   * the bridge that owns the session, left alone by the others.
   *
   * @returns Whether the click was a Stop button's (handled here, answered or not).
   */
  onClick(i: RawInteraction, answers: InteractionAnswers): boolean {
    const sessionId = sessionOfStopButton(i.data?.custom_id ?? "");
    if (sessionId === undefined) return false;
    const user = i.member?.user ?? i.user;
    const who = { id: user?.id ?? "", name: displayName(user, user?.id) };
    const outcome = this.stop(sessionId, who, "button");
    const text = answerText(outcome);
    if (text !== undefined) void answers.reply(i, text);
    return true;
  }

  /**
   * Handles a message of an allowlisted user that is `stop` alone in a session's thread (fresh:
   * within {@linkcode STOP_TEXT_MAX_AGE_MS}): stops the session, reacts ⏹️ to the message.
   *
   * @param event The accepted message as an inbox event.
   * @returns Whether the message was such a stop (then it is not delivered).
   */
  onMessage(event: InboxEvent): boolean {
    if (event.kind !== "message" || event.threadId === undefined) return false;
    if (!isStopText(event.content) || event.attachments.length > 0) return false;
    if (this.#d.now() - timeOfSnowflake(event.id) > STOP_TEXT_MAX_AGE_MS) return false;
    const owner = this.#d.threadOwner(event.threadId);
    if (owner === undefined) return false;
    const outcome = this.stop(owner, event.author, "text");
    if ("notMine" in outcome || !("stopped" in outcome)) return false;
    this.#d.react(event.channelId, event.id, STOPPED_EMOJI).catch((err) =>
      this.#d.log.warn(`stop: cannot react to message ${event.id}: ${describeError(err)}`)
    );
    return true;
  }
}

/**
 * The ephemeral answer to a stop asked for by a click or `/stop`, or `undefined` when another
 * machine's bridge should answer.
 */
export function answerText(outcome: StopOutcome): string | undefined {
  if ("notMine" in outcome) return undefined;
  if ("stopped" in outcome) {
    return `⏹️ Stopping **${outcome.stopped.name}**: its next tool call is blocked and its ` +
      `turn ends. Messages you send it later reach it as usual.`;
  }
  switch (outcome.refused) {
    case "not-allowed":
      return "Not allowed: only users on this bot's allowlist can stop sessions.";
    case "ended":
      return `**${outcome.session.name}** has ended: there is nothing to stop.`;
    case "failed":
      return `Could not stop **${outcome.session.name}**: see the bridge's log.`;
  }
}
