// Private: the bridge's answers to button clicks (interactions) and its handling of reactions:
// each is routed like a message, and a click gets Discord's acknowledgement once it is stored.
// A click also tells the guild's upload limit, recorded for the MCP server's send_file.
//
// Every bridge on the bot's token gets every click (one per machine; ARCHITECTURE.md, Routing),
// and Discord takes one answer (a second is error 40060). So a bridge answers only a click on
// its own: a message this machine's session posted (the posts index), or one in its session's
// thread. A click on anything else is another machine's, or nobody's: no answer, nothing stored.
// A click on a post of the bot so young that this machine may not have recorded it yet is routed
// again until it is recorded or old enough (events.ts `youngPost`), within Discord's 3 s.
import type { InteractionResponseType as ResponseType } from "discord-api-types/v10";
import { EPHEMERAL, InteractionResponseType, InteractionType } from "../_discord/numbers.ts";
import type { InboxEvent } from "../inbox.ts";
import { describeError, type Logger } from "../log.ts";
import { writeGuildFacts } from "../daemon.ts";
import type { RawInteraction, RawReaction } from "../_discord/raw.ts";
import type { DiscordRest } from "../_discord/rest.ts";
import {
  type DropReason,
  interactionToEvent,
  type Place,
  reactionToEvent,
  RECORD_GRACE_MS,
  youngPost,
} from "./events.ts";

/** What the handlers need from the bridge. */
export interface ClickDesk {
  /** The client that answers interactions (a short budget: a late answer is useless). */
  rest: DiscordRest;
  log: Logger;
  /** Users whose clicks and reactions are delivered. */
  allowed: ReadonlySet<string>;
  /** Where a channel is, as far as the bridge knows. */
  placeOf(channelId: string): Place | "ignore" | "unknown";
  /** The mailboxes of an event (none: nobody waits for it). */
  route(event: InboxEvent): string[];
  /** Writes the event to the mailboxes; resolves when it is durable. */
  write(mailboxes: string[], event: InboxEvent): Promise<void>;
  /** Counts an event not delivered. */
  drop(reason: DropReason): void;
  /** The bot's own user id, once connected. */
  botId(): string | undefined;
  /** Clock (ms). */
  now(): number;
  /** The bot's and its webhook's ids (events.ts `ownAuthors`). */
  ours: ReadonlySet<string>;
  /** Sleeps (ends early when the bridge stops). */
  sleep(ms: number): Promise<void>;
  /** Whether the bridge is stopping. */
  stopped(): boolean;
  /** Records the guild's upload limit that clicks carry. */
  uploadLimit: UploadLimitRecorder;
}

/** How long a click waits to be stored before Discord gets its answer anyway (3 s at most). */
const ANSWER_WITHIN_MS = 2000;

/**
 * Handles an interaction: a click on this machine's message from an allowed user is routed (the
 * permission hook waits for it) and acknowledged once stored; a stranger's click there gets a
 * short ephemeral answer; a click on another machine's message gets none (its bridge answers).
 */
export function onInteraction(i: RawInteraction, desk: ClickDesk): void {
  if (!i?.id || !i.token) return;
  if (i.type !== InteractionType.MessageComponent) {
    if (i.type === InteractionType.ApplicationCommand || i.type === InteractionType.ModalSubmit) {
      void answers(i, desk).ephemeral("claude-discord has no commands.");
    }
    return;
  }
  desk.uploadLimit.learn(i);
  const channelId = i.channel_id ?? i.message?.channel_id ?? "";
  const place = desk.placeOf(channelId);
  const event = interactionToEvent(i, place === "unknown" || place === "ignore" ? {} : place);
  const click = { i, event, unwatched: place === "ignore", arrived: desk.now() };
  // Whose it is comes first: only the owner's bridge answers (once).
  const mailboxes = desk.route(event);
  if (mailboxes.length > 0) return answerClick(click, mailboxes, desk);
  const target = i.message?.id;
  const author = i.message?.author?.id;
  if (target === undefined || (author !== undefined && !desk.ours.has(author))) return;
  if (!youngPost(target, desk.now())) return;
  void (async () => {
    while (
      !desk.stopped() && desk.now() - click.arrived < RECORD_GRACE_MS &&
      youngPost(target, desk.now())
    ) {
      await desk.sleep(25);
      const later = desk.route(event);
      if (later.length > 0) return answerClick(click, later, desk);
    }
  })();
}

/** A click of this machine's: stored (a `cd:` button of an allowed user), then acknowledged. */
function answerClick(
  click: { i: RawInteraction; event: InboxEvent; unwatched: boolean; arrived: number },
  mailboxes: string[],
  desk: ClickDesk,
): void {
  const { i, event } = click;
  const { ephemeral, quiet } = answers(i, desk);
  const user = i.member?.user ?? i.user;
  const customId = i.data?.custom_id ?? "";
  if (!customId.startsWith("cd:") || click.unwatched) return void quiet();
  if (!user?.id || !desk.allowed.has(user.id)) {
    desk.drop("not-allowed");
    return void ephemeral("Only users on this bot's allowlist can answer.");
  }
  // Answer once the click is stored (normally a few ms), and within 2 s of its arrival anyway.
  const stored = desk.write(mailboxes, event);
  const within = Math.max(0, ANSWER_WITHIN_MS - (desk.now() - click.arrived));
  let timer: ReturnType<typeof setTimeout> | undefined;
  Promise.race([stored, new Promise((r) => (timer = setTimeout(r, within)))]).then(() => {
    clearTimeout(timer);
    return quiet();
  });
}

/** The ways to answer an interaction (failures are logged: a late answer is useless). */
function answers(i: RawInteraction, desk: ClickDesk) {
  const ack = (body: { type: ResponseType; data?: Record<string, unknown> }) =>
    desk.rest.interactionCallback(i.id, i.token, body).catch((err) =>
      desk.log.warn(`cannot answer interaction ${i.id}: ${describeError(err)}`)
    );
  return {
    ephemeral: (content: string) =>
      ack({
        type: InteractionResponseType.ChannelMessageWithSource,
        data: { content, flags: EPHEMERAL },
      }),
    // The click is acknowledged without a visible answer: the message stays as it is.
    quiet: () => ack({ type: InteractionResponseType.DeferredMessageUpdate }),
  };
}

/**
 * Handles a reaction: one by an allowed user (not the bot) is routed like a message; one on
 * another machine's message goes nowhere here.
 */
export function onReaction(r: RawReaction, desk: ClickDesk): void {
  if (!r?.message_id || !r.user_id || r.member?.user?.bot) return;
  if (r.user_id === desk.botId()) return;
  if (!desk.allowed.has(r.user_id)) return desk.drop("not-allowed");
  const place = desk.placeOf(r.channel_id);
  if (place === "ignore") return;
  const event = reactionToEvent(r, place === "unknown" ? {} : place, desk.now());
  const mailboxes = desk.route(event);
  if (mailboxes.length > 0) void desk.write(mailboxes, event);
}

/**
 * Records the guild's upload limit (`attachment_size_limit`, which interactions carry) into
 * `bridge/guild.json` whenever it changes, for the MCP server's send_file.
 */
export class UploadLimitRecorder {
  readonly #home: string;
  readonly #log: Logger;
  readonly #now: () => number;
  #last: number | undefined;

  /**
   * @param home The state directory.
   * @param log Where a failed write is logged.
   * @param now Clock (ms).
   */
  constructor(home: string, log: Logger, now: () => number) {
    this.#home = home;
    this.#log = log;
    this.#now = now;
  }

  /** Records the limit an interaction carries, if it is one and differs from the last. */
  learn(i: RawInteraction): void {
    const limit = i.attachment_size_limit;
    if (
      !i.guild_id || limit === undefined || !Number.isSafeInteger(limit) || limit <= 0 ||
      limit === this.#last
    ) return;
    this.#last = limit;
    try {
      writeGuildFacts(this.#home, {
        guildId: i.guild_id,
        attachmentSizeLimit: limit,
        seenAt: new Date(this.#now()).toISOString(),
      });
    } catch (err) {
      // Logged: send_file then keeps its default limit.
      this.#log.warn(`cannot record the guild's upload limit: ${describeError(err)}`);
    }
  }
}
