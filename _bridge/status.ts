// Private: the bridge's counters and state, published to status.json (see daemon.ts) when the
// state changes and every `intervalMs` while counters change; drop counts go to the log.
import {
  type BridgeOutboxStatus,
  type BridgeStatusFile,
  HEALTHY_RUN_MS,
  type IdentifySummary,
  writeBridgeStatus,
} from "../daemon.ts";
import { describeError, type Logger, scrub } from "../log.ts";

/** Counters and state of one bridge run. */
export class StatusBoard {
  readonly #home: string;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #startedAt: string;
  #state: BridgeStatusFile["state"] = "starting";
  #since: string;
  #dirty = true;
  #timers: ReturnType<typeof setTimeout>[] = [];
  #healthyAt: string | undefined;
  #ended: "stopped" | "failed" | undefined;
  #droppedLogged = "";
  #warnedEmptyAt = -Infinity;
  /** Mailbox lines written. */
  delivered = 0;
  /** Messages not delivered, by reason. */
  readonly dropped: Record<string, number> = {};
  /** Gateway connections closed. */
  disconnects = 0;
  /** ISO time of the last full catch-up. */
  lastCatchUpAt: string | undefined;
  /** A problem the user should fix. */
  warning: string | undefined;
  /** The outbox's figures, read when publishing. */
  outbox: (() => BridgeOutboxStatus) | undefined;
  /** Tells the disk use of stored attachments. */
  attachments: (() => { folders: number; files: number; bytes: number }) | undefined;
  /** This machine. */
  machine: { id: string; label: string } | undefined;
  /** How the gateway last connected. */
  connectedBy: BridgeStatusFile["connectedBy"];
  /** The IDENTIFY budget's figures, read when publishing. */
  identify: (() => IdentifySummary) | undefined;
  /** The last error logged through {@linkcode StatusBoard.watch}'s logger (for `/status`). */
  lastError: { at: string; message: string } | undefined;

  constructor(home: string, log: Logger, now: () => number) {
    this.#home = home;
    this.#log = log;
    this.#now = now;
    this.#startedAt = new Date(now()).toISOString();
    this.#since = this.#startedAt;
  }

  /** The gateway state. */
  get state(): BridgeStatusFile["state"] {
    return this.#state;
  }

  /** ISO time of the last state change. */
  get since(): string {
    return this.#since;
  }

  /** A logger that writes to `log` and remembers the last error as {@linkcode lastError}. */
  watch(log: Logger): Logger {
    return {
      path: log.path,
      info: (message) => log.info(message),
      warn: (message) => log.warn(message),
      error: (message, err) => {
        this.lastError = {
          at: new Date(this.#now()).toISOString(),
          // Shown in Discord by /status: no token, webhook or interaction URL in it.
          message: scrub(err === undefined ? message : `${message}: ${describeError(err)}`),
        };
        log.error(message, err);
      },
    };
  }

  /**
   * Starts the periodic status refresh, the drop summary in the log (every minute), and marks
   * the run healthy once it has been up `healthyAfterMs` (a later crash then restarts at once,
   * see daemon.ts `decideStart`).
   */
  start(intervalMs: number, healthyAfterMs: number = HEALTHY_RUN_MS): void {
    this.publish();
    this.#timers.push(setInterval(() => this.#dirty && this.publish(), intervalMs));
    this.#timers.push(setInterval(() => this.logDrops(), 60_000));
    this.#timers.push(setTimeout(() => {
      this.#healthyAt = new Date(this.#now()).toISOString();
      this.publish();
    }, healthyAfterMs));
  }

  /** Stops the timers, logs the drop summary and publishes a last time, with how it ended. */
  stop(ended: "stopped" | "failed"): void {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers = [];
    this.logDrops();
    this.#ended = ended;
    this.publish();
  }

  /**
   * A message arrived without its text: the message content intent is off. Sets the warning
   * and logs it, at most every 10 minutes.
   */
  warnEmpty(messageId: string, authorId: string | undefined): void {
    const now = this.#now();
    if (now - this.#warnedEmptyAt < 600_000) return;
    this.#warnedEmptyAt = now;
    this.warning = "Discord sends messages without their text: turn on MESSAGE CONTENT INTENT " +
      "in the Developer Portal > your application > Bot > Privileged Gateway Intents";
    this.#log.error(`${this.warning} (message ${messageId} from ${authorId} arrived empty)`);
    this.touch();
  }

  /** Marks counters as changed. */
  touch(): void {
    this.#dirty = true;
  }

  /** Counts a message that is not delivered. */
  drop(reason: string): void {
    this.dropped[reason] = (this.dropped[reason] ?? 0) + 1;
    this.#dirty = true;
  }

  /** Changes the state (never out of "stopping" or "halted") and publishes it. */
  setState(state: BridgeStatusFile["state"]): void {
    if (this.#state === state || this.#state === "stopping" || this.#state === "halted") return;
    this.#state = state;
    this.#since = new Date(this.#now()).toISOString();
    this.publish();
  }

  /** Writes status.json now. */
  publish(): void {
    this.#dirty = false;
    try {
      writeBridgeStatus(this.#home, {
        pid: Deno.pid,
        startedAt: this.#startedAt,
        state: this.#state,
        since: this.#since,
        ...(this.lastCatchUpAt ? { lastCatchUpAt: this.lastCatchUpAt } : {}),
        delivered: this.delivered,
        dropped: { ...this.dropped },
        ...(this.warning ? { warning: this.warning } : {}),
        ...(this.outbox ? { outbox: this.outbox() } : {}),
        ...(this.#healthyAt ? { healthyAt: this.#healthyAt } : {}),
        ...(this.#ended ? { ended: this.#ended } : {}),
        ...(this.attachments ? { attachments: this.#usage(this.attachments) } : {}),
        ...(this.machine ? { machine: this.machine } : {}),
        ...(this.connectedBy ? { connectedBy: this.connectedBy } : {}),
        ...(this.identify ? { identify: this.identify() } : {}),
      });
    } catch (err) {
      this.#log.warn(`cannot write status.json: ${describeError(err)}`);
    }
  }

  #usage(
    count: () => { folders: number; files: number; bytes: number },
  ): BridgeStatusFile["attachments"] {
    try {
      const u = count();
      return { messages: u.folders, files: u.files, bytes: u.bytes };
    } catch (err) {
      // Any failure leaves the count out of status.json (`status` counts from the folder).
      this.#log.warn(`cannot count the stored attachments: ${describeError(err)}`);
      return undefined;
    }
  }

  /** Logs the drop counts if they changed since the last time. */
  logDrops(): void {
    const text = Object.entries(this.dropped).map(([k, v]) => `${k} ${v}`).join(", ");
    if (text === "" || text === this.#droppedLogged) return;
    this.#droppedLogged = text;
    this.#log.info(`not delivered so far: ${text}`);
  }
}
