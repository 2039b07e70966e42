// Private: catch-up from channel history. After every (re)connect the bridge pages
// `GET /channels/{id}/messages?after=<cursor>` (100 per page) for the chat channel and every
// active thread under the accepted parents, writes what it had not seen, and moves each
// cursor only once a page is durable. Catch-ups of one channel never overlap.
import { describeError, type Logger } from "../log.ts";
import { type RawChannel, type RawMessage, THREAD_TYPES } from "../_discord/raw.ts";
import type { DiscordRest } from "../_discord/rest.ts";
import type { Place } from "./events.ts";
import type { CursorStore, CursorTracker } from "./cursors.ts";

/** What {@linkcode CatchUp} works with. */
export interface CatchUpDeps {
  rest: DiscordRest;
  cursors: CursorStore;
  tracker: CursorTracker;
  log: Logger;
  random: () => number;
  sleep: (ms: number) => Promise<void>;
  stopped: () => boolean;
  guildId: () => string;
  chatId: string;
  accepts: (parentId: string | null | undefined) => boolean;
  learnThread: (thread: RawChannel) => void;
  /** Writes a message (unless seen); resolves when it is durable or dropped. */
  ingest: (m: RawMessage, place: Place) => Promise<void>;
  onDone: () => void;
  now: () => number;
}

const PAGE = 100;
/** Cursors of threads that were not active for this long are forgotten. */
const CURSOR_MAX_AGE_MS = 30 * 86_400_000;

/** Runs catch-ups: all channels after a (re)connect, or one newly seen channel. */
export class CatchUp {
  readonly #d: CatchUpDeps;
  readonly #channels = new Map<string, Promise<void>>();
  #requested = 0;
  #served = 0;
  #loop: Promise<void> | undefined;
  /** Full catch-ups finished. */
  completed = 0;

  constructor(deps: CatchUpDeps) {
    this.#d = deps;
  }

  /**
   * Asks for a full catch-up; resolves when one that started after this call finished.
   * Calls made while one runs are served together by the next run.
   */
  all(_epoch: number): Promise<void> {
    this.#requested++;
    this.#loop ??= this.#runLoop().finally(() => (this.#loop = undefined));
    return this.#loop;
  }

  /** Catches up one channel (first seen with a gap) unless it is already being caught up. */
  channel(channelId: string, place: Place): void {
    if (this.#channels.has(channelId)) return;
    this.#channel(channelId, place, this.#d.tracker.epoch).catch((err) =>
      this.#d.log.warn(`catch-up of ${channelId} failed: ${describeError(err)}; retried later`)
    );
  }

  /** Resolves when no catch-up runs. */
  async idle(): Promise<void> {
    while (this.#loop || this.#channels.size > 0) {
      await Promise.allSettled([this.#loop, ...this.#channels.values()]);
    }
  }

  async #runLoop(): Promise<void> {
    while (this.#served < this.#requested && !this.#d.stopped()) {
      const target = this.#requested;
      await this.#allOnce(this.#d.tracker.epoch);
      this.#served = target;
    }
  }

  async #allOnce(epoch: number): Promise<void> {
    const d = this.#d;
    for (let attempt = 1; !d.stopped(); attempt++) {
      try {
        const guildId = d.guildId();
        const threads = guildId ? await d.rest.getActiveThreads(guildId) : [];
        const channels: Array<[string, Place]> = [[d.chatId, {}]];
        for (const t of threads) {
          d.learnThread(t);
          if (THREAD_TYPES.has(t.type) && d.accepts(t.parent_id)) {
            channels.push([t.id, { threadId: t.id, parentId: t.parent_id! }]);
          }
        }
        const pruned = d.cursors.prune(
          new Set(channels.map(([id]) => id)),
          d.now(),
          CURSOR_MAX_AGE_MS,
        );
        if (pruned.length > 0) d.log.info(`forgot the cursors of ${pruned.length} old thread(s)`);
        for (const [id, place] of channels) {
          if (d.stopped()) return;
          await this.#channel(id, place, epoch);
        }
        if (d.stopped()) return;
        this.completed++;
        d.onDone();
        return;
      } catch (err) {
        const ceiling = Math.min(30_000, 1000 * 2 ** (attempt - 1));
        const ms = Math.round(ceiling / 2 + d.random() * ceiling / 2);
        d.log.warn(
          `catch-up failed (attempt ${attempt}): ${describeError(err)}; retrying in ${ms} ms`,
        );
        await d.sleep(ms);
      }
    }
  }

  #channel(channelId: string, place: Place, epoch: number): Promise<void> {
    const previous = this.#channels.get(channelId) ?? Promise.resolve();
    const run = previous.catch(() => {}).then(() => this.#pages(channelId, place, epoch));
    this.#channels.set(channelId, run);
    const forget = () => {
      if (this.#channels.get(channelId) === run) this.#channels.delete(channelId);
    };
    run.then(forget, forget);
    return run;
  }

  async #pages(channelId: string, place: Place, epoch: number): Promise<void> {
    const d = this.#d;
    let after = d.cursors.get(channelId);
    let total = 0;
    for (;;) {
      if (d.stopped()) return;
      const page = await d.rest.getMessages(channelId, { after, limit: PAGE });
      if (d.stopped()) return;
      if (page.length === 0) break;
      const guildId = d.guildId();
      await Promise.all(
        page.map((m) => d.ingest(m.guild_id || !guildId ? m : { ...m, guild_id: guildId }, place)),
      );
      if (d.stopped()) return;
      after = page[page.length - 1].id;
      d.cursors.advance(channelId, after);
      total += page.length;
      if (page.length < PAGE) break;
    }
    d.tracker.caughtUp(channelId, epoch);
    if (total > 0) d.log.info(`caught up ${total} message(s) in ${channelId}`);
  }
}
