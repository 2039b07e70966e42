// Private: the bridge itself: one gateway connection, every accepted event into the right
// mailboxes, catch-up from history after every (re)connect. bridge.ts is the thin entry point.
// Its parts: start_up.ts (the reads before it connects), intake.ts (one message from filter to
// durable write), control_wiring.ts (cards, receipts, Stop, slash commands), dispatch.ts (each
// gateway event to its handler).
import { ClaudeDiscordError } from "../errors.ts";
import { Inbox, type InboxEvent } from "../inbox.ts";
import { describeError, type Logger } from "../log.ts";
import type { OutboxEntry, Outcome } from "../outbox.ts";
import { PostIndex } from "../posts.ts";
import { SessionRegistry } from "../sessions.ts";
import { bridgePaths, type BridgeStatusFile } from "../daemon.ts";
import { botIdFromToken, configFileExposure, DEFAULT_IDENTIFY_CAP } from "../config.ts";
import { type MachineIdentity, machineIdentity } from "../machine.ts";
import { DiscordRest } from "../_discord/rest.ts";
import { ownAuthors } from "./events.ts";
import { type ClickDesk, UploadLimitRecorder } from "./interactions.ts";
import { CursorStore, CursorTracker } from "./cursors.ts";
import { MailboxWriter } from "./writer.ts";
import { CachedRoutingView } from "./view.ts";
import { CatchUp } from "./catchup.ts";
import { ChannelMap } from "./channels.ts";
import { StatusBoard } from "./status.ts";
import { bridgeOutboxSender, type OutboxSender } from "./outbox.ts";
import type { ControlRoom } from "./control.ts";
import { Sleepers } from "./backoff.ts";
import type { CardsAndReceipts } from "./cards_receipts.ts";
import {
  type AttachmentLimits,
  type AttachmentStore,
  bridgeAttachmentStore,
} from "./attachments.ts";
import { Connection } from "./connection.ts";
import { readChannels, type Retrying, retrying } from "./start_up.ts";
import { MessageIntake } from "./intake.ts";
import { wireControlRoom } from "./control_wiring.ts";
import { dispatchEvent, type DispatchTargets } from "./dispatch.ts";

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

/** The bridge. `start()` it, then `stop()` it; `done` settles when it ends. */
export class Bridge {
  readonly #o: BridgeOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #allowed: Set<string>;
  readonly #rest: DiscordRest;
  readonly #targets: DispatchTargets;
  readonly #writer: MailboxWriter;
  readonly #intake: MessageIntake;
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
  readonly #retrying: Retrying;
  readonly #ready = Promise.withResolvers<void>();
  readonly #done = Promise.withResolvers<void>();
  readonly #botId: string | undefined;
  readonly #machine: MachineIdentity;
  #connection: Connection | undefined;
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
    this.#retrying = retrying({
      log: this.#log,
      status: this.#status,
      sleep: (ms) => this.#sleepers.sleep(ms),
      random: options.random,
      stopping: () => this.#stopping,
    });
    const inbox = new Inbox(options.home, {
      heldRetentionHours: options.heldRetentionHours,
      onWarning: (m) => this.#log.warn(`inbox: ${m}`),
    });
    this.#files = bridgeAttachmentStore(options, this.#rest, this.#status);
    this.#view = new CachedRoutingView(
      new SessionRegistry(options.home, { onWarning: (m) => this.#log.warn(m) }),
      new PostIndex(options.home),
      { maxAgeMs: options.sessionCacheMs, machineLabel: this.#machine.label },
    );
    const ours = ownAuthors(this.#botId, options.webhookUrl);
    this.#channels = new ChannelMap(options.channelId, this.#rest, options.log, {
      ours,
      home: options.home,
      now: this.#now,
      recorded: (id) => this.#view.postOwner(id) !== undefined,
    });
    ({ cards: this.#cards, control: this.#control } = wireControlRoom({
      options,
      log: this.#log,
      rest: this.#rest,
      now: this.#now,
      machineLabel: this.#machine.label,
      view: this.#view,
      guildId: () => this.#channels.guildId,
      status: this.#status,
      inbox,
    }));
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
    this.#cursors = new CursorStore(bridgePaths(options.home).cursors, {
      now: this.#now(),
      onError: (err) => this.#log.error("cannot save the catch-up cursors", err),
      onWarning: (message) => this.#log.warn(message),
    });
    this.#tracker = new CursorTracker(this.#cursors);
    const desk: ClickDesk = {
      // An interaction answer later than 3 s is useless: a short budget.
      rest: new DiscordRest({
        ...rest,
        retry: { budgetMs: 2500, timeoutMs: 2500, maxAttempts: 3 },
      }),
      log: this.#log,
      allowed: this.#allowed,
      placeOf: (channelId) => this.#channels.placeOf(channelId),
      route: (event) => this.#intake.route(event),
      write: (mailboxes, event) => this.#intake.write(mailboxes, event),
      drop: (reason) => this.#status.drop(reason),
      botId: () => this.#botId,
      now: this.#now,
      ours,
      sleep: (ms) => this.#sleepers.sleep(ms),
      stopped: () => this.#stopping,
      uploadLimit: new UploadLimitRecorder(options.home, this.#log, this.#now),
    };
    this.#targets = {
      control: this.#control,
      channels: this.#channels,
      desk,
      connected: (t) => this.#onConnected(t),
      message: (m) => this.#intake.onLive(m),
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
      ingest: (m, place) => this.#intake.process(m, place, false),
      write: (m, place) => void this.#intake.process(m, place, true),
      release: (m, place) => this.#intake.live(m, place),
      onDone: () => {
        this.#status.lastCatchUpAt = new Date(this.#now()).toISOString();
        this.#status.touch();
      },
      now: this.#now,
    });
    this.#intake = new MessageIntake({
      allowed: this.#allowed,
      status: this.#status,
      tracker: this.#tracker,
      catchUp: this.#catchUp,
      intercept: (event) => this.#control.onMessage(event),
      channels: this.#channels,
      files: this.#files,
      writer: this.#writer,
      view: this.#view,
      inbox,
      log: this.#log,
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

    const goOn = await readChannels({
      channelId: this.#o.channelId,
      webhookUrl: this.#o.webhookUrl,
      rest: this.#rest,
      log: this.#log,
      channels: this.#channels,
      retrying: this.#retrying,
      stopping: () => this.#stopping,
    });
    if (!goOn) return;
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
      retrying: this.#retrying,
      dispatch: (t, d) => this.#intake.collect(() => this.#handle(t, d)),
      fail: (err) => this.#fail(err),
      stopping: () => this.#stopping,
      connecting: () => this.#catchUp.expect(),
    });
    this.#connection.start();
  }

  /** Handles a dispatch (the mailbox writes it starts are collected by the intake). */
  #handle(t: string, d: unknown): void {
    if (this.#stopping) return;
    dispatchEvent(t, d, this.#targets);
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
}
