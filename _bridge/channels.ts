// Private: which channels the bridge listens to. The chat channel, and threads whose parent
// is the chat channel or the notification channel (the webhook's). Thread parents are
// learnt from GUILD_CREATE, THREAD_* events and the active-threads list; an unknown channel
// is looked up once (GET /channels/{id}) while its events wait, in order, and the events of
// other channels that arrived after them wait too (inOrder). The same holds for a watched
// thread whose origin is not known yet (threads.ts: its starter is read once).
import { DiscordApiError } from "../errors.ts";
import { describeError, type Logger } from "../log.ts";
import { type RawChannel, type RawMessage, THREAD_TYPES } from "../_discord/raw.ts";
import type { DiscordRest } from "../_discord/rest.ts";
import { type Place, RECORD_GRACE_MS, repliedOwnPost, routingFacts, youngPost } from "./events.ts";
import type { RoutableEvent } from "../routing.ts";
import { ThreadFacts } from "./threads.ts";

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
  readonly #arrivals: Array<
    { channelId: string; then: (place: Place) => void; m?: RawMessage; at: number }
  > = [];
  #recheck: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  /** The chat channel's guild. */
  guildId = "";
  /** The notification channel (the webhook's), when known. */
  notifyId: string | undefined;

  readonly #threads: ThreadFacts | undefined;
  readonly #ours: ReadonlySet<string>;
  readonly #deps: { now: () => number; recorded: (messageId: string) => boolean } | undefined;

  /**
   * @param chatId The chat channel.
   * @param rest Looks channels up.
   * @param log Where failed lookups go.
   * @param threads The bot's and its webhook's ids, the state directory and the clock, for the
   *   threads' origins and the session threads file (threads.ts); without them every thread
   *   counts as a person's.
   */
  constructor(
    chatId: string,
    rest: DiscordRest,
    log: Logger,
    threads?: {
      ours: ReadonlySet<string>;
      home: string;
      now: () => number;
      /** Whether this machine's posts index has a message (a session posted it). */
      recorded: (messageId: string) => boolean;
    },
  ) {
    this.#chatId = chatId;
    this.#rest = rest;
    this.#log = log;
    this.#threads = threads && new ThreadFacts({ ...threads, rest, log });
    this.#ours = threads?.ours ?? new Set();
    this.#deps = threads;
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
      if (this.accepts(c.parent_id)) this.#threads?.learn(c);
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

  /** What every bridge can tell about a placed message, for routing (events.ts `routingFacts`). */
  routingFacts(m: RawMessage, place: Place): Pick<RoutableEvent, "threadOrigin" | "replyToBot"> {
    const origin = place.threadId === undefined
      ? undefined
      : this.#threads?.originOf(place.threadId) ?? (this.#threads ? undefined : "person");
    return routingFacts(m, place, origin, this.#ours);
  }

  /** A thread deleted (THREAD_DELETE). */
  forget(threadId: string): void {
    this.#threads?.forget(threadId);
  }

  /**
   * Places an event of `channelId` in arrival order: `then` runs with its channel's place once
   * every event that arrived before it is placed (an event of a channel not known yet holds the
   * ones after it until the lookup ends); an event of an ignored channel is dropped. A message
   * `m` that replies to a post of the bot so young that this machine may not have recorded it
   * yet (events.ts `youngPost`) waits until it is recorded or old enough.
   */
  inOrder(channelId: string, then: (place: Place) => void, m?: RawMessage): void {
    this.#arrivals.push({ channelId, then, ...(m ? { m } : {}), at: this.#deps?.now() ?? 0 });
    this.#placeArrivals();
  }

  /** Stops waiting for posts to be recorded (the bridge stops): what waits stays unplaced. */
  close(): void {
    clearTimeout(this.#recheck);
    this.#closed = true;
  }

  /** Whether an arrival waits for the post it replies to to enter the posts index. */
  #awaitsRecord(a: { m?: RawMessage; at: number }): boolean {
    if (a.m === undefined || this.#deps === undefined) return false;
    const post = repliedOwnPost(a.m, this.#ours);
    if (post === undefined || this.#deps.recorded(post)) return false;
    const now = this.#deps.now();
    return now - a.at < RECORD_GRACE_MS && youngPost(post, now);
  }

  /**
   * The watched threads as listed after a (re)connect: the bot's open threads are these now, and
   * the starters of those whose origin is not known are read (before catch-up routes their
   * history); rejects when Discord cannot be reached.
   */
  async listed(threads: readonly RawChannel[]): Promise<void> {
    this.#threads?.listed(threads);
    await Promise.all(
      threads.filter((t) => this.#unsettled(t.id)).map((t) =>
        this.#threads!.check(t.id, t.parent_id!, true)
      ),
    );
  }

  /** A watched thread whose starter is still to be read. */
  #unsettled(channelId: string): boolean {
    const parent = this.#threadParent.get(channelId);
    return this.#threads !== undefined && parent !== undefined && this.accepts(parent) &&
      this.#threads.needsCheck(channelId);
  }

  #placeArrivals(): void {
    while (this.#arrivals.length > 0) {
      const { channelId, then } = this.#arrivals[0];
      const place = this.placeOf(channelId);
      if (place === "unknown" || this.#unsettled(channelId)) {
        return this.whenKnown(channelId, () => this.#placeArrivals());
      }
      if (place !== "ignore" && this.#awaitsRecord(this.#arrivals[0])) {
        if (this.#closed) return;
        this.#recheck ??= setTimeout(() => {
          this.#recheck = undefined;
          this.#placeArrivals();
        }, 25);
        return;
      }
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
    const known = this.placeOf(channelId) !== "unknown";
    (known ? Promise.resolve() : this.#rest.getChannel(channelId).then(
      (c) => this.learn(c),
      (err) => {
        this.#log.warn(
          `cannot read channel ${channelId}; ignoring its events: ${describeError(err)}`,
        );
        this.#ignored.add(channelId);
      },
    )).then(() =>
      this.#unsettled(channelId)
        ? this.#threads!.check(channelId, this.#threadParent.get(channelId)!)
        : undefined
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
