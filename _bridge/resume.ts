// Private: the gateway session a restarted bridge RESUMEs (ARCHITECTURE.md, The gateway
// session). `bridge/gateway.json` (0600) holds READY's session id and resume URL and the
// sequence number up to which every dispatch is handled: a dispatch that writes to mailboxes
// counts once its lines are durable, so a bridge killed mid-write is sent it again on RESUME
// (mailboxes drop the duplicate). The file is written at READY and RESUMED, then at most every
// `intervalMs` while the sequence moves, every `refreshMs` while connected (its `aliveAt` tells a
// new process whether Discord still keeps the session), and on stop; op 9 with `d: false` and a
// new session's READY replace it.
import { type GatewaySession, RESUME_WINDOW_MS } from "../_discord/gateway.ts";
import { describeError, type Logger } from "../log.ts";
import {
  ensurePrivateDir,
  readJsonState,
  removeIfExists,
  writePrivateFileAtomic,
} from "../_shared/fs.ts";

/** What `bridge/gateway.json` holds. */
interface SessionFile extends Omit<GatewaySession, "aliveAt"> {
  /** The bot the session is of (a new token of another bot must not resume it). */
  botId: string;
  /** Epoch ms the bridge was last known connected with it. */
  aliveAt: number;
}

/** Options of {@linkcode SessionStore}. */
export interface SessionStoreOptions {
  /** The bot's user id. */
  botId: string;
  /** Log. */
  log: Logger;
  /** Clock (ms). Default `Date.now`. */
  now?: () => number;
  /** Longest wait before a moved sequence is written. Default 1000 ms. */
  intervalMs?: number;
  /** How often `aliveAt` is refreshed while connected. Default 60 s. */
  refreshMs?: number;
}

/** The saved session, and which dispatches of it are handled. */
export class SessionStore {
  readonly #path: string;
  readonly #o: SessionStoreOptions;
  readonly #now: () => number;
  #session: { sessionId: string; resumeGatewayUrl: string } | undefined;
  /** Bumped by every new session: work of an old one no longer moves the sequence. */
  #generation = 0;
  /** The highest sequence number seen, and those whose work is not durable yet. */
  #last = 0;
  readonly #pending = new Set<number>();
  #written = -1;
  #connected = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #refresh: ReturnType<typeof setInterval> | undefined;
  #closed = false;

  /**
   * @param path `bridge/gateway.json`.
   * @param options Bot id, log, clock, intervals.
   */
  constructor(path: string, options: SessionStoreOptions) {
    this.#path = path;
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  /**
   * The saved session when a RESUME of it may still work: of this bot, last connected within
   * {@linkcode RESUME_WINDOW_MS}. A damaged file is moved aside (logged).
   */
  load(): GatewaySession | undefined {
    const state = readJsonState(this.#path, parseSessionFile, undefined);
    if (state.damaged) this.#o.log.warn(state.damaged);
    const s = state.value;
    if (!s) return undefined;
    if (s.botId !== this.#o.botId) {
      this.#o.log.info("the saved gateway session is another bot's: identifying");
      return undefined;
    }
    const age = this.#now() - s.aliveAt;
    if (age > RESUME_WINDOW_MS) {
      this.#o.log.info(
        `the saved gateway session was last connected ${Math.round(age / 1000)} s ago: identifying`,
      );
      return undefined;
    }
    this.#session = { sessionId: s.sessionId, resumeGatewayUrl: s.resumeGatewayUrl };
    this.#last = s.sequence;
    this.#written = s.sequence;
    return {
      sessionId: s.sessionId,
      sequence: s.sequence,
      resumeGatewayUrl: s.resumeGatewayUrl,
      aliveAt: s.aliveAt,
    };
  }

  /** A new session (READY): saved at once. */
  ready(sessionId: string, resumeGatewayUrl: string, sequence: number): void {
    this.#generation++;
    this.#pending.clear();
    this.#session = { sessionId, resumeGatewayUrl };
    this.#last = sequence;
    this.#connected = true;
    this.#write();
    this.#startRefresh();
  }

  /** The session resumed (RESUMED): saved at once. */
  resumed(sequence: number): void {
    this.#last = Math.max(this.#last, sequence);
    this.#connected = true;
    this.#write();
    this.#startRefresh();
  }

  /** The connection closed: `aliveAt` stops moving. */
  disconnected(): void {
    if (!this.#connected) return;
    this.#connected = false;
    this.#write();
  }

  /**
   * A dispatch arrived; `work` (its mailbox writes) settles when it is durable. The saved
   * sequence never passes a dispatch whose work is pending.
   */
  dispatched(sequence: number | null, work: readonly Promise<unknown>[] = []): void {
    if (sequence === null) return;
    this.#last = Math.max(this.#last, sequence);
    if (work.length > 0) {
      const generation = this.#generation;
      this.#pending.add(sequence);
      Promise.allSettled(work).then(() => {
        if (generation !== this.#generation) return;
        this.#pending.delete(sequence);
        this.#schedule();
      });
    }
    this.#schedule();
  }

  /** Op 9 with `d: false`: the session is gone; nothing to resume any more. */
  invalidated(): void {
    this.#generation++;
    this.#pending.clear();
    this.#session = undefined;
    this.#connected = false;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    try {
      removeIfExists(this.#path);
    } catch (err) {
      this.#o.log.warn(`cannot remove ${this.#path}: ${describeError(err)}`);
    }
  }

  /** The sequence number up to which every dispatch is handled. */
  durableSequence(): number {
    let lowest = Infinity;
    for (const s of this.#pending) lowest = Math.min(lowest, s);
    return lowest === Infinity ? this.#last : Math.min(this.#last, lowest - 1);
  }

  /** Writes what is pending and stops the timers (the session stays resumable). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    clearInterval(this.#refresh);
    if (this.#session) this.#write();
  }

  #schedule(): void {
    if (this.#timer !== undefined || this.#closed || !this.#session) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.durableSequence() !== this.#written) this.#write();
    }, this.#o.intervalMs ?? 1000);
  }

  #startRefresh(): void {
    if (this.#refresh !== undefined || this.#closed) return;
    this.#refresh = setInterval(() => {
      if (this.#connected) this.#write();
    }, this.#o.refreshMs ?? 60_000);
  }

  #write(): void {
    const session = this.#session;
    if (!session) return;
    const sequence = this.durableSequence();
    const file: SessionFile = {
      ...session,
      sequence,
      botId: this.#o.botId,
      aliveAt: this.#now(),
    };
    try {
      ensurePrivateDir(this.#path.slice(0, this.#path.lastIndexOf("/")));
      writePrivateFileAtomic(this.#path, JSON.stringify(file) + "\n");
      this.#written = sequence;
    } catch (err) {
      this.#o.log.warn(`cannot save the gateway session: ${describeError(err)}`);
    }
  }
}

function parseSessionFile(value: unknown): SessionFile | undefined {
  const v = value as Partial<SessionFile> | null;
  if (!v || typeof v !== "object") return undefined;
  const ok = typeof v.sessionId === "string" && v.sessionId !== "" &&
    typeof v.resumeGatewayUrl === "string" && URL.canParse(v.resumeGatewayUrl) &&
    typeof v.sequence === "number" && Number.isInteger(v.sequence) && v.sequence >= 0 &&
    typeof v.botId === "string" && typeof v.aliveAt === "number";
  return ok ? v as SessionFile : undefined;
}
