// Private: the bridge's answers to interactions (a Stop click, a slash command, an autocomplete),
// each telling whether this bridge's answer was the one Discord took. Several bridges of one bot
// see every interaction; Discord takes the first answer and refuses the others with 40060, which
// is no failure here (ARCHITECTURE.md, "Slash commands").
import { EPHEMERAL, InteractionResponseType, JsonErrorCode } from "../_discord/numbers.ts";
import type { RawInteraction } from "../_discord/raw.ts";
import type { DiscordRest } from "../_discord/rest.ts";
import { describeError, type Logger } from "../log.ts";

/** What became of an answer: taken by Discord, already answered (by another bridge), failed. */
export type AnswerOutcome = "answered" | "taken" | "failed";

/** A choice of an autocomplete answer. */
export interface Choice {
  /** What the user sees (1–100 characters). */
  name: string;
  /** What the option's value becomes. */
  value: string;
}

/** Most choices an autocomplete answer may offer (Discord's limit). */
export const MAX_CHOICES = 25;

/** The longest content of a message. */
export const MAX_CONTENT = 2000;

/** Answers interactions with one REST client (a short time budget: a late answer is useless). */
export class InteractionAnswers {
  readonly #rest: DiscordRest;
  readonly #log: Logger;

  /**
   * @param rest The REST client for interaction callbacks and follow-ups.
   * @param log Where failures are logged.
   */
  constructor(rest: DiscordRest, log: Logger) {
    this.#rest = rest;
    this.#log = log;
  }

  /** Answers with a message only the user sees (callback type 4, ephemeral). */
  reply(i: RawInteraction, content: string): Promise<AnswerOutcome> {
    return this.#callback(i, {
      type: InteractionResponseType.ChannelMessageWithSource,
      data: { content: clip(content), flags: EPHEMERAL, allowed_mentions: { parse: [] } },
    });
  }

  /** Acknowledges a command now, its answer to follow (callback type 5, ephemeral). */
  defer(i: RawInteraction): Promise<AnswerOutcome> {
    return this.#callback(i, {
      type: InteractionResponseType.DeferredChannelMessageWithSource,
      data: { flags: EPHEMERAL },
    });
  }

  /** Offers autocomplete choices (callback type 8). */
  choices(i: RawInteraction, choices: readonly Choice[]): Promise<AnswerOutcome> {
    return this.#callback(i, {
      type: InteractionResponseType.ApplicationCommandAutocompleteResult,
      data: { choices: choices.slice(0, MAX_CHOICES) },
    });
  }

  /**
   * Sends a follow-up message only the user sees (the interaction's webhook, valid 15 minutes
   * once it is acknowledged).
   */
  async followUp(i: RawInteraction, content: string): Promise<boolean> {
    if (!i.application_id) {
      this.#log.warn(`cannot follow up interaction ${i.id}: it names no application`);
      return false;
    }
    try {
      await this.#rest.request("POST", `/webhooks/${i.application_id}/${i.token}`, {
        what: `follow up interaction ${i.id}`,
        body: { content: clip(content), flags: EPHEMERAL, allowed_mentions: { parse: [] } },
        auth: false,
      });
      return true;
    } catch (err) {
      this.#log.warn(`cannot follow up interaction ${i.id}: ${describeError(err)}`);
      return false;
    }
  }

  async #callback(
    i: RawInteraction,
    body: { type: number; data?: Record<string, unknown> },
  ): Promise<AnswerOutcome> {
    try {
      const answer = await this.#rest.answer("POST", `/interactions/${i.id}/${i.token}/callback`, {
        what: `answer interaction ${i.id}`,
        body,
        auth: false,
      });
      if (answer.ok) return "answered";
      if (answer.code === JsonErrorCode.InteractionHasAlreadyBeenAcknowledged) return "taken";
      this.#log.warn(
        `cannot answer interaction ${i.id}: Discord answered ${answer.status} ${answer.message}`,
      );
      return "failed";
    } catch (err) {
      this.#log.warn(`cannot answer interaction ${i.id}: ${describeError(err)}`);
      return "failed";
    }
  }
}

/** Content cut to Discord's limit. */
function clip(content: string): string {
  return content.length <= MAX_CONTENT ? content : `${content.slice(0, MAX_CONTENT - 1)}…`;
}
