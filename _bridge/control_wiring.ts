// Private: the control room wired into the bridge: the status cards and receipts
// (cards_receipts.ts) and Stop and the slash commands (control.ts), each told of the other (a
// stop shows on the session's card; /sessions reads the cards' states).
import type { Inbox } from "../inbox.ts";
import type { Logger } from "../log.ts";
import type { DiscordRest } from "../_discord/rest.ts";
import { CardsAndReceipts, type CardsAndReceiptsOptions } from "./cards_receipts.ts";
import { type ControlDeps, ControlRoom } from "./control.ts";
import type { StatusBoard } from "./status.ts";
import type { CachedRoutingView } from "./view.ts";

/**
 * What the control room takes of the bridge's options (bridge.ts `BridgeOptions`): the state
 * directory, token, API base, allowlist, clock, log, receipts, the cards' pace, the outbox's
 * bounds and the observers.
 */
export type ControlRoomOptions =
  & Omit<CardsAndReceiptsOptions, "rest" | "now" | "machineLabel">
  & Pick<ControlDeps, "token" | "apiUrl" | "allowedUsers" | "now">;

/** What {@linkcode wireControlRoom} works with. */
export interface ControlWiringDeps {
  /** The bridge's options (their log is the cards' and receipts'). */
  options: ControlRoomOptions;
  /** The bridge's log (its last error is /status's): Stop's and the commands'. */
  log: Logger;
  /** The bridge's REST client. */
  rest: DiscordRest;
  /** Clock (ms). */
  now: () => number;
  /** This machine's label (machine.ts). */
  machineLabel: string;
  /** Routing's view of the sessions and posts. */
  view: CachedRoutingView;
  /** The guild of the chat channel ("" until known). */
  guildId: () => string;
  /** The bridge's counters and state. */
  status: StatusBoard;
  /** The mailboxes. */
  inbox: Inbox;
}

/** The control room's parts, for the bridge to start, stop and tell of its events. */
export interface ControlRoomParts {
  /** The status cards and the receipts. */
  cards: CardsAndReceipts;
  /** Stop from Discord and the slash commands. */
  control: ControlRoom;
}

/**
 * Builds the cards and receipts and the control room, wired to each other.
 *
 * @param d The bridge's options, log, REST client, clock, machine, view, status board, mailboxes.
 * @returns Both parts (nothing started yet).
 */
export function wireControlRoom(d: ControlWiringDeps): ControlRoomParts {
  const cards = new CardsAndReceipts({
    ...d.options,
    rest: d.rest,
    now: d.now,
    machineLabel: d.machineLabel,
  });
  const control = new ControlRoom({
    ...d.options,
    log: d.log,
    rest: d.rest,
    view: d.view,
    guildId: d.guildId,
    machine: () => d.machineLabel,
    status: d.status,
    inbox: d.inbox,
    onStop: (session, stop) => cards.stopped(session.id, stop.by, stop.at),
    stateOf: (session) => cards.stateOf(session.id),
  });
  return { cards, control };
}
