// Private: the bridge itself: one gateway connection, every accepted event into the right
// mailboxes, catch-up from history after every (re)connect. bridge.ts is the thin entry point.
import { ClaudeDiscordError, DiscordApiError } from "../errors.ts";
import { HELD, Inbox, type InboxEvent } from "../inbox.ts";
import { describeError, type Logger } from "../log.ts";
import type { OutboxEntry, Outcome } from "../outbox.ts";
import { PostIndex } from "../posts.ts";
import { type RoutableEvent, routeEvent } from "../routing.ts";
import { SessionRegistry } from "../sessions.ts";
import { bridgePaths, type BridgeStatusFile } from "../daemon.ts";
import { botIdFromToken, configFileExposure, DEFAULT_IDENTIFY_CAP } from "../config.ts";
import { type MachineIdentity, machineIdentity } from "../machine.ts";
import type { RawChannel, RawInteraction, RawMessage, RawReaction } from "../_discord/raw.ts";
import { DiscordRest } from "../_discord/rest.ts";
import { messageDropReason, messageToEvent, ownAuthors, type Place } from "./events.ts";
import { type ClickDesk, onInteraction, onReaction, UploadLimitRecorder } from "./interactions.ts";
import { CursorStore, CursorTracker, type Tracked } from "./cursors.ts";
import { MailboxWriter } from "./writer.ts";
import { CachedRoutingView } from "./view.ts";
import { CatchUp } from "./catchup.ts";
import { ChannelMap, chatChannelProblem } from "./channels.ts";
import { StatusBoard } from "./status.ts";
import { bridgeOutboxSender, type OutboxSender } from "./outbox.ts";
import { ControlRoom } from "./control.ts";
import { backoffMs, Sleepers } from "./backoff.ts";
import { CardsAndReceipts } from "./cards_receipts.ts";
import {
  type AttachmentLimits,
  type AttachmentStore,
  bridgeAttachmentStore,
} from "./attachments.ts";
import { Connection } from "./connection.ts";

/** Options of {@linkcode Bridge}. */
export interface BridgeOptions {
  /** Bot token. */
  token: string;
  /** The chat channel. */
  channelId: string;
  /** The STATUS webhook; its channel's threads are watched too. */
  webhookUrl?: string;
  /** Users whose messages are delivered. */
  allowedUsers: readonly string[];
  /** REST base without version. */
  apiUrl: string;
  /** State directory. */
  home: string;
  /** Held-box retention (hours). Default 24. */
  heldRetentionHours?: number;
  /** The outbox's bounds (config `outboxMaxPosts`, `outboxMaxBytes`). Default outbox.ts's. */
  outboxLimits?: { maxEntries?: number; maxBytes?: number };
  /** This machine. Default: `machineIdentity(home)` (machine.ts). */
  machine?: MachineIdentity;
  /** IDENTIFYs this machine may send per 24 h (config.json `identifyCap`). Default 100. */
  identifyCap?: number;
  /** Where to log. */
  log: Logger;
  /** Clock (ms). Default `Date.now`. */
  now?: () => number;
  /** Randomness in [0, 1). Default `Math.random`. */
  random?: () => number;
  /** Told after every durable mailbox append (benchmarks, tests). */
  onWritten?: (mailbox: string, events: readonly InboxEvent[]) => void;
  /** Told after every outbox entry sent, refused or skipped (benchmarks, tests). */
  onSent?: (session: string, entry: OutboxEntry, outcome: Outcome) => void;
  /** How long the session list may be cached, ms. Default 100. */
  sessionCacheMs?: number;
  /** How often status.json is refreshed while counters change, ms. Default 2000. */
  statusIntervalMs?: number;
  /** Attachment limits and retention (defaults in `_bridge/attachments.ts`). */
  attachments?: Partial<AttachmentLimits>;
  /** Receipts on delivered messages (config `receipts`). Default true. */
  receipts?: boolean;
  /** Told after each receipt Discord took (benchmarks, tests). */
  onReacted?: (messageId: string, emoji: string) => void;
  /** The shortest time between two edits of a status card, ms. Default 2000. */
  cardIntervalMs?: number;
}

/** Counters of a running bridge. */
export interface BridgeStats {
  /** Gateway state. */
  state: BridgeStatusFile["state"];
  /** Mailbox lines written. */
  delivered: number;
  /** Messages not delivered, by reason. */
  dropped: Record<string, number>;
  /** Catch-ups finished. */
  catchUps: number;
  /** Gateway connections closed (each followed by a reconnect). */
  disconnects: number;
  /** Events routed but not yet durable. */
  inFlight: number;
  /** Outbox entries sent since start. */
  sent: number;
}

const SEEN_MAX = 20_000;
const DONE: Promise<void> = Promise.resolve();

/** The bridge. `start()` it, then `stop()` it; `done` settles when it ends. */
export class Bridge {
  readonly #o: BridgeOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #allowed: Set<string>;
  readonly #rest: DiscordRest;
  readonly #desk: ClickDesk;
  readonly #writer: MailboxWriter;
  readonly #inbox: Inbox;
  /** Ids routed to the held box because no session was live (not because routing failed). */
  readonly #heldForLackOfSessions = new Set<string>();
  readonly #view: CachedRoutingView;
  readonly #cursors: CursorStore;
  readonly #tracker: CursorTracker;
  readonly #catchUp: CatchUp;
  readonly #channels: ChannelMap;
  readonly #status: StatusBoard;
  readonly #outboxSender: OutboxSender;
  readonly #files: AttachmentStore;
  readonly #control: ControlRoom;
  readonly #cards: CardsAndReceipts;
  /** Ids handled recently (bounded), and the ones not durable yet with their promise. */
  readonly #seen = new Set<string>();
  readonly #inFlight = new Map<string, Promise<void>>();
  readonly #ready = Promise.withResolvers<void>();
  readonly #done = Promise.withResolvers<void>();
  readonly #botId: string | undefined;
  readonly #machine: MachineIdentity;
  #connection: Connection | undefined;
  /** The mailbox writes the dispatch being handled started (the saved sequence waits for them). */
  #work: Promise<unknown>[] | undefined;
  #stopping = false;
  #fatal: ClaudeDiscordError | undefined;
  #stopped: Promise<void> | undefined;
  readonly #sleepers = new Sleepers();

  /**
   * Creates a bridge (nothing connects before {@linkcode Bridge.start}).
   *
   * @param options Token, channel, allowlist, API base, state directory, logger.
   */
  constructor(options: BridgeOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#allowed = new Set(options.allowedUsers);
    this.#status = new StatusBoard(options.home, options.log, this.#now);
    this.#log = this.#status.watch(options.log); // its last error is /status's
    this.#botId = botIdFromToken(options.token);
    this.#machine = options.machine ??
      machineIdentity(options.home, { onWarning: (m) => options.log.warn(m) });
    this.#status.machine = { id: this.#machine.id, label: this.#machine.label };
    const rest = { token: options.token, apiUrl: options.apiUrl };
    this.#rest = new DiscordRest(rest);
    const inbox = new Inbox(options.home, {
      heldRetentionHours: options.heldRetentionHours,
      onWarning: (m) => this.#log.warn(`inbox: ${m}`),
    });
    this.#inbox = inbox;
    this.#files = bridgeAttachmentStore(options, this.#rest, this.#status);
    const machineLabel = this.#machine.label;
    this.#cards = new CardsAndReceipts({
      ...options,
      rest: this.#rest,
      now: this.#now,
      machineLabel,
    });
    this.#writer = new MailboxWriter(inbox, {
      onError: (mailbox, err, attempt) =>
        this.#log.error(`cannot write to mailbox ${mailbox} (attempt ${attempt})`, err),
      onWritten: (mailbox, events) => {
        this.#status.delivered += events.length;
        this.#status.touch();
        this.#cards.written(mailbox, events);
        options.onWritten?.(mailbox, events);
      },
    });
    this.#view = new CachedRoutingView(
      new SessionRegistry(options.home, { onWarning: (m) => this.#log.warn(m) }),
      new PostIndex(options.home),
      { maxAgeMs: options.sessionCacheMs, machineLabel: this.#machine.label },
    );
    this.#cursors = new CursorStore(bridgePaths(options.home).cursors, {
      now: this.#now(),
      onError: (err) => this.#log.error("cannot save the catch-up cursors", err),
      onWarning: (message) => this.#log.warn(message),
    });
    this.#tracker = new CursorTracker(this.#cursors);
    const ours = ownAuthors(this.#botId, options.webhookUrl);
    this.#channels = new ChannelMap(options.channelId, this.#rest, options.log, {
      ours,
      home: options.home,
      now: this.#now,
      recorded: (id) => this.#view.postOwner(id) !== undefined,
    });
    this.#control = new ControlRoom({
      ...options,
      log: this.#log,
      rest: this.#rest,
      view: this.#view,
      guildId: () => this.#channels.guildId,
      machine: () => this.#machine.label,
      status: this.#status,
      inbox,
      onStop: (session, stop) => this.#cards.stopped(session.id, stop.by, stop.at),
      stateOf: (session) => this.#cards.stateOf(session.id),
    });
    this.#desk = {
      // An interaction answer later than 3 s is useless: a short budget.
      rest: new DiscordRest({
        ...rest,
        retry: { budgetMs: 2500, timeoutMs: 2500, maxAttempts: 3 },
      }),
      log: this.#log,
      allowed: this.#allowed,
      placeOf: (channelId) => this.#channels.placeOf(channelId),
      route: (event) => this.#route(event),
      write: (mailboxes, event) => this.#writeAll(mailboxes, event),
      drop: (reason) => this.#status.drop(reason),
      botId: () => this.#botId,
      now: this.#now,
      ours,
      sleep: (ms) => this.#sleepers.sleep(ms),
      stopped: () => this.#stopping,
      uploadLimit: new UploadLimitRecorder(options.home, this.#log, this.#now),
    };
    this.#catchUp = new CatchUp({
      rest: this.#rest,
      cursors: this.#cursors,
      tracker: this.#tracker,
      log: this.#log,
      random: options.random ?? Math.random,
      sleep: (ms) => this.#sleepers.sleep(ms),
      stopped: () => this.#stopping,
      guildId: () => this.#channels.guildId,
      accepts: (parentId) => this.#channels.accepts(parentId),
      learnThread: (t) => this.#channels.learn(t),
      listed: (watched) => this.#channels.listed(watched),
      chatId: options.channelId,
      ingest: (m, place) => this.#process(m, place, false),
      write: (m, place) => void this.#process(m, place, true),
      release: (m, place) => this.#live(m, place),
      onDone: () => {
        this.#status.lastCatchUpAt = new Date(this.#now()).toISOString();
        this.#status.touch();
      },
      now: this.#now,
    });
    this.#outboxSender = bridgeOutboxSender({
      limits: options.outboxLimits,
      rest: this.#rest,
      home: options.home,
      token: options.token,
      statusChannelId: () => this.#channels.notifyId,
      guildId: () => this.#channels.guildId,
      log: this.#log,
      now: this.#now,
      random: options.random,
      status: this.#status,
      onOutcome: (session, entry, outcome) => {
        this.#cards.committed(session, entry, outcome);
        options.onSent?.(session, entry, outcome);
      },
    });
    // Nobody may be left with an unhandled rejection from these.
    this.#ready.promise.catch(() => {});
    this.#done.promise.catch(() => {});
  }

  /** Settles when the bridge ends: resolves after `stop()`, rejects on a fatal error. */
  get done(): Promise<void> {
    return this.#done.promise;
  }

  /**
   * Connects and catches up. Resolves once the gateway is connected and the first
   * catch-up finished; rejects on a fatal error (bad token, missing intent, unknown channel).
   * While Discord cannot be reached it keeps retrying (with backoff) and does not settle.
   */
  start(): Promise<void> {
    this.#run().catch((err) => this.#fail(err));
    return this.#ready.promise;
  }

  /** Counters. */
  stats(): BridgeStats {
    return {
      state: this.#status.state,
      delivered: this.#status.delivered,
      dropped: { ...this.#status.dropped },
      catchUps: this.#catchUp.completed,
      disconnects: this.#status.disconnects,
      inFlight: this.#writer.pending,
      sent: this.#outboxSender.stats().sent,
    };
  }

  /** Runs a full catch-up now and waits for it (tests). */
  async catchUpNow(): Promise<void> {
    await this.#catchUp.all(this.#tracker.epoch);
  }

  /** Resolves when every accepted event so far is durable and no outbox entry is being sent. */
  async idle(): Promise<void> {
    await this.#catchUp.idle();
    await this.#writer.idle();
    await this.#outboxSender.idle();
  }

  /** Disconnects, writes what is queued (up to 5 s), saves the cursors. Idempotent. */
  stop(): Promise<void> {
    this.#stopped ??= this.#shutdown();
    return this.#stopped;
  }

  async #shutdown(): Promise<void> {
    this.#stopping = true;
    this.#status.setState("stopping");
    this.#sleepers.close();
    this.#files.close();
    this.#channels.close();
    await this.#connection?.stop();
    await Promise.all([
      this.#writer.close(5000),
      this.#outboxSender.stop(5000),
      this.#cards.stop(),
    ]);
    this.#cursors.close();
    this.#status.stop(this.#fatal ? "failed" : "stopped");
    this.#log.info(`stopped (delivered ${this.#status.delivered})`);
    this.#ready.reject(
      this.#fatal ?? new ClaudeDiscordError("The bridge stopped before it connected"),
    );
    if (this.#fatal) this.#done.reject(this.#fatal);
    else this.#done.resolve();
  }

  #fail(err: unknown): void {
    if (this.#stopping) return;
    this.#log.error("fatal", err);
    const error = err instanceof ClaudeDiscordError
      ? err
      : new ClaudeDiscordError(`The bridge failed: ${describeError(err)}`, {
        cause: err,
      });
    this.#status.warning = error.message;
    this.#fatal = error;
    this.#ready.reject(error);
    void this.stop();
  }

  async #run(): Promise<void> {
    this.#log.info(
      `starting (pid ${Deno.pid}, api ${new URL(this.#o.apiUrl).host}, ` +
        `machine ${this.#machine.label} ${this.#machine.id})`,
    );
    const exposed = configFileExposure(this.#o.home);
    if (exposed) {
      this.#log.warn(exposed);
      this.#status.warning = exposed;
    }
    this.#status.start(this.#o.statusIntervalMs ?? 2000);
    this.#files.startPruning(this.#now, () => this.#status.touch());

    const chat = await this.#retrying(
      "read the chat channel",
      () => this.#rest.getChannel(this.#o.channelId),
      (err) => chatChannelProblem(err, this.#o.channelId),
    );
    if (chat === undefined) return;
    this.#channels.guildId = chat.guild_id ?? "";
    if (this.#o.webhookUrl) {
      const hook = await this.#retrying(
        "read the webhook",
        () => this.#rest.getWebhook(this.#o.webhookUrl!),
        (err) => {
          if (err instanceof DiscordApiError && err.status >= 400 && err.status < 500) {
            this.#log.warn(
              `DISCORD_WEBHOOK_URL cannot be read (${err.message}): threads of the notification channel are not watched; run setup`,
            );
            return "skip";
          }
          return undefined;
        },
      );
      if (this.#stopping) return;
      this.#channels.notifyId = hook === "skip" ? undefined : hook?.channel_id;
    }
    // The outbox goes out by REST: it need not wait for the gateway.
    this.#outboxSender.start();
    this.#cards.start();
    this.#log.info(
      `watching channel ${this.#o.channelId}${
        this.#channels.notifyId ? ` and threads of ${this.#channels.notifyId}` : ""
      }; ${this.#allowed.size} allowed user(s)`,
    );

    this.#connection = new Connection({
      token: this.#o.token,
      botId: this.#botId ?? "",
      home: this.#o.home,
      chatId: this.#o.channelId,
      machine: this.#machine,
      rest: this.#rest,
      log: this.#log,
      status: this.#status,
      identifyCap: this.#o.identifyCap ?? DEFAULT_IDENTIFY_CAP,
      now: this.#now,
      random: this.#o.random,
      retrying: (what, fn, classify) => this.#retrying(what, fn, classify),
      dispatch: (t, d) => this.#onDispatch(t, d),
      fail: (err) => this.#fail(err),
      stopping: () => this.#stopping,
      connecting: () => this.#catchUp.expect(),
    });
    this.#connection.start();
  }

  /**
   * Runs `fn` until it succeeds, backing off on errors `classify` does not settle. `classify`
   * may throw (fatal) or return a value to use instead. Returns `undefined` when stopped.
   */
  async #retrying<T, S>(
    what: string,
    fn: () => Promise<T>,
    classify: (err: unknown) => S | undefined,
  ): Promise<T | S | undefined> {
    for (let attempt = 1; !this.#stopping; attempt++) {
      try {
        return await fn();
      } catch (err) {
        const settled = classify(err);
        if (settled !== undefined) return settled;
        const ms = backoffMs(attempt, 500, 30_000, this.#o.random ?? Math.random);
        this.#log.warn(
          `cannot ${what} (attempt ${attempt}): ${describeError(err)}; retrying in ${ms} ms`,
        );
        this.#status.setState("reconnecting");
        await this.#sleepers.sleep(ms);
      }
    }
    return undefined;
  }

  /** Handles a dispatch; returns the mailbox writes it started (they settle when durable). */
  #onDispatch(t: string, d: unknown): Promise<unknown>[] {
    const work: Promise<unknown>[] = [];
    this.#work = work;
    try {
      this.#handle(t, d);
    } finally {
      this.#work = undefined;
    }
    return work;
  }

  #handle(t: string, d: unknown): void {
    if (this.#stopping) return;
    if (t === "READY" || t === "RESUMED") this.#control.onConnected(t, d);
    switch (t) {
      case "READY":
      case "RESUMED":
        return this.#onConnected(t);
      case "GUILD_CREATE":
        return this.#channels.learnGuild(d as { id: string; channels?: RawChannel[] });
      case "THREAD_CREATE":
      case "THREAD_UPDATE":
      case "CHANNEL_CREATE":
      case "CHANNEL_UPDATE":
        return this.#channels.learn(d as RawChannel);
      case "THREAD_DELETE":
        return this.#channels.forget((d as { id: string }).id);
      case "THREAD_LIST_SYNC":
        for (const th of (d as { threads?: RawChannel[] }).threads ?? []) this.#channels.learn(th);
        return;
      case "MESSAGE_CREATE":
        return this.#onLiveMessage(d as RawMessage);
      case "INTERACTION_CREATE":
        this.#desk.uploadLimit.learn(d as RawInteraction); // every kind carries it
        if (this.#control.onInteraction(d as RawInteraction)) return;
        return onInteraction(d as RawInteraction, this.#desk);
      case "MESSAGE_REACTION_ADD":
        return onReaction(d as RawReaction, this.#desk);
    }
  }

  #onConnected(t: string): void {
    // Discord is back: queues that waited it out go again at once.
    this.#outboxSender.nudge();
    const epoch = this.#tracker.newEpoch();
    this.#status.setState("connected");
    this.#log.info(t === "READY" ? "connected (READY)" : "resumed (RESUMED)");
    this.#catchUp.all(epoch).then(
      () => this.#ready.resolve(),
      (err) => this.#log.error("catch-up failed", err),
    );
  }

  /**
   * A live message: placed in arrival order (a message of a channel not known yet waits for it,
   * and the messages after it wait too), then held while a catch-up runs (it merges them in id
   * order) or written.
   */
  #onLiveMessage(m: RawMessage): void {
    if (!m?.id || !m.channel_id) return;
    this.#channels.inOrder(m.channel_id, (place) => this.#live(m, place), m);
  }

  #live(m: RawMessage, place: Place): void {
    if (this.#tracker.hasGap(m.channel_id)) this.#catchUp.channel(m.channel_id, place);
    if (this.#catchUp.hold(m, place)) return;
    void this.#process(m, place, true);
  }

  /** Filters, routes and writes one message; resolves when it is durable (or dropped). */
  #process(m: RawMessage, place: Place, live: boolean): Promise<void> {
    if (this.#seen.has(m.id)) return this.#inFlight.get(m.id) ?? DONE;
    this.#seen.add(m.id);
    if (this.#seen.size > SEEN_MAX) {
      const oldest = this.#seen.values().next().value;
      if (oldest !== undefined) this.#seen.delete(oldest);
    }
    const reason = messageDropReason(m, this.#allowed);
    if (reason !== undefined) {
      this.#status.drop(reason);
      if (reason === "empty") this.#status.warnEmpty(m.id, m.author?.id);
      if (live) this.#tracker.begin(m.channel_id, m.id, 0);
      return DONE;
    }
    const event = messageToEvent(m, place);
    if (this.#control.onMessage(event)) {
      if (live) this.#tracker.begin(m.channel_id, m.id, 0); // a stop: not delivered
      return DONE;
    }
    const mailboxes = this.#route(event, this.#channels.routingFacts(m, place));
    if (mailboxes.length === 0) { // another machine's: nothing to store, not even its files
      this.#status.drop("elsewhere");
      if (live) this.#tracker.begin(m.channel_id, m.id, 0);
      return DONE;
    }
    const tracked = live ? this.#tracker.begin(m.channel_id, m.id, mailboxes.length) : undefined;
    // The event is written once its files are stored (or their failure recorded); while the
    // bridge stops it is not written at all, so the cursor stays before it.
    const files = this.#files.fill(m.channel_id, m.id, event.attachments);
    const promise = files.then(async (write) => {
      if (!write) return;
      await this.#writeAll(mailboxes, event, tracked);
      if (this.#heldForLackOfSessions.has(event.id)) this.#releaseHeldToNewSession();
    }).catch((err) => this.#log.error(`cannot deliver message ${m.id}`, err)).finally(() => {
      this.#heldForLackOfSessions.delete(event.id);
      this.#inFlight.delete(m.id);
    });
    this.#inFlight.set(m.id, promise);
    return promise;
  }

  /**
   * A session may have registered (and released the held box) between routing a message to
   * the held box and writing it there: hand the held box to the newest live session then, so
   * the message does not wait for yet another session to start.
   */
  #releaseHeldToNewSession(): void {
    const newest = this.#view.newestLiveSession();
    if (newest === undefined) return;
    this.#inbox.releaseHeld(newest.id).then(
      (n) => n > 0 && this.#log.info(`held box: ${n} message(s) to new session ${newest.name}`),
      (err) => this.#log.error("cannot release the held box", err),
    );
  }

  /** Routes an event; if routing itself fails (a damaged state file), holds it rather than lose it. */
  #route(event: InboxEvent, facts: Omit<RoutableEvent, keyof InboxEvent> = {}): string[] {
    try {
      const mailboxes = routeEvent({ ...event, ...facts }, this.#view).mailboxes;
      if (mailboxes.length === 1 && mailboxes[0] === HELD) {
        this.#heldForLackOfSessions.add(event.id);
      }
      return mailboxes;
    } catch (err) {
      this.#log.error(`cannot route ${event.kind} ${event.id}; keeping it in the held box`, err);
      return event.kind === "message" ? [HELD] : [];
    }
  }

  #writeAll(mailboxes: string[], event: InboxEvent, tracked?: Tracked): Promise<void> {
    const written = Promise.all(mailboxes.map(async (mailbox) => {
      await this.#writer.write(mailbox, event);
      if (tracked) this.#tracker.complete(tracked);
    })).then(() => {});
    this.#work?.push(written);
    return written;
  }
}
