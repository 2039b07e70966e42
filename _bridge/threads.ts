// Private: what every bridge can tell about a thread under the watched channels, whichever
// machine made it (ARCHITECTURE.md, Routing):
// - its origin: `bot` when the bot (or its STATUS webhook) created it (the thread's `owner_id`)
//   or when it was started from a message of theirs (the message with the thread's id in the
//   parent channel, read once per thread and bridge run); `person` otherwise. A thread of the bot that is not this machine's
//   session's is another machine's: routing ignores its messages.
// - the session threads the bot has open (created by the bot, not archived), every machine's,
//   written to `bridge/session_threads.json` when they change: a hook naming a new session reads
//   there which names other machines' sessions have (sessions.ts `otherMachines`).
import { writeSessionThreads } from "../daemon.ts";
import { describeError, type Logger } from "../log.ts";
import type { ThreadOrigin } from "../routing.ts";
import type { RawChannel, RawMessage } from "../_discord/raw.ts";
import type { DiscordRest } from "../_discord/rest.ts";

/** What {@linkcode ThreadFacts} works with. */
export interface ThreadFactsDeps {
  /** The bot's user id and its webhook's id (events.ts `ownAuthors`). */
  ours: ReadonlySet<string>;
  /** Reads starter messages. */
  rest: DiscordRest;
  log: Logger;
  /** The state directory (`bridge/session_threads.json`). */
  home: string;
  /** Clock (ms). */
  now: () => number;
}

/** How long a thread whose starter could not be read waits before it is asked again. */
const RECHECK_AFTER_MS = 60_000;

/** Origins and the bot's open threads, for the threads of the watched channels. */
export class ThreadFacts {
  readonly #d: ThreadFactsDeps;
  readonly #origins = new Map<string, ThreadOrigin>();
  /** Starter reads under way. */
  readonly #checks = new Map<string, Promise<void>>();
  /** Threads whose starter could not be read, and when. */
  readonly #failed = new Map<string, number>();
  /** The bot's open threads: id → name, in the order they were learnt. */
  readonly #open = new Map<string, string>();
  #written = "";

  constructor(deps: ThreadFactsDeps) {
    this.#d = deps;
  }

  /** Learns a thread of a watched channel (THREAD_CREATE/UPDATE, GUILD_CREATE, a lookup). */
  learn(t: RawChannel): void {
    this.#note(t);
    this.#save();
  }

  /**
   * The threads of the watched channels as listed after a (re)connect: the bot's open threads
   * are exactly the listed ones now.
   */
  listed(threads: readonly RawChannel[]): void {
    this.#open.clear();
    for (const t of threads) this.#note(t);
    this.#save();
  }

  /** A thread deleted. */
  forget(threadId: string): void {
    this.#origins.delete(threadId);
    this.#failed.delete(threadId);
    if (this.#open.delete(threadId)) this.#save();
  }

  /** The thread's origin; `undefined` while not known (its starter not read, or unreadable). */
  originOf(threadId: string): ThreadOrigin | undefined {
    return this.#origins.get(threadId);
  }

  /** Whether the thread's starter is to be read before its messages are routed. */
  needsCheck(threadId: string): boolean {
    if (this.#origins.has(threadId)) return false;
    const failedAt = this.#failed.get(threadId);
    return failedAt === undefined || this.#d.now() - failedAt >= RECHECK_AFTER_MS;
  }

  /**
   * Reads the starter of a thread the bot did not create, once: the message with the thread's
   * id in its parent (a thread started from a message has that message's id). Discord's "no
   * such message" (a thread started without one, a forum post of a person) makes it a person's.
   *
   * @param threadId The thread.
   * @param parentId Its parent channel.
   * @param strict Reject when Discord cannot be reached (catch-up retries); otherwise that is
   *   logged, and the thread's origin stays unknown for a minute.
   */
  check(threadId: string, parentId: string, strict = false): Promise<void> {
    if (!this.needsCheck(threadId)) return Promise.resolve();
    let check = this.#checks.get(threadId);
    if (check === undefined) {
      check = this.#read(threadId, parentId).finally(() => this.#checks.delete(threadId));
      this.#checks.set(threadId, check);
    }
    return strict ? check : check.catch((err) => {
      this.#d.log.warn(
        `cannot read the starter of thread ${threadId}; its messages are taken for another ` +
          `machine's until it can be read: ${describeError(err)}`,
      );
    });
  }

  async #read(threadId: string, parentId: string): Promise<void> {
    try {
      const res = await this.#d.rest.answer<RawMessage>(
        "GET",
        `/channels/${parentId}/messages/${threadId}`,
        { what: `read the starter of thread ${threadId}` },
      );
      const byBot = res.ok && this.#d.ours.has(res.body.author?.id ?? "");
      this.#origins.set(threadId, byBot ? "bot" : "person");
      this.#failed.delete(threadId);
    } catch (err) {
      this.#failed.set(threadId, this.#d.now());
      throw err;
    }
  }

  #note(t: RawChannel): void {
    if (!t?.id) return;
    const byBot = this.#d.ours.has(t.owner_id ?? "");
    if (byBot) this.#origins.set(t.id, "bot");
    if (byBot && !t.thread_metadata?.archived && t.name) this.#open.set(t.id, t.name);
    else this.#open.delete(t.id);
  }

  /** Writes the bot's open threads when they changed (a failure is logged; the next change writes). */
  #save(): void {
    const threads = [...this.#open].map(([id, name]) => ({ id, name }));
    const text = JSON.stringify(threads);
    if (text === this.#written) return;
    try {
      writeSessionThreads(this.#d.home, threads, new Date(this.#d.now()).toISOString());
      this.#written = text;
    } catch (err) {
      this.#d.log.warn(`cannot write the session threads: ${describeError(err)}`);
    }
  }
}
