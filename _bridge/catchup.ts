// Private: catch-up from channel history, in Discord order. After every (re)connect the bridge
// pages `GET /channels/{id}/messages?after=<cursor>` (100 per page) for the chat channel and every
// active thread under the accepted parents, and writes what it had not seen oldest first across
// all of them (snowflake order): it reads the first page of every channel, then writes the oldest
// message among the pages, and reads a channel's next page once its page is used up and durable
// (then the channel's cursor moves). Live messages that arrive while a catch-up runs are held
// and merged into the same order; once no catch-up runs they go the usual way again. One
// catch-up runs at a time (a channel first seen with a gap gets one of its own, queued).
import { describeError, type Logger } from "../log.ts";
import { type RawChannel, type RawMessage, THREAD_TYPES } from "../_discord/raw.ts";
import type { DiscordRest } from "../_discord/rest.ts";
import { compareIds } from "../_discord/snowflake.ts";
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
  /**
   * The watched threads as listed after a (re)connect; resolves when what routing needs to know
   * of them is known (rejects when Discord cannot be asked: the catch-up is tried again).
   */
  listed?: (threads: RawChannel[]) => Promise<void>;
  /** Writes a message read from history (unless seen); resolves when it is durable or dropped. */
  ingest: (m: RawMessage, place: Place) => Promise<void>;
  /** Writes a held live message (unless seen), as live messages are written. */
  write: (m: RawMessage, place: Place) => void;
  /** Hands a held live message back to the live path, once no catch-up runs. */
  release: (m: RawMessage, place: Place) => void;
  onDone: () => void;
  now: () => number;
}

const PAGE = 100;
/** Cursors of threads that were not active for this long are forgotten. */
const CURSOR_MAX_AGE_MS = 30 * 86_400_000;

/** A live message waiting for a catch-up. */
interface Held {
  m: RawMessage;
  place: Place;
}

/** One channel of a running catch-up: its current page and what of it is not durable yet. */
interface Source {
  id: string;
  place: Place;
  /** The page being written, oldest first. */
  page: RawMessage[];
  /** The next message of `page` to write. */
  next: number;
  /** Where the next page starts (the last id read). */
  after: string;
  /** The writes of `page`. */
  writes: Promise<void>[];
  /** Messages read so far. */
  total: number;
}

/** Runs catch-ups: all channels after a (re)connect, or one newly seen channel. */
export class CatchUp {
  readonly #d: CatchUpDeps;
  /** Whether live messages are held for a full catch-up still to come ({@linkcode CatchUp.expect}). */
  #expecting = false;
  /** Live messages held while a catch-up runs, oldest first. */
  #held: Held[] = [];
  /** Catch-ups running or queued. */
  #busy = 0;
  /** Full catch-ups queued whose channels are not listed yet. */
  #unlisted = 0;
  /** Channels of the catch-ups running or queued. */
  readonly #covered = new Map<string, number>();
  #tail: Promise<void> = Promise.resolve();
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
    // The run started above holds live messages now: the expectation has served.
    this.#endExpecting();
    return this.#loop;
  }

  /**
   * Holds live messages from now until the next full catch-up ({@linkcode CatchUp.all}) merges
   * them: a gateway session that RESUMEs gets the events it missed replayed before RESUMED,
   * and a channel whose messages are not among them must not fall behind the others.
   */
  expect(): void {
    if (this.#expecting) return;
    this.#expecting = true;
    this.#busy++;
  }

  #endExpecting(): void {
    if (!this.#expecting) return;
    this.#expecting = false;
    if (--this.#busy === 0) this.#releaseHeld();
  }

  /** Catches up one channel (first seen with a gap) unless a catch-up covers it already. */
  channel(channelId: string, place: Place): void {
    if (this.#covered.has(channelId) || this.#unlisted > 0 || this.#expecting) return;
    const epoch = this.#d.tracker.epoch;
    const list: Array<[string, Place]> = [[channelId, place]];
    this.#cover(list, 1);
    this.#slot(async () => {
      try {
        await this.#merge(list, epoch);
      } finally {
        this.#cover(list, -1);
      }
    }).catch((err) =>
      this.#d.log.warn(`catch-up of ${channelId} failed: ${describeError(err)}; retried later`)
    );
  }

  /**
   * Holds a live message while a catch-up runs (it is then written in id order among the
   * messages read from history).
   *
   * @returns `false` when no catch-up runs: the caller writes it.
   */
  hold(m: RawMessage, place: Place): boolean {
    if (this.#busy === 0) return false;
    // Live messages come mostly in order: look for the place from the end.
    let at = this.#held.length;
    while (at > 0 && compareIds(this.#held[at - 1].m.id, m.id) > 0) at--;
    this.#held.splice(at, 0, { m, place });
    return true;
  }

  /** Resolves when no catch-up runs. */
  async idle(): Promise<void> {
    while (this.#loop || this.#busy > 0) {
      await Promise.allSettled([this.#loop, this.#tail]);
    }
  }

  /** Runs `fn` after the catch-ups before it; live messages are held until none is left. */
  #slot(fn: () => Promise<void>): Promise<void> {
    this.#busy++;
    const run = this.#tail.then(fn).finally(() => {
      if (--this.#busy === 0) this.#releaseHeld();
    });
    this.#tail = run.catch(() => {});
    return run;
  }

  #cover(list: Array<[string, Place]>, delta: number): void {
    for (const [id] of list) {
      const n = (this.#covered.get(id) ?? 0) + delta;
      if (n > 0) this.#covered.set(id, n);
      else this.#covered.delete(id);
    }
  }

  /** Hands the held messages back in order (a gap they reveal holds the rest again). */
  #releaseHeld(): void {
    const held = this.#held;
    this.#held = [];
    if (this.#d.stopped()) return;
    for (const h of held) this.#d.release(h.m, h.place);
  }

  async #runLoop(): Promise<void> {
    while (this.#served < this.#requested && !this.#d.stopped()) {
      const target = this.#requested;
      this.#unlisted++;
      await this.#slot(() => this.#allOnce(this.#d.tracker.epoch));
      this.#served = target;
    }
  }

  async #allOnce(epoch: number): Promise<void> {
    const d = this.#d;
    let listed = false;
    try {
      for (let attempt = 1; !d.stopped(); attempt++) {
        let channels: Array<[string, Place]> = [];
        try {
          const guildId = d.guildId();
          const threads = guildId ? await d.rest.getActiveThreads(guildId) : [];
          const watched: RawChannel[] = [];
          for (const t of threads) {
            d.learnThread(t);
            if (THREAD_TYPES.has(t.type) && d.accepts(t.parent_id)) watched.push(t);
          }
          await d.listed?.(watched);
          channels = [[d.chatId, {}]];
          for (const t of watched) {
            channels.push([t.id, { threadId: t.id, parentId: t.parent_id! }]);
          }
          this.#cover(channels, 1);
          if (!listed) this.#unlisted--;
          listed = true;
          const pruned = d.cursors.prune(
            new Set(channels.map(([id]) => id)),
            d.now(),
            CURSOR_MAX_AGE_MS,
          );
          if (pruned.length > 0) {
            d.log.info(`forgot the cursors of ${pruned.length} old thread(s)`);
          }
          await this.#merge(channels, epoch);
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
        } finally {
          this.#cover(channels, -1);
        }
      }
    } finally {
      if (!listed) this.#unlisted--;
    }
  }

  /**
   * Writes the history of `list` after each channel's cursor, and the held live messages, in
   * id order; each channel is caught up (for `epoch`) once its last page is durable.
   */
  async #merge(list: Array<[string, Place]>, epoch: number): Promise<void> {
    const d = this.#d;
    const guildId = d.guildId();
    const covered = new Set(list.map(([id]) => id));
    const sources: Source[] = list.map(([id, place]) => ({
      id,
      place,
      page: [],
      next: 0,
      after: d.cursors.get(id),
      writes: [],
      total: 0,
    }));
    for (const s of sources) {
      if (d.stopped()) return;
      await this.#turnPage(s);
    }
    for (;;) {
      if (d.stopped()) return;
      let oldest: Source | undefined;
      for (const s of sources) {
        if (
          s.next < s.page.length && (!oldest || before(s.page[s.next], oldest.page[oldest.next]))
        ) {
          oldest = s;
        }
      }
      // A held message goes first when it is older, unless its channel may miss older ones
      // (a gap this catch-up does not cover): those wait for the end.
      const h = this.#held.findIndex((x) =>
        covered.has(x.m.channel_id) || !d.tracker.hasGap(x.m.channel_id)
      );
      if (h >= 0 && (!oldest || before(this.#held[h].m, oldest.page[oldest.next]))) {
        const [held] = this.#held.splice(h, 1);
        d.write(held.m, held.place);
        continue;
      }
      if (!oldest) break;
      const m = oldest.page[oldest.next++];
      oldest.writes.push(
        d.ingest(m.guild_id || !guildId ? m : { ...m, guild_id: guildId }, oldest.place),
      );
      if (oldest.next === oldest.page.length) await this.#turnPage(oldest);
    }
    for (const s of sources) {
      d.tracker.caughtUp(s.id, epoch);
      if (s.total > 0) d.log.info(`caught up ${s.total} message(s) in ${s.id}`);
    }
  }

  /** Makes a source's page durable, moves its cursor, and reads its next page. */
  async #turnPage(s: Source): Promise<void> {
    const d = this.#d;
    if (s.page.length > 0) {
      await Promise.all(s.writes);
      if (d.stopped()) return;
      s.writes = [];
      s.after = s.page[s.page.length - 1].id;
      d.cursors.advance(s.id, s.after);
      s.total += s.page.length;
      const full = s.page.length === PAGE;
      s.page = [];
      s.next = 0;
      if (!full) return;
    }
    const page = await d.rest.getMessages(s.id, { after: s.after, limit: PAGE });
    if (d.stopped()) return;
    s.page = page;
    s.next = 0;
  }
}

function before(a: RawMessage, b: RawMessage): boolean {
  return compareIds(a.id, b.id) < 0;
}
