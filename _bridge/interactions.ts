// Private: the bridge's answers to button clicks (interactions) and its handling of reactions:
// each is routed like a message, and a click gets Discord's acknowledgement once it is stored.
// A click also tells the guild's upload limit, recorded for the MCP server's send_file.
import type { InteractionResponseType as ResponseType } from "discord-api-types/v10";
import { EPHEMERAL, InteractionResponseType, InteractionType } from "../_discord/numbers.ts";
import type { InboxEvent } from "../inbox.ts";
import { describeError, type Logger } from "../log.ts";
import { writeGuildFacts } from "../daemon.ts";
import type { RawInteraction, RawReaction } from "../_discord/raw.ts";
import type { DiscordRest } from "../_discord/rest.ts";
import { type DropReason, interactionToEvent, type Place, reactionToEvent } from "./events.ts";

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
  /** Records the guild's upload limit that clicks carry. */
  uploadLimit: UploadLimitRecorder;
}

/** How long a click waits to be stored before Discord gets its answer anyway (3 s at most). */
const ANSWER_WITHIN_MS = 2000;

/**
 * Handles an interaction: a button click of ours from an allowed user is routed (the
 * permission hook waits for it) and acknowledged once stored; commands and others' clicks
 * get a short ephemeral answer.
 */
export function onInteraction(i: RawInteraction, desk: ClickDesk): void {
  if (!i?.id || !i.token) return;
  const ack = (body: { type: ResponseType; data?: Record<string, unknown> }) =>
    desk.rest.interactionCallback(i.id, i.token, body).catch((err) =>
      desk.log.warn(`cannot answer interaction ${i.id}: ${describeError(err)}`)
    );
  const ephemeral = (content: string) =>
    ack({
      type: InteractionResponseType.ChannelMessageWithSource,
      data: { content, flags: EPHEMERAL },
    });
  // The click is acknowledged without a visible answer: the message stays as it is.
  const quiet = () => ack({ type: InteractionResponseType.DeferredMessageUpdate });
  if (i.type !== InteractionType.MessageComponent) {
    if (i.type === InteractionType.ApplicationCommand || i.type === InteractionType.ModalSubmit) {
      void ephemeral("claude-discord has no commands.");
    }
    return;
  }
  desk.uploadLimit.learn(i);
  const user = i.member?.user ?? i.user;
  const customId = i.data?.custom_id ?? "";
  if (!customId.startsWith("cd:")) return void quiet();
  if (!user?.id || !desk.allowed.has(user.id)) {
    desk.drop("not-allowed");
    return void ephemeral("Only users on this bot's allowlist can answer.");
  }
  const channelId = i.channel_id ?? i.message?.channel_id ?? "";
  const place = desk.placeOf(channelId);
  if (place === "ignore") return void quiet();
  const event = interactionToEvent(i, place === "unknown" ? {} : place);
  const mailboxes = desk.route(event);
  if (mailboxes.length === 0) {
    return void ephemeral("This prompt is not waiting for an answer any more.");
  }
  // Answer once the click is stored (normally a few ms), and within 2 s in any case.
  const stored = desk.write(mailboxes, event);
  let timer: ReturnType<typeof setTimeout> | undefined;
  Promise.race([stored, new Promise((r) => (timer = setTimeout(r, ANSWER_WITHIN_MS)))]).then(
    () => {
      clearTimeout(timer);
      return quiet();
    },
  );
}

/** Handles a reaction: one by an allowed user (not the bot) is routed like a message. */
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
