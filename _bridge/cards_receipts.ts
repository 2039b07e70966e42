// Private: what the bridge adds to Discord besides the outbox's posts, so that a person can
// follow every session from the phone: the sessions' status cards kept current (card.ts,
// _bridge/card.ts) and receipts on the messages it delivers (_bridge/receipts.ts). Both watch
// local files (one set of directory watches) and are told of mailbox writes and outbox
// commits by the bridge.
import type { InboxEvent } from "../inbox.ts";
import type { Logger } from "../log.ts";
import { Outbox, type OutboxEntry, type Outcome } from "../outbox.ts";
import { SessionRegistry } from "../sessions.ts";
import type { DiscordRest } from "../_discord/rest.ts";
import { CardKeeper } from "./card.ts";
import { Receipts } from "./receipts.ts";
import { DirWatches } from "./watch.ts";

/** Options of {@linkcode CardsAndReceipts}. */
export interface CardsAndReceiptsOptions {
  /** The state directory. */
  home: string;
  /** The bridge's REST client (reactions). */
  rest: DiscordRest;
  /** Where to log. */
  log: Logger;
  /** Clock (ms). */
  now: () => number;
  /** React to delivered messages (config `receipts`). Default true. */
  receipts?: boolean;
  /** This machine's label (machine.ts), on the cards. */
  machineLabel: string;
  /** The outbox's bounds (the cards' edits go through it). */
  outboxLimits?: { maxEntries?: number; maxBytes?: number };
  /** The shortest time between two edits of a card, ms (tests). */
  cardIntervalMs?: number;
  /** Told after each receipt Discord took (tests, benchmarks). */
  onReacted?: (messageId: string, emoji: string) => void;
}

/** The cards and the receipts of one bridge. */
export class CardsAndReceipts {
  readonly #watches: DirWatches;
  readonly #cards: CardKeeper;
  readonly #receipts: Receipts | undefined;

  /** @param o The state directory, REST client, log, clock and whether to send receipts. */
  constructor(o: CardsAndReceiptsOptions) {
    this.#watches = new DirWatches(o.log);
    this.#cards = new CardKeeper({
      home: o.home,
      outbox: new Outbox(o.home, {
        ...o.outboxLimits,
        now: o.now,
        onWarning: (m) => o.log.warn(m),
      }),
      registry: new SessionRegistry(o.home, { now: o.now, onWarning: (m) => o.log.warn(m) }),
      watches: this.#watches,
      log: o.log,
      now: o.now,
      machine: () => o.machineLabel,
      ...(o.cardIntervalMs !== undefined ? { intervalMs: o.cardIntervalMs } : {}),
    });
    this.#receipts = o.receipts !== false
      ? new Receipts({
        home: o.home,
        rest: o.rest,
        watches: this.#watches,
        log: o.log,
        now: o.now,
        ...(o.onReacted ? { onReacted: o.onReacted } : {}),
      })
      : undefined;
  }

  /** Starts the watches; brings the cards up to date. */
  start(): void {
    this.#cards.start();
    this.#receipts?.start();
  }

  /** Stops everything (reactions under way get up to 2 s). */
  async stop(): Promise<void> {
    this.#cards.stop();
    await this.#receipts?.stop();
    this.#watches.close();
  }

  /** A durable mailbox write (the receipts). */
  written(mailbox: string, events: readonly InboxEvent[]): void {
    this.#receipts?.written(mailbox, events);
  }

  /** Someone stopped a session from Discord: its card says who (until its next turn). */
  stopped(session: string, by: string, at: string): void {
    const ms = Date.parse(at);
    if (Number.isFinite(ms)) this.#cards.stopped(session, { by, at: ms });
  }

  /** What a session's card says now, in a line (for /sessions), when it has one. */
  stateOf(session: string): string | undefined {
    return this.#cards.stateOf(session);
  }

  /** An outbox entry committed (the cards). */
  committed(session: string, entry: OutboxEntry, outcome: Outcome): void {
    this.#cards.committed(session, entry, outcome);
  }
}
