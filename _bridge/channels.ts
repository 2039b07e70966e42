// Private: which channels the bridge listens to. The chat channel, and threads whose parent
// is the chat channel or the notification channel (the webhook's). Thread parents are
// learnt from GUILD_CREATE, THREAD_* events and the active-threads list; an unknown channel
// is looked up once (GET /channels/{id}) while its events wait, in order, and the events of
// other channels that arrived after them wait too (inOrder).
import { DiscordApiError } from "../errors.ts";
import { describeError, type Logger } from "../log.ts";
import { type RawChannel, THREAD_TYPES } from "../_discord/raw.ts";
import type { DiscordRest } from "../_discord/rest.ts";
import type { Place } from "./events.ts";

/** The bridge's knowledge of channels and threads. */
export class ChannelMap {
  readonly #chatId: string;
  readonly #rest: DiscordRest;
  readonly #log: Logger;
  readonly #threadParent = new Map<string, string>();
  /** Names of the chat channel and the threads listened to (the delivered frames say them). */
  readonly #names = new Map<string, string>();
  readonly #ignored = new Set<string>();
  readonly #lookups = new Map<string, Array<() => void>>();
  /** Events not placed yet (an earlier one's channel is being looked up), in arrival order. */
  readonly #arrivals: Array<{ channelId: string; then: (place: Place) => void }> = [];
  /** The chat channel's guild. */
  guildId = "";
  /** The notification channel (the webhook's), when known. */
  notifyId: string | undefined;

  constructor(chatId: string, rest: DiscordRest, log: Logger) {
    this.#chatId = chatId;
    this.#rest = rest;
    this.#log = log;
  }

  /** Learns the channels and active threads of a GUILD_CREATE (of our guild). */
  learnGuild(g: { id: string; channels?: RawChannel[]; threads?: RawChannel[] }): void {
    if (g.id !== this.guildId) return;
    for (const c of g.channels ?? []) this.learn(c);
    for (const th of g.threads ?? []) this.learn(th);
  }

  /** Learns one channel or thread. */
  learn(c: RawChannel): void {
    if (!c?.id) return;
    if (c.name && (c.id === this.#chatId || THREAD_TYPES.has(c.type))) {
      this.#names.set(c.id, c.name);
    }
    if (THREAD_TYPES.has(c.type) && c.parent_id) {
      this.#threadParent.set(c.id, c.parent_id);
      this.#ignored.delete(c.id);
    } else if (c.id !== this.#chatId) {
      this.#ignored.add(c.id);
    }
  }

  /** Whether threads under `parentId` are listened to. */
  accepts(parentId: string | null | undefined): boolean {
    return !!parentId && (parentId === this.#chatId || parentId === this.notifyId);
  }

  /** Where a channel is: accepted (with its place), ignored, or not known yet. */
  placeOf(channelId: string): Place | "ignore" | "unknown" {
    const name = this.#names.get(channelId);
    const named = name === undefined ? {} : { name };
    if (channelId === this.#chatId) return named;
    const parent = this.#threadParent.get(channelId);
    if (parent !== undefined) {
      return this.accepts(parent) ? { threadId: channelId, parentId: parent, ...named } : "ignore";
    }
    return this.#ignored.has(channelId) ? "ignore" : "unknown";
  }

  /**
   * Places an event of `channelId` in arrival order: `then` runs with its channel's place once
   * every event that arrived before it is placed (an event of a channel not known yet holds the
   * ones after it until the lookup ends); an event of an ignored channel is dropped.
   */
  inOrder(channelId: string, then: (place: Place) => void): void {
    this.#arrivals.push({ channelId, then });
    this.#placeArrivals();
  }

  #placeArrivals(): void {
    while (this.#arrivals.length > 0) {
      const { channelId, then } = this.#arrivals[0];
      const place = this.placeOf(channelId);
      if (place === "unknown") return this.whenKnown(channelId, () => this.#placeArrivals());
      this.#arrivals.shift();
      if (place !== "ignore") then(place);
    }
  }

  /** Looks a channel up once, then runs what waited for it, in arrival order. */
  whenKnown(channelId: string, then: () => void): void {
    const waiting = this.#lookups.get(channelId);
    if (waiting) {
      waiting.push(then);
      return;
    }
    this.#lookups.set(channelId, [then]);
    this.#rest.getChannel(channelId).then(
      (c) => this.learn(c),
      (err) => {
        this.#log.warn(
          `cannot read channel ${channelId}; ignoring its events: ${describeError(err)}`,
        );
        this.#ignored.add(channelId);
      },
    ).finally(() => {
      const queued = this.#lookups.get(channelId) ?? [];
      this.#lookups.delete(channelId);
      for (const fn of queued) {
        try {
          fn();
        } catch (err) {
          this.#log.error("event handler failed", err);
        }
      }
    });
  }
}

/** The error for a token Discord refused (401 on REST). */
export function tokenRejected(status: number, code?: number): DiscordApiError {
  return new DiscordApiError(
    `Discord rejected the token (${status}): run setup (\`deno task setup\`) with the bot's current token`,
    status,
    code,
  );
}

/**
 * Turns a failed read of the chat channel into a fatal error (401, 403, 404), or returns
 * `undefined` for errors worth retrying.
 */
export function chatChannelProblem(err: unknown, channelId: string): undefined {
  if (!(err instanceof DiscordApiError)) return undefined;
  if (err.status === 401) throw tokenRejected(401, err.code);
  if (err.status === 403) {
    throw new DiscordApiError(
      `The bot cannot see the chat channel ${channelId} (403): give it View Channel and Read Message History there, or run setup`,
      403,
      err.code,
    );
  }
  if (err.status === 404) {
    throw new DiscordApiError(
      `The chat channel ${channelId} does not exist (404): check DISCORD_CHANNEL_ID or run setup`,
      404,
      err.code,
    );
  }
  return undefined;
}
