// Private: catch-up cursors ("the last message id handled in this channel") and the in-order
// bookkeeping that decides when a cursor may move.
//
// A cursor C for channel X means: every message of X with id <= C has been written to all
// its mailboxes (durably) or deliberately dropped. It moves only forward, and only
//
// - after a catch-up page is durable (pages are contiguous from the cursor), or
// - when a live event completes and every earlier live event of X completed too, and X
//   has no gap: the live stream has been continuous since X's last catch-up.
//
// Every (re)connect opens a new epoch: all channels have a gap until a catch-up that
// started in that epoch finishes, because events may have been missed while disconnected.
import { compareIds, snowflakeAt, timeOfSnowflake } from "../_discord/snowflake.ts";
import { ensurePrivateDir, readJsonState, writePrivateFileAtomic } from "../_shared/fs.ts";

/** The cursors file: `{ "since": id, "channels": { channelId: lastId } }`. */
interface CursorFile {
  since: string;
  channels: Record<string, string>;
}

const ID = /^[0-9]{1,21}$/;

/** The persisted cursors, saved atomically (0600) at most every `saveDelayMs`. */
export class CursorStore {
  readonly #path: string;
  readonly #saveDelayMs: number;
  readonly #onError: (err: unknown) => void;
  #since: string;
  #channels = new Map<string, string>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #dirty = false;
  #closed = false;
  /** True when the file did not exist (first start) or was damaged. */
  readonly fresh: boolean;

  constructor(
    path: string,
    options: {
      now: number;
      saveDelayMs?: number;
      onError?: (err: unknown) => void;
      /** Told when the file was damaged (and moved aside). */
      onWarning?: (message: string) => void;
    },
  ) {
    this.#path = path;
    this.#saveDelayMs = options.saveDelayMs ?? 50;
    this.#onError = options.onError ?? (() => {});
    ensurePrivateDir(path.slice(0, path.lastIndexOf("/")) || "/");
    const read = readJsonState(path, parseCursors, undefined);
    if (read.damaged) options.onWarning?.(read.damaged);
    const loaded = read.value;
    this.fresh = loaded === undefined;
    // First start: deliver nothing older than now.
    this.#since = loaded?.since ?? snowflakeAt(options.now);
    for (const [k, v] of Object.entries(loaded?.channels ?? {})) this.#channels.set(k, v);
    if (this.fresh) {
      this.#dirty = true;
      this.flush();
    }
  }

  /** Where catch-up of `channelId` starts: its cursor, or the first start's time. */
  get(channelId: string): string {
    return this.#channels.get(channelId) ?? this.#since;
  }

  /** Whether `channelId` has a cursor of its own. */
  has(channelId: string): boolean {
    return this.#channels.has(channelId);
  }

  /** Channels with a cursor. */
  channels(): string[] {
    return [...this.#channels.keys()];
  }

  /** Moves a cursor forward (never back) and schedules a save. */
  advance(channelId: string, id: string): void {
    if (this.#closed) return;
    const current = this.get(channelId);
    if (this.#channels.has(channelId) && compareIds(id, current) <= 0) return;
    if (!this.#channels.has(channelId) && compareIds(id, current) < 0) return;
    this.#channels.set(channelId, id);
    this.#dirty = true;
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      this.flush();
    }, this.#saveDelayMs);
  }

  /** Forgets cursors of channels not in `keep` whose last message is older than `maxAgeMs`. */
  prune(keep: ReadonlySet<string>, now: number, maxAgeMs: number): string[] {
    const gone: string[] = [];
    for (const [channel, last] of this.#channels) {
      if (keep.has(channel)) continue;
      if (now - timeOfSnowflake(last) > maxAgeMs) {
        this.#channels.delete(channel);
        gone.push(channel);
      }
    }
    if (gone.length > 0) this.#dirty = true;
    return gone;
  }

  /** Saves now if anything changed. */
  flush(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (!this.#dirty) return;
    const file: CursorFile = { since: this.#since, channels: Object.fromEntries(this.#channels) };
    try {
      writePrivateFileAtomic(this.#path, JSON.stringify(file) + "\n");
      this.#dirty = false;
    } catch (err) {
      this.#onError(err);
    }
  }

  /** Saves and stops writing (later advances are ignored). */
  close(): void {
    this.flush();
    this.#closed = true;
  }
}

function parseCursors(value: unknown): CursorFile | undefined {
  const v = value as Partial<CursorFile> | null;
  if (!v || typeof v !== "object" || typeof v.since !== "string" || !ID.test(v.since)) {
    return undefined;
  }
  const channels: Record<string, string> = {};
  for (const [k, id] of Object.entries(v.channels ?? {})) {
    if (ID.test(k) && typeof id === "string" && ID.test(id)) channels[k] = id;
  }
  return { since: v.since, channels };
}

/** One tracked event: how many mailbox writes it still waits for. */
export interface Tracked {
  readonly channelId: string;
  readonly id: string;
  remaining: number;
}

/** In-order completion per channel, epochs and gaps; moves cursors in a {@linkcode CursorStore}. */
export class CursorTracker {
  readonly #store: CursorStore;
  readonly #fifo = new Map<string, Queue>();
  readonly #caughtUp = new Map<string, number>();
  #epoch = 0;

  constructor(store: CursorStore) {
    this.#store = store;
  }

  /** The current connection epoch. */
  get epoch(): number {
    return this.#epoch;
  }

  /** A new connection: every channel has a gap until caught up again. */
  newEpoch(): number {
    return ++this.#epoch;
  }

  /** Whether `channelId` may have missed events (no catch-up finished in this epoch). */
  hasGap(channelId: string): boolean {
    return (this.#caughtUp.get(channelId) ?? -1) < this.#epoch;
  }

  /** A catch-up that started in `epoch` covered everything up to now. */
  caughtUp(channelId: string, epoch: number): void {
    if (epoch > (this.#caughtUp.get(channelId) ?? -1)) this.#caughtUp.set(channelId, epoch);
    this.#drain(channelId);
  }

  /** Starts tracking a live event that waits for `writes` mailbox writes (0 = dropped). */
  begin(channelId: string, id: string, writes: number): Tracked {
    const t: Tracked = { channelId, id, remaining: writes };
    const q = this.#fifo.get(channelId);
    if (q) q.items.push(t);
    else this.#fifo.set(channelId, { items: [t], head: 0 });
    if (writes === 0) this.#drain(channelId);
    return t;
  }

  /** One write of `t` finished (stored, or refused for good). */
  complete(t: Tracked): void {
    t.remaining--;
    if (t.remaining <= 0) this.#drain(t.channelId);
  }

  /** Events still in flight, over all channels. */
  get inFlight(): number {
    let n = 0;
    for (const q of this.#fifo.values()) n += q.items.length - q.head;
    return n;
  }

  #drain(channelId: string): void {
    const q = this.#fifo.get(channelId);
    if (!q) return;
    let last: string | undefined;
    while (q.head < q.items.length && q.items[q.head].remaining <= 0) {
      last = q.items[q.head].id;
      q.head++;
    }
    if (last === undefined) return;
    if (q.head === q.items.length) this.#fifo.delete(channelId);
    else if (q.head > 1024 && q.head * 2 > q.items.length) {
      q.items = q.items.slice(q.head);
      q.head = 0;
    }
    if (!this.hasGap(channelId)) this.#store.advance(channelId, last);
  }
}

interface Queue {
  items: Tracked[];
  head: number;
}
