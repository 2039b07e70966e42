// Private: one message (live or caught up) from the filter to its durable mailbox lines: a live
// one placed in arrival order and held while a catch-up runs (catchup.ts); then seen once,
// filtered, offered to the control room (a stop), routed, its files stored, and written to every
// mailbox it goes to, the cursor moving only once all are durable (cursors.ts). Clicks and
// reactions (interactions.ts) are routed and written here too.
import { HELD, type Inbox, type InboxEvent } from "../inbox.ts";
import type { Logger } from "../log.ts";
import { type RoutableEvent, routeEvent } from "../routing.ts";
import type { RawMessage } from "../_discord/raw.ts";
import type { AttachmentStore } from "./attachments.ts";
import type { CatchUp } from "./catchup.ts";
import type { ChannelMap } from "./channels.ts";
import type { CursorTracker, Tracked } from "./cursors.ts";
import { messageDropReason, messageToEvent, type Place } from "./events.ts";
import type { StatusBoard } from "./status.ts";
import type { CachedRoutingView } from "./view.ts";
import type { MailboxWriter } from "./writer.ts";

/** What {@linkcode MessageIntake} works with. */
export interface IntakeDeps {
  /** Users whose messages are delivered. */
  allowed: ReadonlySet<string>;
  /** Counts what is not delivered. */
  status: Pick<StatusBoard, "drop" | "warnEmpty">;
  /** The cursors' in-order completion and gaps (live messages only). */
  tracker: Pick<CursorTracker, "begin" | "complete" | "hasGap">;
  /** The catch-up: reads a channel with a gap, holds live messages while it runs. */
  catchUp: Pick<CatchUp, "channel" | "hold">;
  /** The control room's look at an accepted message first: true when it took it (a stop). */
  intercept: (event: InboxEvent) => boolean;
  /** Where a message is (in arrival order), and what the bridge knows of it for routing. */
  channels: Pick<ChannelMap, "inOrder" | "routingFacts">;
  /** Stores a message's files before its line is written. */
  files: Pick<AttachmentStore, "fill">;
  /** The mailbox writes. */
  writer: Pick<MailboxWriter, "write">;
  /** Routing's view of the sessions and posts. */
  view: CachedRoutingView;
  /** The mailboxes (the held box). */
  inbox: Pick<Inbox, "releaseHeld">;
  /** Where to log. */
  log: Logger;
}

/** How many message ids are remembered as handled. */
const SEEN_MAX = 20_000;
const DONE: Promise<void> = Promise.resolve();

/** Filters, routes and writes the bridge's messages, each once. */
export class MessageIntake {
  readonly #d: IntakeDeps;
  /** Ids handled recently (bounded), and the ones not durable yet with their promise. */
  readonly #seen = new Set<string>();
  readonly #inFlight = new Map<string, Promise<void>>();
  /** Ids routed to the held box because no session was live (not because routing failed). */
  readonly #heldForLackOfSessions = new Set<string>();
  /** The mailbox writes the dispatch being handled started (the saved sequence waits for them). */
  #work: Promise<unknown>[] | undefined;

  /** @param deps The allowlist, counters, cursors, catch-up, routing, files and mailboxes. */
  constructor(deps: IntakeDeps) {
    this.#d = deps;
  }

  /**
   * Runs `handle` (one gateway dispatch) and returns the mailbox writes it started.
   *
   * @param handle Handles the dispatch.
   * @returns The writes, which settle when durable.
   */
  collect(handle: () => void): Promise<unknown>[] {
    const work: Promise<unknown>[] = [];
    this.#work = work;
    try {
      handle();
    } finally {
      this.#work = undefined;
    }
    return work;
  }

  /**
   * A live message: placed in arrival order (a message of a channel not known yet waits for it,
   * and the messages after it wait too), then {@linkcode MessageIntake.live}.
   *
   * @param m The message of a MESSAGE_CREATE.
   */
  onLive(m: RawMessage): void {
    if (!m?.id || !m.channel_id) return;
    this.#d.channels.inOrder(m.channel_id, (place) => this.live(m, place), m);
  }

  /**
   * A placed live message: held while a catch-up runs (it merges them in id order) or written;
   * a channel with a gap in its cursor is caught up first.
   *
   * @param m The message.
   * @param place Where it is.
   */
  live(m: RawMessage, place: Place): void {
    if (this.#d.tracker.hasGap(m.channel_id)) this.#d.catchUp.channel(m.channel_id, place);
    if (this.#d.catchUp.hold(m, place)) return;
    void this.process(m, place, true);
  }

  /**
   * Filters, routes and writes one message; a message seen before gets its earlier promise.
   *
   * @param m The message.
   * @param place Where it is.
   * @param live Whether it came live (its cursor is tracked) rather than from a catch-up read.
   * @returns Resolves when the message is durable (or dropped).
   */
  process(m: RawMessage, place: Place, live: boolean): Promise<void> {
    const d = this.#d;
    if (this.#seen.has(m.id)) return this.#inFlight.get(m.id) ?? DONE;
    this.#seen.add(m.id);
    if (this.#seen.size > SEEN_MAX) {
      const oldest = this.#seen.values().next().value;
      if (oldest !== undefined) this.#seen.delete(oldest);
    }
    const reason = messageDropReason(m, d.allowed);
    if (reason !== undefined) {
      d.status.drop(reason);
      if (reason === "empty") d.status.warnEmpty(m.id, m.author?.id);
      if (live) d.tracker.begin(m.channel_id, m.id, 0);
      return DONE;
    }
    const event = messageToEvent(m, place);
    if (d.intercept(event)) {
      if (live) d.tracker.begin(m.channel_id, m.id, 0); // a stop: not delivered
      return DONE;
    }
    const mailboxes = this.route(event, d.channels.routingFacts(m, place));
    if (mailboxes.length === 0) { // another machine's: nothing to store, not even its files
      d.status.drop("elsewhere");
      if (live) d.tracker.begin(m.channel_id, m.id, 0);
      return DONE;
    }
    const tracked = live ? d.tracker.begin(m.channel_id, m.id, mailboxes.length) : undefined;
    // The event is written once its files are stored (or their failure recorded); while the
    // bridge stops it is not written at all, so the cursor stays before it.
    const files = d.files.fill(m.channel_id, m.id, event.attachments);
    const promise = files.then(async (write) => {
      if (!write) return;
      await this.write(mailboxes, event, tracked);
      if (this.#heldForLackOfSessions.has(event.id)) this.#releaseHeldToNewSession();
    }).catch((err) => d.log.error(`cannot deliver message ${m.id}`, err)).finally(() => {
      this.#heldForLackOfSessions.delete(event.id);
      this.#inFlight.delete(m.id);
    });
    this.#inFlight.set(m.id, promise);
    return promise;
  }

  /**
   * Routes an event; if routing itself fails (a damaged state file), holds it rather than lose it.
   *
   * @param event The event.
   * @param facts What the bridge knows beyond the event (a thread's origin, a reply to the bot).
   * @returns Its mailboxes (none: another machine's, or nobody waits for it).
   */
  route(event: InboxEvent, facts: Omit<RoutableEvent, keyof InboxEvent> = {}): string[] {
    try {
      const mailboxes = routeEvent({ ...event, ...facts }, this.#d.view).mailboxes;
      if (mailboxes.length === 1 && mailboxes[0] === HELD) {
        this.#heldForLackOfSessions.add(event.id);
      }
      return mailboxes;
    } catch (err) {
      this.#d.log.error(`cannot route ${event.kind} ${event.id}; keeping it in the held box`, err);
      return event.kind === "message" ? [HELD] : [];
    }
  }

  /**
   * Writes an event to its mailboxes, counted in the dispatch being handled.
   *
   * @param mailboxes Where it goes.
   * @param event The event.
   * @param tracked Its cursor entry, completed per durable write (live messages).
   * @returns Resolves when every write is durable.
   */
  write(mailboxes: string[], event: InboxEvent, tracked?: Tracked): Promise<void> {
    const written = Promise.all(mailboxes.map(async (mailbox) => {
      await this.#d.writer.write(mailbox, event);
      if (tracked) this.#d.tracker.complete(tracked);
    })).then(() => {});
    this.#work?.push(written);
    return written;
  }

  /**
   * A session may have registered (and released the held box) between routing a message to
   * the held box and writing it there: hand the held box to the newest live session then, so
   * the message does not wait for yet another session to start.
   */
  #releaseHeldToNewSession(): void {
    const newest = this.#d.view.newestLiveSession();
    if (newest === undefined) return;
    this.#d.inbox.releaseHeld(newest.id).then(
      (n) => n > 0 && this.#d.log.info(`held box: ${n} message(s) to new session ${newest.name}`),
      (err) => this.#d.log.error("cannot release the held box", err),
    );
  }
}
