// Private: the bridge keeps every session's status card current (card.ts renders it; the
// SessionStart hook posts it). A card is edited through the session's outbox queue (an `edit`
// entry keyed `card`), so an edit never overtakes the card's post, and Discord's edit limits
// are kept by coalescing: at most one edit per CARD_EDIT_INTERVAL_MS per card, counted from
// the moment the last one was sent, and never two of a card in the queue at once; a change
// meanwhile is kept and sent by a trailing timer, so the last state always lands.
//
// What changes a card (no polling): the session's activity file (`activity/<id>.json`, the
// hooks), its transcript (Claude Code appends it on every step; the bridge watches its
// directory and reads it incrementally), a stop marker (`stop/<id>`), the card's own post
// being sent, and a check every minute that the session's process still runs.
import { CARD_KEY, type CardFacts, renderCard, stateLine } from "../card.ts";
import { describeError, type Logger } from "../log.ts";
import type { Outbox, OutboxEntry, Outcome } from "../outbox.ts";
import { activityDir, readActivity } from "../activity.ts";
import type { SessionRecord, SessionRegistry } from "../sessions.ts";
import { cardState, hashOf, readStopNote, ShownCards, type StopNote } from "./card_state.ts";
import { TranscriptReader } from "./transcript.ts";
import { ensurePrivateDir } from "../_shared/fs.ts";
import type { DirWatches } from "./watch.ts";

/** The shortest time between two edits of one card, ms (Discord limits message edits). */
export const CARD_EDIT_INTERVAL_MS = 2000;
/** How often the cards of sessions whose process may be gone are looked at, ms. */
const LIVENESS_CHECK_MS = 60_000;
/**
 * How soon a transcript whose directory does not exist yet (Claude Code makes `projects/` with
 * the first transcript of a new installation) is looked for again, ms.
 */
const TRANSCRIPT_RETRY_MS = 2000;

/** Options of {@linkcode CardKeeper}. */
export interface CardKeeperOptions {
  /** The state directory. */
  home: string;
  /** The outbox (edits go into the session's queue; the card's message is in its record). */
  outbox: Outbox;
  /** The session registry. */
  registry: SessionRegistry;
  /** The directory watches. */
  watches: DirWatches;
  /** Where to log. */
  log: Logger;
  /** Clock (ms). */
  now: () => number;
  /** This machine's label. */
  machine: () => string | undefined;
  /** The shortest time between two edits of a card. Default {@linkcode CARD_EDIT_INTERVAL_MS}. */
  intervalMs?: number;
}

interface Card {
  id: string;
  record: SessionRecord;
  reader?: TranscriptReader;
  unwatch?: () => void;
  /** The next look for a transcript directory that did not exist. */
  retry?: ReturnType<typeof setTimeout>;
  stop?: StopNote;
  /** The hash of the body last queued. */
  hash?: string;
  /** When the card's last entry was sent (ms). */
  sentAt: number;
  /** An entry of the card waits in the queue. */
  queued: boolean;
  /** Something changed since the last render. */
  dirty: boolean;
  timer?: ReturnType<typeof setTimeout>;
  /** The body queued last shows the session ended. */
  ending: boolean;
}

/** Keeps the cards of this machine's sessions current. */
export class CardKeeper {
  readonly #o: CardKeeperOptions;
  readonly #cards = new Map<string, Card>();
  readonly #shown: ShownCards;
  readonly #interval: number;
  readonly #unwatch: (() => void)[] = [];
  #liveness: ReturnType<typeof setInterval> | undefined;
  #noTranscripts = false;
  #stopped = false;

  /** @param options The outbox, registry, watches, clock and machine label. */
  constructor(options: CardKeeperOptions) {
    this.#o = options;
    this.#interval = options.intervalMs ?? CARD_EDIT_INTERVAL_MS;
    this.#shown = new ShownCards(
      `${options.home.replace(/\/+$/, "")}/bridge`,
      (m) => options.log.warn(m),
    );
  }

  /** Starts watching, and brings every card that may be out of date up to date. */
  start(): void {
    const home = this.#o.home.replace(/\/+$/, "");
    // A listener told "" learns that its directory appeared: anything in it may be new.
    const each = (names: ReadonlySet<string>, suffix: string, fn: (id: string) => void) => {
      for (const name of names) {
        if (name === "") { for (const id of this.#cards.keys()) fn(id); }
        else if (name.endsWith(suffix) && !name.startsWith(".")) {
          fn(suffix === "" ? name : name.slice(0, -suffix.length));
        }
      }
    };
    try {
      ensurePrivateDir(activityDir(home));
      ensurePrivateDir(`${home}/stop`);
      this.#unwatch.push(this.#o.watches.watch(
        activityDir(home),
        (names) => each(names, ".json", (id) => this.changed(id)),
        home,
      ));
      this.#unwatch.push(this.#o.watches.watch(
        `${home}/stop`,
        (names) => each(names, "", (id) => this.#stopSeen(id)),
        home,
      ));
    } catch (err) {
      this.#o.log.error("cards: cannot watch the activity and stop files", err);
    }
    for (const record of this.#o.registry.list()) {
      const shown = this.#shown.get(record.id);
      if (!(this.#o.registry.isLive(record) || (shown !== undefined && !shown.ended))) continue;
      if (this.#o.outbox.record(record.id).message(CARD_KEY) === undefined) continue;
      const card = this.#track(record.id, record);
      if (shown !== undefined) card.hash = shown.hash;
      this.changed(record.id);
    }
    this.#liveness = setInterval(() => {
      for (const card of this.#cards.values()) {
        if (!card.ending && !this.#o.registry.isLive(card.record)) this.changed(card.id);
      }
    }, LIVENESS_CHECK_MS);
  }

  /** Stops watching and editing. */
  stop(): void {
    this.#stopped = true;
    clearInterval(this.#liveness);
    for (const off of this.#unwatch.splice(0)) off();
    for (const card of this.#cards.values()) this.#untrack(card);
  }

  /** The sessions whose card is kept (tests). */
  get sessions(): string[] {
    return [...this.#cards.keys()];
  }

  /**
   * Told of every outbox entry committed: the card's post starts its keeping, an edit sent
   * lets the next one go.
   *
   * @param session The session.
   * @param entry The entry.
   * @param outcome What became of it.
   */
  committed(session: string, entry: OutboxEntry, outcome: Outcome): void {
    if (entry.key !== CARD_KEY || this.#stopped) return;
    let card = this.#cards.get(session);
    if (card === undefined) {
      if (entry.kind !== "post" || !("sent" in outcome)) return;
      const record = this.#o.registry.get(session);
      if (record === undefined) return;
      card = this.#track(session, record);
      card.hash = hashOf(JSON.stringify(entry.body));
      // The post shows what the hook knew: the machine, the transcript's figures come now.
      card.dirty = true;
    }
    card.queued = false;
    card.sentAt = this.#o.now();
    if (!("sent" in outcome)) {
      this.#o.log.warn(
        `card of ${session.slice(0, 8)}: not updated any more (${
          "failed" in outcome ? outcome.failed : outcome.skipped
        })`,
      );
      return this.#untrack(card);
    }
    if (card.ending && !card.dirty) {
      this.#remember(card);
      return this.#untrack(card);
    }
    if (entry.kind === "edit") this.#remember(card);
    if (card.dirty) this.#schedule(card);
  }

  /**
   * Something about a session changed: its card is rendered again (within the interval).
   *
   * @param session The session.
   */
  changed(session: string): void {
    const card = this.#cards.get(session);
    if (card === undefined || this.#stopped) return;
    card.dirty = true;
    this.#schedule(card);
  }

  /**
   * Someone stopped a session from Discord (the bridge's stop, _bridge/stop.ts): its card says so
   * until its next turn.
   *
   * @param session The session.
   * @param stop Who, and when (ms).
   */
  stopped(session: string, stop: StopNote): void {
    const card = this.#cards.get(session);
    if (card === undefined) return;
    if (card.stop === undefined || stop.at > card.stop.at) card.stop = stop;
    this.changed(session);
  }

  /**
   * What a session's card says now, in a line (for /sessions), or `undefined` without a card.
   *
   * @param session The session.
   * @returns The state line, markdown.
   */
  stateOf(session: string): string | undefined {
    const card = this.#cards.get(session);
    if (card === undefined) return undefined;
    return stateLine(this.#facts(card).state, this.#o.now()).replaceAll("**", "");
  }

  #stopSeen(session: string): void {
    const card = this.#cards.get(session);
    if (card === undefined) return;
    const stop = this.#readStop(session);
    if (stop !== undefined) this.stopped(session, stop);
  }

  #readStop(session: string): StopNote | undefined {
    try {
      return readStopNote(this.#o.home, session, (m) => this.#o.log.warn(m));
    } catch (err) {
      this.#o.log.warn(`card of ${session.slice(0, 8)}: cannot read its stop marker: ${err}`);
      return undefined;
    }
  }

  #track(id: string, record: SessionRecord): Card {
    const card: Card = { id, record, sentAt: 0, queued: false, dirty: false, ending: false };
    this.#cards.set(id, card);
    if (record.transcriptPath !== undefined && !this.#noTranscripts) {
      card.reader = new TranscriptReader(record.transcriptPath);
      this.#watchTranscript(card);
    }
    const stop = this.#readStop(id);
    if (stop !== undefined) card.stop = stop;
    return card;
  }

  /** Watches the directory of the card's transcript (looking again while it does not exist). */
  #watchTranscript(card: Card): void {
    if (card.reader === undefined || card.unwatch !== undefined || this.#stopped) return;
    const path = card.reader.path;
    const dir = path.slice(0, path.lastIndexOf("/"));
    const name = path.slice(path.lastIndexOf("/") + 1);
    try {
      card.unwatch = this.#o.watches.watch(dir, (names) => {
        if (names.has(name) || names.has("")) this.changed(card.id);
      }, dir.slice(0, dir.lastIndexOf("/")));
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) return this.#transcriptsUnreadable(card, err);
      card.retry = setTimeout(() => {
        card.retry = undefined;
        if (this.#cards.get(card.id) !== card) return;
        this.#watchTranscript(card);
        if (card.unwatch !== undefined) this.changed(card.id);
      }, TRANSCRIPT_RETRY_MS);
    }
  }

  #untrack(card: Card): void {
    clearTimeout(card.timer);
    clearTimeout(card.retry);
    card.unwatch?.();
    this.#cards.delete(card.id);
  }

  #transcriptsUnreadable(card: Card, err: unknown): void {
    delete card.reader;
    card.unwatch?.();
    delete card.unwatch;
    if (err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied) {
      if (!this.#noTranscripts) {
        this.#o.log.warn(
          `cards: the bridge may not read Claude Code's transcripts (${describeError(err)}): ` +
            `cards show no tools, turns, tokens or cost until a hook starts the bridge again`,
        );
      }
      this.#noTranscripts = true;
      return;
    }
    this.#o.log.warn(`card of ${card.id.slice(0, 8)}: cannot read its transcript: ${err}`);
  }

  #schedule(card: Card): void {
    if (card.timer !== undefined || card.queued) return;
    const wait = Math.max(0, card.sentAt + this.#interval - this.#o.now());
    card.timer = setTimeout(() => {
      card.timer = undefined;
      this.#flush(card).catch((err) => this.#o.log.error(`card of ${card.id.slice(0, 8)}`, err));
    }, wait);
  }

  /** Renders the card; queues an edit when it says something new. */
  async #flush(card: Card): Promise<void> {
    if (this.#stopped || card.queued || this.#cards.get(card.id) !== card) return;
    card.dirty = false;
    const facts = this.#facts(card);
    const body = renderCard(facts, this.#o.now());
    const hash = hashOf(JSON.stringify(body));
    if (hash === card.hash) {
      if (facts.state.kind === "ended") this.#untrack(card);
      return;
    }
    card.hash = hash;
    card.ending = facts.state.kind === "ended";
    card.queued = true;
    try {
      await this.#o.outbox.enqueue(card.id, [{ kind: "edit", key: CARD_KEY, body }]);
    } catch (err) {
      card.queued = false;
      card.hash = undefined;
      this.#o.log.error(`card of ${card.id.slice(0, 8)}: cannot queue its edit`, err);
    }
  }

  #facts(card: Card): CardFacts {
    const record = this.#o.registry.get(card.id) ?? card.record;
    card.record = record;
    if (card.reader) {
      try {
        card.reader.read();
      } catch (err) {
        this.#transcriptsUnreadable(card, err);
      }
    }
    const transcript = card.reader?.facts;
    const activity = readActivity(this.#o.home, card.id, (m) => this.#o.log.warn(m));
    const machine = this.#o.machine();
    return {
      session: { id: record.id, name: record.name },
      cwd: record.cwd,
      startedAt: record.started,
      ...(machine ? { machine } : {}),
      ...(transcript?.branch ? { branch: transcript.branch } : {}),
      ...(transcript?.model ? { model: transcript.model } : {}),
      state: cardState({
        ...(activity ? { activity } : {}),
        ...(transcript ? { transcript } : {}),
        ...(card.stop ? { stop: card.stop } : {}),
        live: this.#o.registry.isLive(record),
        startedAt: record.started,
      }),
      ...(transcript ? { turns: transcript.turns } : {}),
      ...(transcript && transcript.usage.size > 0 ? { usage: transcript.usage } : {}),
    };
  }

  #remember(card: Card): void {
    if (card.hash === undefined) return;
    const known = new Set(this.#o.registry.list().map((r) => r.id));
    this.#shown.set(card.id, { hash: card.hash, ended: card.ending }, (id) => known.has(id));
  }
}
