// Private: the bridge's side of the outbox (outbox.ts): one worker per session drains its queue
// in order, each entry sent (outbox_send.ts) and committed before the next. Workers start when a
// queue file changes (`Deno.watchFs` on the outbox directory, no polling), on start, and again
// after every gateway (re)connect, which also wakes the queues waiting out Discord.
//
// A queue whose entry cannot go now (Discord unreachable, a long rate limit, the token refused)
// waits with capped exponential backoff and jitter, its order kept; the other sessions' queues go
// on. An entry Discord refuses for good is committed as failed (outbox.ts keeps it in
// failed.jsonl and counts it) with one log line, and the queue moves on.
import { botIdFromToken } from "../config.ts";
import { DiscordApiError } from "../errors.ts";
import { type DiscordRest, DiscordUnreachableError } from "../_discord/rest.ts";
import { closedWatcher, ensurePrivateDir } from "../_shared/fs.ts";
import { describeError, type Logger } from "../log.ts";
import { Outbox, type OutboxEntry, type Outcome } from "../outbox.ts";
import { SessionRegistry } from "../sessions.ts";
import { EntrySender, SenderBlocked, type StatusChannel } from "./outbox_send.ts";
import { backoffMs, Sleepers } from "./backoff.ts";
import type { StatusBoard } from "./status.ts";

/** Options of {@linkcode OutboxSender}. */
export interface OutboxSenderOptions {
  /** The outbox. */
  outbox: Outbox;
  /** Sends one entry (outbox_send.ts `EntrySender`). */
  sender: { send(session: string, entry: OutboxEntry): Promise<Outcome> };
  /** Where to log. */
  log: Logger;
  /** Randomness in [0, 1) for the backoff's jitter. Default `Math.random`. */
  random?: () => number;
  /** First wait of a queue that cannot send, ms. Default 1000. */
  baseDelayMs?: number;
  /** Longest wait, ms. Default 60 000. */
  maxDelayMs?: number;
  /** Told after every commit (benchmarks, tests, status counters). */
  onOutcome?: (session: string, entry: OutboxEntry, outcome: Outcome) => void;
}

/** The sender's counters. */
export interface OutboxSenderStats {
  /** Entries sent since start. */
  sent: number;
  /** Entries Discord refused for good since start. */
  failed: number;
  /** Entries skipped (expired, nothing to edit) since start. */
  skipped: number;
  /** Sessions whose queue waits for Discord now. */
  waiting: number;
  /** Why the last queue that waits does so. */
  waitingWhy?: string;
}

const QUEUE_FILE = /^([A-Za-z0-9_-]{1,128})\.jsonl$/;
const NOT_SESSIONS = new Set(["rejected", "failed"]);

/** Sends the outbox. `start()` it; `stop()` it. */
export class OutboxSender {
  readonly #o: OutboxSenderOptions;
  readonly #workers = new Map<string, Promise<void>>();
  /** Sessions whose queue changed while their worker ran. */
  readonly #again = new Set<string>();
  readonly #waiting = new Map<string, string>();
  /** Sessions whose worker sleeps before trying again. */
  readonly #sleeping = new Set<string>();
  readonly #sleepers = new Sleepers();
  #watcher: Deno.FsWatcher | undefined;
  #watching: Promise<void> | undefined;
  #stopping = false;
  #sent = 0;
  #failed = 0;
  #skipped = 0;

  /** @param options The outbox, the entry sender, the log. */
  constructor(options: OutboxSenderOptions) {
    this.#o = options;
  }

  /** Starts watching the outbox and drains every queue that holds entries. */
  start(): void {
    if (this.#watcher !== undefined || this.#stopping) return;
    const dir = this.#o.outbox.directory;
    ensurePrivateDir(dir);
    const watcher = Deno.watchFs(dir, { recursive: false });
    this.#watcher = watcher;
    this.#watching = (async () => {
      try {
        for await (const event of watcher) {
          for (const path of event.paths) {
            const m = QUEUE_FILE.exec(path.slice(path.lastIndexOf("/") + 1));
            if (m && !NOT_SESSIONS.has(m[1])) this.#schedule(m[1]);
          }
        }
      } catch (err) {
        // Closed by stop(), or failed: then the queues go on at start and reconnects only.
        if (!(this.#stopping && closedWatcher(err))) {
          this.#o.log.error("outbox: watching stopped", err);
        }
      }
    })();
    this.nudge();
  }

  /** Drains every queue that holds entries now; queues waiting out Discord try again at once. */
  nudge(): void {
    if (this.#stopping) return;
    this.#sleepers.wakeAll();
    let sessions: string[];
    try {
      sessions = this.#o.outbox.sessions();
    } catch (err) {
      this.#o.log.error("outbox: cannot list the queues", err);
      return;
    }
    for (const session of sessions) this.#schedule(session);
  }

  /**
   * Resolves when no worker is sending: every queue drained, or waiting for Discord. For tests
   * and benchmarks.
   */
  async idle(): Promise<void> {
    for (;;) {
      const busy = [...this.#workers].filter(([session]) => !this.#sleeping.has(session));
      if (busy.length === 0) return;
      // A worker that goes to sleep does not settle: look again now and then.
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.all(busy.map(([, work]) => work)),
        new Promise((resolve) => (timer = setTimeout(resolve, 50))),
      ]);
      clearTimeout(timer);
    }
  }

  /** The counters. */
  stats(): OutboxSenderStats {
    const why = [...this.#waiting.values()].at(-1);
    return {
      sent: this.#sent,
      failed: this.#failed,
      skipped: this.#skipped,
      waiting: this.#waiting.size,
      ...(why ? { waitingWhy: why } : {}),
    };
  }

  /** Stops watching, ends the waits, and waits for the entries being sent (up to `ms`). */
  async stop(ms = 5000): Promise<void> {
    this.#stopping = true;
    this.#sleepers.close();
    try {
      this.#watcher?.close();
    } catch (err) {
      if (!(err instanceof Deno.errors.BadResource)) throw err;
    }
    await this.#watching;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.all([...this.#workers.values()]),
      new Promise((resolve) => (timer = setTimeout(resolve, ms))),
    ]);
    clearTimeout(timer);
  }

  #schedule(session: string): void {
    if (this.#stopping) return;
    if (this.#workers.has(session)) {
      this.#again.add(session);
      return;
    }
    const work = this.#work(session).catch((err) =>
      this.#o.log.error(`outbox ${session.slice(0, 8)}: the worker failed`, err)
    ).finally(() => {
      this.#workers.delete(session);
      if (this.#again.has(session)) this.#schedule(session);
    });
    this.#workers.set(session, work);
  }

  /** Drains one queue: entries in order, each committed before the next. */
  async #work(session: string): Promise<void> {
    let failures = 0;
    while (!this.#stopping) {
      this.#again.delete(session);
      let entry: OutboxEntry | undefined;
      try {
        const entries = await this.#o.outbox.peek(session);
        if (entries.length === 0) return;
        for (entry of entries) {
          if (this.#stopping) return;
          const outcome = await this.#o.sender.send(session, entry);
          if (failures > 0) {
            this.#o.log.info(`outbox ${session.slice(0, 8)}: sending again`);
            failures = 0;
          }
          this.#waiting.delete(session);
          await this.#o.outbox.commit(session, entry, outcome);
          this.#count(session, entry, outcome);
        }
        await this.#o.outbox.sweep(session);
      } catch (err) {
        // Discord cannot be reached or refuses the token, or a file could not be written: the
        // queue waits and starts again from its first pending entry (a resend is answered by
        // the entry's nonce).
        failures++;
        await this.#wait(session, entry, err, failures);
      }
    }
  }

  /** Waits before the queue tries again, logging the reason now and then. */
  async #wait(
    session: string,
    entry: OutboxEntry | undefined,
    err: unknown,
    failures: number,
  ): Promise<void> {
    const expected = err instanceof DiscordUnreachableError || err instanceof SenderBlocked;
    const why = describeError(err);
    this.#waiting.set(session, why);
    const ms = backoffMs(
      failures,
      this.#o.baseDelayMs ?? 1000,
      this.#o.maxDelayMs ?? 60_000,
      this.#o.random ?? Math.random,
    );
    // The first failure and then every doubling: a long outage is a handful of lines.
    if ((failures & (failures - 1)) === 0) {
      const line =
        `outbox ${session.slice(0, 8)}: ${
          entry ? `entry ${entry.id}` : "the queue"
        } waits (attempt ` +
        `${failures}; retrying in ${ms} ms): ${why}`;
      if (expected) this.#o.log.warn(line);
      else this.#o.log.error(line, err);
    }
    this.#sleeping.add(session);
    try {
      await this.#sleepers.sleep(ms);
    } finally {
      this.#sleeping.delete(session);
    }
  }

  #count(session: string, entry: OutboxEntry, outcome: Outcome): void {
    if ("sent" in outcome) this.#sent++;
    else if ("failed" in outcome) {
      this.#failed++;
      this.#o.log.error(
        `outbox ${session.slice(0, 8)}: entry ${entry.id} (${entry.kind}) failed for good, ` +
          `kept in outbox/failed.jsonl: ${outcome.failed}`,
      );
    } else {
      this.#skipped++;
      this.#o.log.info(
        `outbox ${
          session.slice(0, 8)
        }: entry ${entry.id} (${entry.kind}) skipped: ${outcome.skipped}`,
      );
    }
    this.#o.onOutcome?.(session, entry, outcome);
  }
}

/** What the bridge gives its outbox sender. */
export interface BridgeOutboxOptions {
  /** The outbox's bounds (config `outboxMaxPosts`, `outboxMaxBytes`). Default outbox.ts's. */
  limits: { maxEntries?: number; maxBytes?: number } | undefined;
  /** The bridge's REST client (one rate-limit state for every session). */
  rest: DiscordRest;
  /** The state directory. */
  home: string;
  /** The bot token (its user id: the threads the bot made). */
  token: string;
  /** The STATUS channel (the webhook's), once the bridge read it. */
  statusChannelId: () => string | undefined;
  /** The chat channel's guild. */
  guildId: () => string;
  /** Where to log. */
  log: Logger;
  /** Clock (ms). */
  now: () => number;
  /** Randomness for the backoff. */
  random?: () => number;
  /** The bridge's status board: the outbox's figures go into status.json. */
  status: StatusBoard;
  /** Told after every commit. */
  onOutcome: OutboxSenderOptions["onOutcome"] | undefined;
}

/**
 * The bridge's outbox sender: entries sent with the bridge's REST client, session threads
 * opened in the STATUS channel, which is read once (its type and guild). Without a STATUS
 * channel (no webhook, or one the bot cannot read) posts into session threads fail, logged.
 * Its figures, with the outbox's dropped count, go into the bridge's status.json.
 *
 * @param o The bounds, REST client, STATUS channel, status board and log.
 * @returns The sender, not started.
 */
export function bridgeOutboxSender(o: BridgeOutboxOptions): OutboxSender {
  const outbox = new Outbox(o.home, {
    ...o.limits,
    now: o.now,
    onWarning: (m) => o.log.warn(m),
  });
  let status: Promise<StatusChannel | undefined> | undefined;
  const statusChannel = (): Promise<StatusChannel | undefined> => {
    const id = o.statusChannelId();
    if (id === undefined) return Promise.resolve(undefined);
    status ??= o.rest.getChannel(id).then(
      (c): StatusChannel => ({ id, type: c.type, guildId: c.guild_id ?? o.guildId() }),
      (err) => {
        if (err instanceof DiscordApiError && !(err instanceof DiscordUnreachableError)) {
          o.log.warn(`the STATUS channel ${id} cannot be read (${describeError(err)}): run setup`);
          return undefined;
        }
        // Discord unreachable: asked again with the next entry.
        status = undefined;
        throw err;
      },
    );
    return status;
  };
  const sender = new OutboxSender({
    outbox,
    sender: new EntrySender({
      rest: o.rest,
      outbox,
      registry: new SessionRegistry(o.home),
      home: o.home,
      botId: botIdFromToken(o.token),
      statusChannel,
      now: o.now,
      log: o.log,
    }),
    log: o.log,
    ...(o.random ? { random: o.random } : {}),
    onOutcome: (session, entry, outcome) => {
      o.status.touch();
      o.onOutcome?.(session, entry, outcome);
    },
  });
  o.status.outbox = () => ({ ...sender.stats(), dropped: outbox.stats().dropped });
  return sender;
}
